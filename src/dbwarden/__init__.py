"""dbwarden: pure-SQL database migrations with an async core.

The public names load on first use (PEP 562), so that ``dbwarden --help`` and the
modules that need only part of the package do not pay for all of it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from ._version import __version__ as __version__

if TYPE_CHECKING:
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
    from .errors import SquashError as SquashError
    from .errors import TranslationError as TranslationError
    from .model import AppliedRow as AppliedRow
    from .model import Kind as Kind
    from .model import MigrationFile as MigrationFile
    from .model import Plan as Plan
    from .model import RunResult as RunResult
    from .model import Status as Status
    from .model import Step as Step
    from .runner import Runner as Runner
    from .runner import upgrade_all as upgrade_all

_HOMES: dict[str, str] = {
    "DatabaseHandle": ".config",
    "database_config": ".config",
    "databases": ".config",
    "get_database": ".config",
    "redact_url": ".config",
    "to_async_url": ".config",
    "dispose_engines": ".engine",
    "ChecksumMismatchError": ".errors",
    "ConfigError": ".errors",
    "DatabaseUnavailableError": ".errors",
    "DBWardenError": ".errors",
    "LockError": ".errors",
    "LockHolder": ".errors",
    "LockLostError": ".errors",
    "LockTimeoutError": ".errors",
    "MigrationFailedError": ".errors",
    "MigrationFileError": ".errors",
    "PlanError": ".errors",
    "TranslationError": ".errors",
    "SquashError": ".errors",
    "AppliedRow": ".model",
    "Kind": ".model",
    "MigrationFile": ".model",
    "Plan": ".model",
    "RunResult": ".model",
    "Status": ".model",
    "Step": ".model",
    "Runner": ".runner",
    "upgrade_all": ".runner",
}

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
    "SquashError",
    "Status",
    "Step",
    "TranslationError",
    "__version__",
    "database_config",
    "databases",
    "dispose_engines",
    "get_database",
    "redact_url",
    "to_async_url",
    "upgrade_all",
]


def __getattr__(name: str) -> object:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'dbwarden' has no attribute {name!r}")
    value = getattr(importlib.import_module(home, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(__all__) | {"__version__"})
