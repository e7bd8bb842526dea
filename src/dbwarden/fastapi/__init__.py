"""FastAPI integration: sessions, a lifespan that checks or migrates, status/migrate,
health and Prometheus metrics (``pip install "dbwarden[fastapi]"``).

    from dbwarden.fastapi import (get_session, dbwarden_lifespan, migration_context,
        DBWardenRouter, DBWardenHealthRouter, MetricsRouter, MetricsMiddleware)

Names load on first use, so a module that only needs sessions never imports
prometheus-client.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..metrics import MetricsMiddleware as MetricsMiddleware
    from .admin import DBWardenRouter as DBWardenRouter
    from .deps import get_session as get_session
    from .exporter import MetricsRouter as MetricsRouter
    from .health import DBWardenHealthRouter as DBWardenHealthRouter
    from .lifespan import StartupCheckError as StartupCheckError
    from .lifespan import dbwarden_lifespan as dbwarden_lifespan
    from .lifespan import migration_context as migration_context

_HOMES: dict[str, str] = {
    "DBWardenHealthRouter": ".health",
    "DBWardenRouter": ".admin",
    "MetricsMiddleware": "..metrics",
    "MetricsRouter": ".exporter",
    "StartupCheckError": ".lifespan",
    "dbwarden_lifespan": ".lifespan",
    "get_session": ".deps",
    "migration_context": ".lifespan",
}

__all__ = [
    "DBWardenHealthRouter",
    "DBWardenRouter",
    "MetricsMiddleware",
    "MetricsRouter",
    "StartupCheckError",
    "dbwarden_lifespan",
    "get_session",
    "migration_context",
]


def __getattr__(name: str) -> object:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'dbwarden.fastapi' has no attribute {name!r}")
    value = getattr(importlib.import_module(home, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
