"""Frozen dataclasses shared by the layers: parsed files, history rows, plans and reports."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from .checksum import checksum
from .errors import LockHolder
from .sql import Dialect, Statement, split

__all__ = [
    "AppliedRow",
    "Kind",
    "MigrationFile",
    "Mismatch",
    "Plan",
    "RunResult",
    "Section",
    "Status",
    "Step",
    "StepResult",
]


class Kind(enum.StrEnum):
    """What kind of file a migration is; the value is what the history table stores."""

    VERSIONED = "versioned"
    RUNS_ALWAYS = "runs_always"
    RUNS_ON_CHANGE = "runs_on_change"


# Versioned files run first, then runs-on-change, then runs-always.
_RUN_ORDER = {Kind.VERSIONED: 0, Kind.RUNS_ON_CHANGE: 1, Kind.RUNS_ALWAYS: 2}


@dataclass(frozen=True, slots=True)
class Section:
    """One section of a file (``-- upgrade`` or ``-- rollback``).

    ``text`` is the section body as written (markers excluded); ``first_line`` the file line
    of its first character, so a statement's line in ``text`` maps back to the file.
    ``statements`` are split from ``text`` (as ``dialect``) on first use: parsing has
    already proved the text well formed, and a run that applies nothing never needs them.
    In dev mode a section translated to SQLite holds the translated ``text`` and its
    ``presplit`` statements (each keeping its line in the file), the ``checksum`` of the
    section as written, and ``warnings`` about the statements it left out.
    """

    text: str
    first_line: int
    dialect: Dialect = "generic"
    path: Path | None = None
    warnings: tuple[str, ...] = ()
    # The statements, once known: given (translation) or cached by ``statements``.
    presplit: tuple[Statement, ...] | None = field(default=None, compare=False, repr=False)
    # The checksum, once known: given (parsing, translation) or cached by ``checksum``.
    digest: str | None = field(default=None, compare=False, repr=False)

    @property
    def checksum(self) -> str:
        """``sha256:<hex>`` of the normalised text (``dbwarden.checksum``); of the text as
        written for a translated section. Computed on first use: a rollback section's is
        needed only when a run records it."""
        found = self.digest
        if found is None:
            found = checksum(self.text)
            object.__setattr__(self, "digest", found)  # a cache: equality ignores it
        return found

    @property
    def statements(self) -> tuple[Statement, ...]:
        found = self.presplit
        if found is None:
            found = split(self.text, self.dialect, path=self.path, first_line=self.first_line)
            object.__setattr__(self, "presplit", found)  # a cache: equality ignores it
        return found


@dataclass(frozen=True, slots=True)
class MigrationFile:
    """A parsed migration or seed file. ``version`` is the decimal text without leading
    zeros (``None`` for repeatables); ``name`` is the file name without ``.sql``."""

    path: Path
    name: str
    kind: Kind
    version: str | None
    slug: str
    upgrade: Section
    rollback: Section | None
    no_transaction: bool = False
    irreversible: bool = False
    directives: tuple[str, ...] = ()

    @property
    def checksum(self) -> str:
        return self.upgrade.checksum

    @property
    def rollback_checksum(self) -> str | None:
        return self.rollback.checksum if self.rollback is not None else None

    @property
    def key(self) -> str:
        """What identifies the file in history: its version, or the slug of a repeatable."""
        return self.version if self.version is not None else self.slug

    @property
    def squashes(self) -> tuple[str, ...]:
        """The versions a squash file replaces (``-- dbwarden: squashes=1-12``), in order,
        its own version last; ``()`` for any other file."""
        for directive in self.directives:
            if directive.startswith("squashes="):
                return expand_versions(directive.removeprefix("squashes="))
        return ()

    @property
    def sort_key(self) -> tuple[int, int, str]:
        version = self.version
        return (_RUN_ORDER[self.kind], int(version) if version is not None else 0, self.slug)


@dataclass(frozen=True, slots=True)
class AppliedRow:
    """One row of ``dbwarden_migrations`` (or ``dbwarden_seeds``)."""

    version: str | None
    name: str
    kind: Kind
    checksum: str
    rollback_checksum: str | None
    applied_at: datetime
    duration_ms: int
    applied_by: str
    dbwarden_version: str

    @property
    def key(self) -> str:
        if self.version is not None:
            return self.version
        return _repeatable_slug(self.name)

    @property
    def baselined(self) -> bool:
        """Recorded by ``dbwarden baseline`` without running."""
        return self.applied_by.startswith(BASELINE_PREFIX)


BASELINE_PREFIX = "baseline:"


def expand_versions(spec: str) -> tuple[str, ...]:
    """``"1-3,7"`` → ``("1", "2", "3", "7")``: the versions of a (normalised) ``squashes=``."""
    versions: list[str] = []
    for item in spec.split(","):
        low, _, high = item.partition("-")
        versions.extend(str(v) for v in range(int(low), int(high or low) + 1))
    return tuple(versions)


def _repeatable_slug(name: str) -> str:
    # History stores a repeatable's file name (``RA__refresh_views``); its identity is the
    # part after the prefix, so renaming ``R__x`` to ``ROC__x`` keeps its history.
    _, sep, rest = name.partition("__")
    return rest if sep else name


@dataclass(frozen=True, slots=True)
class Step:
    """One thing a plan will do: apply (or re-apply) a file, or roll one back."""

    file: MigrationFile
    action: str  # "apply" | "reapply" | "rollback"
    reason: str = ""

    @property
    def version(self) -> str | None:
        return self.file.version

    @property
    def name(self) -> str:
        return self.file.name


@dataclass(frozen=True, slots=True)
class Plan:
    """What a run will do, in order. ``state`` is ``up_to_date``, ``pending`` or ``ahead``
    (the database has versions newer than every file: a rolling deploy, not an error)."""

    direction: str  # "upgrade" | "rollback"
    steps: tuple[Step, ...]
    state: str
    current_version: str | None
    target_version: str | None = None
    ahead_versions: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not self.steps


@dataclass(frozen=True, slots=True)
class StepResult:
    """A step that ran, with how long it took."""

    version: str | None
    name: str
    kind: Kind
    action: str
    duration_ms: int
    statements: int


@dataclass(frozen=True, slots=True)
class RunResult:
    """What ``upgrade``/``rollback``/``repair`` did (or, with ``dry_run``, would do).

    ``sql`` is the exact SQL of a dry run, in order, bookkeeping statements included.
    """

    database: str
    plan: Plan
    applied: tuple[StepResult, ...] = ()
    dry_run: bool = False
    sql: tuple[str, ...] = ()
    repaired: tuple[str, ...] = ()

    @property
    def state(self) -> str:
        return self.plan.state


@dataclass(frozen=True, slots=True)
class Mismatch:
    """An applied file whose checksum changed since it ran."""

    version: str | None
    name: str
    path: Path
    recorded: str
    actual: str


@dataclass(frozen=True, slots=True)
class Status:
    """A read-only report on one database: what is applied, pending and wrong."""

    database: str
    url: str  # redacted
    state: str  # up_to_date | pending | ahead | error
    current_version: str | None
    applied: tuple[AppliedRow, ...]
    pending: tuple[MigrationFile, ...]
    mismatches: tuple[Mismatch, ...]
    missing: tuple[AppliedRow, ...]
    ahead: tuple[AppliedRow, ...]
    lock_holder: LockHolder | None
    errors: tuple[str, ...] = field(default=())
    seed_version: str | None = None
    seeds_applied: int = 0
    seeds_pending: tuple[MigrationFile, ...] = ()
    seeds_changed: tuple[Mismatch, ...] = ()

    @property
    def ok(self) -> bool:
        return self.state in ("up_to_date", "ahead") and not self.errors
