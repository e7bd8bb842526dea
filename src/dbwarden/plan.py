"""The planner: parsed files + history rows + options → a ``Plan`` or a precise error.

Pure: no connection, no paths read. The runner, ``status`` and the tests all feed it from
memory.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .errors import (
    ChecksumMismatchError,
    IrreversibleError,
    MissingFileError,
    OutOfOrderError,
    PlanError,
    TransactionError,
    UnknownVersionError,
)
from .model import AppliedRow, Kind, MigrationFile, Mismatch, Plan, Section, Step
from .sql import Dialect, non_transactional

__all__ = [
    "Analysis",
    "analyse",
    "environments_of",
    "normalise_version",
    "plan_baseline",
    "plan_rollback",
    "plan_seed",
    "plan_upgrade",
    "squashed_history",
]


@dataclass(frozen=True, slots=True)
class Analysis:
    """How files and history relate, without judging: the raw material of plans and status."""

    pending: tuple[MigrationFile, ...]  # versioned files not applied, in order
    changed: tuple[MigrationFile, ...]  # runs-on-change files new or edited since they ran
    always: tuple[MigrationFile, ...]  # runs-always files
    mismatches: tuple[Mismatch, ...]
    missing: tuple[AppliedRow, ...]  # applied, no file, below the highest file
    ahead: tuple[AppliedRow, ...]  # applied, no file, above every file
    current_version: str | None  # highest applied version
    out_of_order: tuple[MigrationFile, ...]  # pending below current_version

    @property
    def state(self) -> str:
        if self.ahead:
            return "ahead"
        if self.pending or self.changed:
            return "pending"
        return "up_to_date"


def normalise_version(version: str | int) -> str:
    """``"0003"`` and ``3`` are the same version: decimal text without leading zeros."""
    text = str(version).strip()
    if not text.isdigit():
        raise UnknownVersionError(
            f"{version!r} is not a version; versions are whole numbers such as 3 or 20261122"
        )
    return str(int(text))


def squashed_history(
    files: Sequence[MigrationFile], applied: Sequence[AppliedRow]
) -> tuple[AppliedRow, ...]:
    """History as the files see it after a squash (``-- dbwarden: squashes=1-12``).

    A database that ran the squash file has its row (version N, the squash's name): nothing
    changes. A database that ran the old files has their rows: when it reached the squash's
    own version N, those rows stand for one row of the squash file (so the squash counts as
    applied, its checksum is not compared with theirs, and none of them is "missing"); when
    it applied only some of them, no plan can run: the versions it lacks are gone."""
    rows = tuple(applied)
    for squash in files:
        covered = set(squash.squashes)
        if not covered:
            continue
        inside = [r for r in rows if r.kind is Kind.VERSIONED and r.version in covered]
        if not inside:
            continue
        own = [
            r
            for r in inside
            if r.version == squash.version
            and (r.name == squash.name or r.checksum == squash.checksum)
        ]
        if own:
            continue  # applied through the squash file itself
        top = next((r for r in inside if r.version == squash.version), None)
        if top is None:
            done = sorted((r.version for r in inside if r.version is not None), key=int)
            raise PlanError(
                f"this database applied version(s) {', '.join(done)} of the migrations that "
                f"{squash.path.name} squashes (versions {_spans(squash.squashes)}), but not "
                f"version {squash.version}; migrate it to version {squash.version} with a "
                "release from before the squash (its files are in the squashed/ directory and "
                "in version control), then with this one",
                version=squash.version,
                path=squash.path,
            )
        merged = AppliedRow(
            version=squash.version,
            name=squash.name,
            kind=Kind.VERSIONED,
            checksum=squash.checksum,
            rollback_checksum=squash.rollback_checksum,
            applied_at=top.applied_at,
            duration_ms=sum(r.duration_ms for r in inside),
            applied_by=top.applied_by,
            dbwarden_version=top.dbwarden_version,
        )
        rows = tuple(merged if r is top else r for r in rows if r is top or r not in inside)
    return rows


def _spans(versions: Sequence[str]) -> str:
    """``("1", "2", "3", "7")`` → ``"1-3, 7"``."""
    spans: list[list[int]] = []
    for v in sorted(int(v) for v in versions):
        if spans and v == spans[-1][1] + 1:
            spans[-1][1] = v
        else:
            spans.append([v, v])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)


def _squashed_into(files: Sequence[MigrationFile], version: str) -> MigrationFile | None:
    """The squash file that replaced ``version``, if one did."""
    return next((f for f in files if version in f.squashes and f.version != version), None)


def analyse(files: Sequence[MigrationFile], applied: Sequence[AppliedRow]) -> Analysis:
    files = sorted(files, key=lambda f: f.sort_key)
    applied = squashed_history(files, applied)
    versioned = {f.version: f for f in files if f.kind is Kind.VERSIONED}
    applied_versioned = {r.version: r for r in applied if r.kind is Kind.VERSIONED}
    applied_repeatable = {r.key: r for r in applied if r.kind is not Kind.VERSIONED}

    max_file = max((int(v) for v in versioned if v is not None), default=None)
    current = max((int(v) for v in applied_versioned if v is not None), default=None)

    mismatches: list[Mismatch] = []
    missing: list[AppliedRow] = []
    ahead: list[AppliedRow] = []
    for version, row in sorted(applied_versioned.items(), key=lambda kv: int(kv[0] or 0)):
        f = versioned.get(version)
        if f is None:
            if max_file is None or int(version or 0) > max_file:
                ahead.append(row)
            else:
                missing.append(row)
        elif f.checksum != row.checksum:
            mismatches.append(Mismatch(version, f.name, f.path, row.checksum, f.checksum))

    pending = tuple(
        f for f in files if f.kind is Kind.VERSIONED and f.version not in applied_versioned
    )
    out_of_order = tuple(
        f for f in pending if current is not None and int(f.version or 0) < current
    )
    changed: list[MigrationFile] = []
    always: list[MigrationFile] = []
    for f in files:
        if f.kind is Kind.RUNS_ON_CHANGE:
            ran = applied_repeatable.get(f.key)
            if ran is None or ran.checksum != f.checksum:
                changed.append(f)
        elif f.kind is Kind.RUNS_ALWAYS:
            always.append(f)
    return Analysis(
        pending=pending,
        changed=tuple(changed),
        always=tuple(always),
        mismatches=tuple(mismatches),
        missing=tuple(missing),
        ahead=tuple(ahead),
        current_version=str(current) if current is not None else None,
        out_of_order=out_of_order,
    )


def check_history(analysis: Analysis) -> None:
    """Raise the first disagreement between files and history that no plan may run past."""
    if analysis.mismatches:
        m = analysis.mismatches[0]
        more = f" (and {len(analysis.mismatches) - 1} more)" if len(analysis.mismatches) > 1 else ""
        raise ChecksumMismatchError(
            f"{m.path.name} was edited after it was applied{more}: recorded {m.recorded[:19]}…, "
            f"file now {m.actual[:19]}…; restore the file (a new change belongs in a new "
            "migration), or run `dbwarden repair` if the edit is intentional",
            version=m.version,
            path=m.path,
            recorded=m.recorded,
            actual=m.actual,
        )
    if analysis.missing:
        row = analysis.missing[0]
        raise MissingFileError(
            f"version {row.version} ({row.name}) is applied but its file is missing, and newer "
            "files exist; restore the file (deleting applied migrations breaks history)",
            version=row.version,
        )


def plan_upgrade(
    files: Sequence[MigrationFile],
    applied: Sequence[AppliedRow],
    *,
    dialect: Dialect,
    target: str | int | None = None,
    allow_out_of_order: bool = False,
) -> Plan:
    """Plan an upgrade: pending versioned files in numeric order (up to ``target``), then
    changed runs-on-change files, then runs-always files, both by name."""
    analysis = analyse(files, applied)
    check_history(analysis)
    current = analysis.current_version
    target_version = normalise_version(target) if target is not None else None
    known = {f.version for f in files if f.kind is Kind.VERSIONED}

    if target_version is not None:
        squash = _squashed_into(files, target_version)
        if squash is not None:
            raise UnknownVersionError(
                f"version {target_version} was squashed into {squash.path.name} (versions "
                f"{_spans(squash.squashes)}); `--to` takes {squash.version} or a later version",
                version=target_version,
            )
        if target_version not in known:
            raise UnknownVersionError(
                f"no migration file has version {target_version}; "
                "`--to` takes the version of an existing file",
                version=target_version,
            )
        if current is not None and int(target_version) < int(current):
            raise PlanError(
                f"target {target_version} is below the current version {current}; "
                f"use `dbwarden rollback --to {target_version}` to go back",
                version=target_version,
            )

    if analysis.ahead:
        # A newer release migrated this database; this code has nothing to add. Re-running
        # this code's repeatables would put its older views back over the newer ones.
        return Plan(
            direction="upgrade",
            steps=(),
            state="ahead",
            current_version=current,
            target_version=target_version,
            ahead_versions=tuple(r.version for r in analysis.ahead if r.version is not None),
        )

    pending = [
        f
        for f in analysis.pending
        if target_version is None or int(f.version or 0) <= int(target_version)
    ]
    if analysis.out_of_order and not allow_out_of_order:
        late = [f for f in analysis.out_of_order if f in pending]
        if late:
            f = late[0]
            raise OutOfOrderError(
                f"{f.path.name} (version {f.version}) is pending but version {current} is "
                "already applied; renumber the file above the applied versions, or allow "
                "out-of-order migrations (allow_out_of_order=True / --allow-out-of-order)",
                version=f.version,
                path=f.path,
            )

    steps = [Step(f, "apply", "pending") for f in pending]
    head = max((int(v) for v in known if v is not None), default=None)
    reaches_head = target_version is None or int(target_version) == head
    if reaches_head:
        applied_keys = {r.key for r in applied if r.kind is not Kind.VERSIONED}
        for f in analysis.changed:
            steps.append(Step(f, "reapply" if f.key in applied_keys else "apply", "changed"))
        steps.extend(Step(f, "apply", "runs always") for f in analysis.always)

    for step in steps:
        _check_transactional(step.file, dialect)

    state = "pending" if (pending or (reaches_head and analysis.changed)) else "up_to_date"
    return Plan(
        direction="upgrade",
        steps=tuple(steps),
        state=state,
        current_version=current,
        target_version=target_version,
        warnings=_translation_warnings(steps),
    )


def plan_rollback(
    files: Sequence[MigrationFile],
    applied: Sequence[AppliedRow],
    *,
    steps: int | None = 1,
    to: str | int | None = None,
) -> Plan:
    """Plan a rollback of the last ``steps`` applied versions, or of every version above
    ``to`` (``to=0`` rolls back everything). Repeatables are never rolled back."""
    analysis = analyse(files, applied)
    check_history(analysis)
    applied = squashed_history(files, applied)
    versioned = {f.version: f for f in files if f.kind is Kind.VERSIONED}
    applied_rows = sorted(
        (r for r in applied if r.kind is Kind.VERSIONED), key=lambda r: int(r.version or 0)
    )
    current = analysis.current_version

    if to is not None:
        to_version = normalise_version(to)
        squash = _squashed_into(files, to_version)
        if squash is not None:
            raise UnknownVersionError(
                f"version {to_version} was squashed into {squash.path.name} (versions "
                f"{_spans(squash.squashes)}), which rolls back as a whole; `--to` takes 0 "
                f"(everything) or {squash.version} or a later version",
                version=to_version,
            )
        if to_version != "0" and to_version not in {r.version for r in applied_rows}:
            raise UnknownVersionError(
                f"version {to_version} is not applied; `--to` takes an applied version "
                "(or 0 to roll back everything)",
                version=to_version,
            )
        chosen = [r for r in applied_rows if int(r.version or 0) > int(to_version)]
        target: str | None = to_version
    else:
        count = 1 if steps is None else steps
        if count < 1:
            raise PlanError("--steps must be at least 1")
        chosen = applied_rows[-count:] if count <= len(applied_rows) else list(applied_rows)
        target = None

    chosen.reverse()
    plan_steps: list[Step] = []
    for row in chosen:
        f = versioned.get(row.version)
        if f is None:
            raise MissingFileError(
                f"cannot roll back version {row.version} ({row.name}): this code has no file "
                "for it (it was applied by a newer release); roll back with that release",
                version=row.version,
            )
        if f.irreversible:
            raise IrreversibleError(
                f"cannot roll back {f.path.name}: it is marked `-- dbwarden: irreversible`; "
                "write a new migration that undoes it instead",
                version=f.version,
                path=f.path,
            )
        if f.rollback is None:  # pragma: no cover - parse guarantees a section or irreversible
            raise IrreversibleError(f"{f.path.name} has no rollback section", path=f.path)
        plan_steps.append(Step(f, "rollback", "requested"))

    return Plan(
        direction="rollback",
        steps=tuple(plan_steps),
        state="pending" if plan_steps else "up_to_date",
        current_version=current,
        target_version=target,
        warnings=_translation_warnings(plan_steps),
    )


def _translation_warnings(steps: Sequence[Step]) -> tuple[str, ...]:
    """Dev mode: what the translation to SQLite left out of the sections these steps run."""
    found: list[str] = []
    for step in steps:
        f = step.file
        sections: tuple[Section | None, ...]
        if step.action == "rollback":
            sections = (f.rollback,)
        elif step.action == "reseed":
            sections = (f.rollback, f.upgrade)
        else:
            sections = (f.upgrade,)
        for section in sections:
            if section is not None:
                found.extend(section.warnings)
    return tuple(found)


def _check_transactional(f: MigrationFile, dialect: Dialect) -> None:
    if f.no_transaction:
        return
    for statement in f.upgrade.statements:
        reason = non_transactional(statement, dialect)
        if reason is not None:
            raise TransactionError(
                f"{f.path.name}:{statement.line}: {reason}; add `-- dbwarden: no-transaction` "
                "to the file's header (before `-- upgrade`) and make each statement safe to "
                "re-run, since a failure leaves earlier statements applied",
                version=f.version,
                path=f.path,
                line=statement.line,
            )


def environments_of(f: MigrationFile) -> tuple[str, ...] | None:
    """The environments an ``env=`` directive restricts a file to (``None``: any)."""
    for directive in f.directives:
        if directive.startswith("env="):
            return tuple(directive[4:].split(","))
    return None


def plan_seed(
    seeds: Sequence[MigrationFile],
    applied: Sequence[AppliedRow],
    *,
    dialect: Dialect,
    environment: str | None,
    rerun_changed: bool = False,
) -> Plan:
    """Plan a seed run: seeds never applied, in order; seeds edited since they ran only with
    ``rerun_changed`` (their rollback first, then the new version); a seed restricted by
    ``-- dbwarden: env=...`` only in one of its environments."""
    analysis = analyse(seeds, applied)
    by_version = {f.version: f for f in seeds if f.kind is Kind.VERSIONED}
    steps: list[Step] = []
    warnings: list[str] = []

    def allowed(f: MigrationFile) -> bool:
        envs = environments_of(f)
        if envs is None:
            return True
        if environment is not None and environment.lower() in envs:
            return True
        where = f"ENVIRONMENT={environment}" if environment else "ENVIRONMENT is not set"
        warnings.append(f"{f.path.name}: skipped, it is for {', '.join(envs)} ({where})")
        return False

    for m in analysis.mismatches:
        f = by_version[m.version]
        if not rerun_changed:
            warnings.append(
                f"{f.path.name} changed since it was applied; `dbwarden seed --rerun-changed` "
                "re-applies it (its rollback first)"
            )
        elif allowed(f):
            steps.append(Step(f, "reseed", "changed"))
    steps.extend(Step(f, "apply", "pending") for f in analysis.pending if allowed(f))
    steps.extend(Step(f, "apply", "changed") for f in analysis.changed if allowed(f))
    steps.extend(Step(f, "apply", "runs always") for f in analysis.always if allowed(f))
    for row in (*analysis.missing, *analysis.ahead):
        warnings.append(f"seed version {row.version} ({row.name}) is recorded but has no file")
    steps.sort(key=lambda step: step.file.sort_key)
    for step in steps:
        _check_transactional(step.file, dialect)
    return Plan(
        direction="seed",
        steps=tuple(steps),
        state="pending" if steps else "up_to_date",
        current_version=analysis.current_version,
        warnings=tuple(warnings) + _translation_warnings(steps),
    )


def plan_baseline(
    files: Sequence[MigrationFile], applied: Sequence[AppliedRow], version: str | int
) -> Plan:
    """Plan recording every versioned file up to ``version`` as applied, without running
    it, for a database that already has that schema. Refused once history has rows."""
    target = normalise_version(version)
    if applied:
        raise PlanError(
            f"the database already has {len(applied)} history row(s); baseline is only for a "
            "database dbwarden has never migrated",
            version=target,
        )
    versioned = [f for f in sorted(files, key=lambda f: f.sort_key) if f.kind is Kind.VERSIONED]
    known = {f.version for f in versioned}
    if target not in known:
        last = versioned[-1].version if versioned else None
        beyond = last is None or int(target) > int(last)
        raise UnknownVersionError(
            f"no migration file has version {target}"
            + (f"; the last file is version {last}" if beyond and last else "")
            + "; baseline takes the version of an existing file",
            version=target,
        )
    chosen = [f for f in versioned if int(f.version or 0) <= int(target)]
    return Plan(
        direction="baseline",
        steps=tuple(Step(f, "baseline", "baseline") for f in chosen),
        state="pending",
        current_version=None,
        target_version=target,
    )
