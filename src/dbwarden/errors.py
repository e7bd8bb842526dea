"""Every error dbwarden raises, under one root.

    DBWardenError
    ├── ConfigError                 bad configuration: unknown database, bad URL, bad option
    │   └── ModelImportError        a module of ``model_paths`` that does not import (module)
    ├── MigrationFileError          a migration or seed file is malformed (path, line)
    │   ├── InvalidNameError        a ``.sql`` file whose name is not a migration name
    │   ├── DuplicateVersionError   two files with one version
    │   ├── MarkerError             missing ``-- upgrade`` / ``-- rollback``, unknown directive
    │   ├── EmptySectionError       an upgrade section with no SQL in it
    │   ├── EncodingError           a file that is not UTF-8
    │   ├── SQLSyntaxError          unterminated string, identifier, comment or dollar quote
    │   └── TranslationError        dev mode: a statement that cannot run on SQLite
    ├── PlanError                   files and history disagree, or an option cannot be met
    │   ├── ChecksumMismatchError   an applied file was edited
    │   ├── MissingFileError        an applied version has no file (below the highest file)
    │   ├── OutOfOrderError         a pending version below the highest applied one
    │   ├── IrreversibleError       a rollback would cross an irreversible migration
    │   ├── UnknownVersionError     ``--to`` names a version that does not exist
    │   ├── TransactionError        a statement that cannot run in a transaction, no directive
    │   └── SquashError             ``dbwarden squash`` cannot replace the files asked for
    ├── MigrationFailedError        the database rejected a statement (path, line, statement)
    ├── DatabaseUnavailableError    the database could not be reached
    ├── DraftError                  models that cannot be drafted: no tables, a bad --rename
    └── LockError
        ├── LockTimeoutError        another run held the lock for the whole timeout (holder)
        └── LockLostError           the lock expired or was taken while a run held it

Exit codes used by the CLI: ``MigrationFailedError`` and ``DatabaseUnavailableError`` → 1,
``ConfigError``, ``MigrationFileError``, ``PlanError`` and ``DraftError`` → 2, ``LockError`` → 3.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

__all__ = [
    "ChecksumMismatchError",
    "ConfigError",
    "DBWardenError",
    "DatabaseUnavailableError",
    "DraftError",
    "DuplicateVersionError",
    "EmptySectionError",
    "EncodingError",
    "InvalidNameError",
    "IrreversibleError",
    "LockError",
    "LockHolder",
    "LockLostError",
    "LockTimeoutError",
    "MarkerError",
    "MigrationFailedError",
    "MigrationFileError",
    "MissingFileError",
    "ModelImportError",
    "OutOfOrderError",
    "PlanError",
    "SQLSyntaxError",
    "SquashError",
    "TransactionError",
    "TranslationError",
    "UnknownVersionError",
]


class DBWardenError(Exception):
    """The root of every error dbwarden raises on purpose."""

    exit_code: int = 1


class ConfigError(DBWardenError):
    """Raised by configuration and discovery: unknown database name, unsupported URL,
    a config file that cannot be found or imported, an option out of range."""

    exit_code = 2


class ModelImportError(ConfigError):
    """Raised by drafting (``make-migrations``, ``check``) when a module named in
    ``model_paths`` raises on import; ``module`` is its dotted path, ``original`` what it
    raised (``--debug`` shows its traceback)."""

    def __init__(self, message: str, *, module: str, original: BaseException | None = None) -> None:
        self.module = module
        self.original = original
        super().__init__(message)


class MigrationFileError(DBWardenError):
    """Raised by the files and sql layers, before any connection is opened.

    ``path`` is the offending file (``None`` when text was parsed without one) and
    ``line`` the 1-based line in that file (``None`` when the whole file is at fault).
    """

    exit_code = 2

    def __init__(self, message: str, *, path: Path | str | None = None, line: int | None = None):
        self.message = message
        self.path = Path(path) if path is not None else None
        self.line = line
        super().__init__(self._render())

    def _render(self) -> str:
        if self.path is None:
            where = f"line {self.line}: " if self.line is not None else ""
        else:
            where = f"{self.path}:{self.line}: " if self.line is not None else f"{self.path}: "
        return f"{where}{self.message}"

    def with_path(self, path: Path | str, line_offset: int = 0) -> MigrationFileError:
        """Return a copy of this error located in ``path``, lines shifted by ``line_offset``."""
        line = self.line + line_offset if self.line is not None else None
        new = type(self).__new__(type(self))
        MigrationFileError.__init__(new, self.message, path=path, line=line)
        return new


class InvalidNameError(MigrationFileError):
    """A ``.sql`` file in a migrations or seeds directory whose name is not a migration name."""


class DuplicateVersionError(MigrationFileError):
    """Two files in one directory carry the same version number."""


class MarkerError(MigrationFileError):
    """A section marker is missing or repeated, or a directive is unknown or misplaced."""


class EmptySectionError(MigrationFileError):
    """An ``-- upgrade`` section that holds no SQL."""


class EncodingError(MigrationFileError):
    """A migration file that is not valid UTF-8."""


class SQLSyntaxError(MigrationFileError):
    """Raised by the statement splitter: an unterminated string, quoted identifier,
    block comment or dollar quote. ``line`` is where the unterminated token starts."""


class TranslationError(MigrationFileError):
    """Raised in dev mode (``dbwarden.translate``) when a statement written for PostgreSQL
    cannot run on the SQLite dev database and its file is not marked
    ``-- dbwarden: postgres-only``. ``line`` is the statement's line in the file."""


class PlanError(DBWardenError):
    """Raised by the planner when files and history disagree or an option cannot be met.
    Carries the ``version`` and ``path`` concerned when there is one."""

    exit_code = 2

    def __init__(
        self, message: str, *, version: str | None = None, path: Path | str | None = None
    ) -> None:
        self.message = message
        self.version = version
        self.path = Path(path) if path is not None else None
        super().__init__(message)


class ChecksumMismatchError(PlanError):
    """An applied migration's file no longer has the checksum recorded when it ran."""

    def __init__(
        self,
        message: str,
        *,
        version: str | None,
        path: Path | str | None,
        recorded: str,
        actual: str,
    ) -> None:
        super().__init__(message, version=version, path=path)
        self.recorded = recorded
        self.actual = actual


class MissingFileError(PlanError):
    """An applied version has no file although newer files exist (a file was deleted)."""


class OutOfOrderError(PlanError):
    """A pending version is lower than the highest applied one and out-of-order is off."""


class IrreversibleError(PlanError):
    """A rollback would have to undo a migration marked ``-- dbwarden: irreversible``."""


class UnknownVersionError(PlanError):
    """A target version (``--to``) that is neither a file nor an applied version."""


class TransactionError(PlanError):
    """A statement that cannot run inside a transaction, in a file without the
    ``-- dbwarden: no-transaction`` directive. ``line`` is the statement's line."""

    def __init__(
        self, message: str, *, version: str | None, path: Path | str | None, line: int
    ) -> None:
        super().__init__(message, version=version, path=path)
        self.line = line


class SquashError(PlanError):
    """Raised by ``dbwarden squash`` (``dbwarden.squash``) when the files up to the version
    asked for cannot be replaced by one file: the version is already a squash, a file in the
    range runs without a transaction, or the schema holds objects a squash cannot re-create
    (functions, triggers on PostgreSQL, ...). ``path`` names the file concerned, if one is."""


class MigrationFailedError(DBWardenError):
    """Raised by the runner when the database rejects a statement.

    ``path``/``line`` locate the failing statement, ``statement`` is its first line,
    ``db_message`` what the database said, and ``applied_statements`` how many statements
    of a ``no-transaction`` migration had already run (and stay applied).
    """

    exit_code = 1

    def __init__(
        self,
        *,
        path: Path | str | None,
        line: int | None,
        version: str | None,
        statement: str | None,
        db_message: str,
        applied_statements: int = 0,
        transactional: bool = True,
    ) -> None:
        self.path = Path(path) if path is not None else None
        self.line = line
        self.version = version
        self.statement = statement
        self.db_message = db_message
        self.applied_statements = applied_statements
        self.transactional = transactional
        super().__init__(self._render())

    def _render(self) -> str:
        where = str(self.path) if self.path is not None else "<sql>"
        if self.line is not None:
            where += f":{self.line}"
        text = f"{where}: {self.db_message}"
        if self.statement:
            text += f"\n  in statement: {self.statement}"
        if self.transactional:
            text += "\n  nothing changed: its transaction was rolled back and history is untouched"
        else:
            text += (
                f"\n  this migration runs without a transaction: {self.applied_statements} "
                "statement(s) before the failing one stay applied and no history row was written;"
                " make the file safe to re-run (IF NOT EXISTS) or undo them by hand"
            )
        return text


class DatabaseUnavailableError(DBWardenError):
    """The database could not be reached (refused, unknown host, bad credentials)."""

    exit_code = 1


class DraftError(DBWardenError):
    """Raised by drafting when the models cannot become a migration: no model paths or no
    tables, a table outside the default schema, models the database cannot create, a
    ``--rename`` that matches nothing, existing migrations that do not build on an empty
    database, no right to create the temporary database. Nothing is written."""

    exit_code = 2


@dataclass(frozen=True, slots=True)
class LockHolder:
    """Who holds a migration lock, as far as the backend can tell."""

    owner: str | None = None
    host: str | None = None
    pid: int | None = None
    application_name: str | None = None
    since: datetime | None = None
    expires_at: datetime | None = None
    kind: str = "database"

    def describe(self) -> str:
        parts: list[str] = []
        if self.owner:
            parts.append(self.owner)
        if self.host:
            parts.append(f"host {self.host}")
        if self.pid is not None:
            parts.append(f"pid {self.pid}")
        if self.application_name:
            parts.append(f"application {self.application_name!r}")
        if self.since is not None:
            parts.append(f"since {self.since.isoformat(timespec='seconds')}")
        if self.expires_at is not None:
            parts.append(f"expires {self.expires_at.isoformat(timespec='seconds')}")
        return ", ".join(parts) if parts else "an unknown holder"


class LockError(DBWardenError):
    """Base of lock failures; ``holder`` names who holds the lock when known."""

    exit_code = 3

    def __init__(self, message: str, *, holder: LockHolder | None = None) -> None:
        self.message = message
        self.holder = holder
        super().__init__(message)


class LockTimeoutError(LockError):
    """Another run held the migration lock for the whole ``lock_timeout``."""


class LockLostError(LockError):
    """The lock expired, was released by someone else or its backend went away while a run
    held it; the run stops before its next migration."""
