"""dbwarden: pure-SQL database migrations with an async core."""

from __future__ import annotations

from ._version import __version__ as __version__
from .config import DatabaseHandle as DatabaseHandle
from .config import database_config as database_config
from .config import databases as databases
from .config import get_database as get_database
from .config import redact_url as redact_url
from .config import to_async_url as to_async_url
from .engine import dispose_engines as dispose_engines
from .errors import ChecksumMismatchError as ChecksumMismatchError
from .errors import ConfigError as ConfigError
from .errors import DatabaseUnavailableError as DatabaseUnavailableError
from .errors import DBWardenError as DBWardenError
from .errors import LockError as LockError
from .errors import LockHolder as LockHolder
from .errors import LockLostError as LockLostError
from .errors import LockTimeoutError as LockTimeoutError
from .errors import MigrationFailedError as MigrationFailedError
from .errors import MigrationFileError as MigrationFileError
from .errors import PlanError as PlanError
from .model import AppliedRow as AppliedRow
from .model import Kind as Kind
from .model import MigrationFile as MigrationFile
from .model import Plan as Plan
from .model import RunResult as RunResult
from .model import Status as Status
from .model import Step as Step
from .runner import Runner as Runner
from .runner import upgrade_all as upgrade_all

__all__ = [
    "AppliedRow",
    "ChecksumMismatchError",
    "ConfigError",
    "DBWardenError",
    "DatabaseHandle",
    "DatabaseUnavailableError",
    "Kind",
    "LockError",
    "LockHolder",
    "LockLostError",
    "LockTimeoutError",
    "MigrationFailedError",
    "MigrationFile",
    "MigrationFileError",
    "Plan",
    "PlanError",
    "RunResult",
    "Runner",
    "Status",
    "Step",
    "__version__",
    "database_config",
    "databases",
    "dispose_engines",
    "get_database",
    "redact_url",
    "to_async_url",
    "upgrade_all",
]
