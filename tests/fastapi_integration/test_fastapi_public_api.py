"""The integration's public names, and what importing them loads."""

from __future__ import annotations

import subprocess
import sys

import dbwarden.fastapi

DESIGN_NAMES = {
    "get_session",
    "dbwarden_lifespan",
    "migration_context",
    "DBWardenRouter",
    "DBWardenHealthRouter",
    "MetricsRouter",
    "MetricsMiddleware",
}


def test_the_design_names_are_exported() -> None:
    assert set(dbwarden.fastapi.__all__) >= DESIGN_NAMES
    for name in dbwarden.fastapi.__all__:
        assert getattr(dbwarden.fastapi, name) is not None, name
    assert sorted(dir(dbwarden.fastapi)) == sorted(dbwarden.fastapi.__all__)


def _loaded_after(code: str) -> set[str]:
    probe = (
        f"{code}\nimport sys\n"
        "print(','.join(m for m in ('fastapi', 'prometheus_client', 'sqlalchemy') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return set(filter(None, out.stdout.strip().split(",")))


def test_sessions_alone_do_not_load_prometheus() -> None:
    assert _loaded_after("from dbwarden.fastapi import get_session") == {"fastapi", "sqlalchemy"}
    assert _loaded_after(
        "from dbwarden import database_config\n"
        "h = database_config('p', database_url='sqlite:///x.db')\n"
        "h.async_session"
    ) == {"fastapi", "sqlalchemy"}


def test_the_metrics_module_needs_no_fastapi() -> None:
    assert "fastapi" not in _loaded_after("import dbwarden.metrics")
