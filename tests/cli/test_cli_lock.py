"""`dbwarden lock status|release`, and exit code 3 when another run holds the lock."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from dbwarden.locks.database import advisory_key

from .cli_helpers import Invoke, Project, data, flat, make_project


def hold_sqlite_lock(project: Project) -> None:
    """Insert a lock row that expires in an hour, as a crashed or running migrate would."""
    assert project.sqlite_file is not None
    now = datetime.now(UTC)
    with closing(sqlite3.connect(project.sqlite_file)) as conn:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS dbwarden_lock (id INTEGER PRIMARY KEY, "
            "owner VARCHAR(128) NOT NULL, host VARCHAR(255), pid INTEGER, "
            "acquired_at VARCHAR(40) NOT NULL, expires_at VARCHAR(40) NOT NULL)"
        )
        conn.execute(
            "INSERT INTO dbwarden_lock VALUES (1, 'deploy-bot', 'ci-runner-7', 4242, ?, ?)",
            (now.isoformat(), (now + timedelta(hours=1)).isoformat()),
        )
        conn.commit()


def test_sqlite_lock_held(cli: Invoke, sqlite_project: Project) -> None:
    sqlite_project.write_config(lock_timeout=0.5)
    sqlite_project.migration("0001_a.sql", "CREATE TABLE a (id integer);")

    result = cli("lock", "status")  # no database file yet: free, and not created
    assert result.exit_code == 0
    assert "free" in result.stdout
    assert sqlite_project.sqlite_file is not None
    assert not sqlite_project.sqlite_file.exists()

    hold_sqlite_lock(sqlite_project)
    doc = data(cli("lock", "status", "--json"))
    assert doc["database"] == "primary"
    assert doc["held"] is True
    assert doc["holder"]["owner"] == "deploy-bot"
    assert doc["holder"]["host"] == "ci-runner-7"
    assert doc["holder"]["pid"] == 4242
    assert doc["holder"]["expires_at"] is not None
    assert "deploy-bot" in cli("lock", "status").stdout

    result = cli("migrate")
    assert result.exit_code == 3
    err = flat(result.stderr)
    assert "deploy-bot" in err
    assert "pid 4242" in err
    assert "waiting for the database lock held by deploy-bot" in result.stdout

    status = data(cli("status", "--json"))
    assert status["lock_holder"]["owner"] == "deploy-bot"
    assert "deploy-bot" in cli("status").stdout

    result = cli("lock", "release")  # no terminal, no --yes
    assert result.exit_code == 2
    assert "--yes" in flat(result.stderr)
    assert data(cli("lock", "status", "--json"))["held"] is True

    result = cli("lock", "release", "--yes")
    assert result.exit_code == 0, result.output
    assert "deploy-bot" in result.stdout
    assert data(cli("lock", "status", "--json"))["held"] is False
    assert cli("migrate").exit_code == 0
    assert "nothing to release" in cli("lock", "release", "--yes").stdout


def test_release_asks_on_a_terminal(
    cli: Invoke, sqlite_project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dbwarden.cli import app as app_module

    monkeypatch.setattr(app_module, "_stdin_is_terminal", lambda: True)
    sqlite_project.migration("0001_a.sql", "CREATE TABLE a (id integer);")
    assert cli("migrate").exit_code == 0
    hold_sqlite_lock(sqlite_project)

    result = cli("lock", "release", input="n\n")
    assert result.exit_code == 1
    assert "Release it?" in result.stdout
    assert data(cli("lock", "status", "--json"))["held"] is True

    result = cli("lock", "release", input="y\n")
    assert result.exit_code == 0, result.output
    assert data(cli("lock", "status", "--json"))["held"] is False


class HeldAdvisoryLock:
    """A PostgreSQL session holding the migration lock of database ``primary``, on an
    event loop of its own (idle while the CLI runs its own loop)."""

    def __init__(self, url: str) -> None:
        import asyncpg

        self.loop = asyncio.new_event_loop()
        self.conn: Any = self.loop.run_until_complete(
            asyncpg.connect(url, server_settings={"application_name": "other-deploy"})
        )
        self.loop.run_until_complete(
            self.conn.execute("SELECT pg_advisory_lock($1)", advisory_key("primary", None))
        )
        self.pid = self.conn.get_server_pid()

    def close(self) -> None:
        try:
            self.loop.run_until_complete(self.conn.close(timeout=2))
        except Exception:
            self.conn.terminate()
        finally:
            self.loop.close()


@pytest.fixture
def pg_project(tmp_path: Path, pg_database: str, monkeypatch: pytest.MonkeyPatch) -> Project:
    project = make_project(tmp_path / "proj", pg_database, lock_timeout=0.5)
    monkeypatch.chdir(project.root)
    return project


@pytest.mark.postgres
def test_postgres_advisory_lock_held(cli: Invoke, pg_project: Project) -> None:
    pg_project.migration("0001_a.sql", "CREATE TABLE a (id integer);")
    assert data(cli("lock", "status", "--json"))["held"] is False
    held = HeldAdvisoryLock(pg_project.url)
    try:
        doc = data(cli("lock", "status", "--json"))
        assert doc["held"] is True
        assert doc["holder"]["pid"] == held.pid
        assert doc["holder"]["application_name"] == "other-deploy"

        result = cli("migrate")
        assert result.exit_code == 3
        err = flat(result.stderr)
        assert f"pid {held.pid}" in err
        assert "other-deploy" in err

        result = cli("migrate", "--json")
        assert result.exit_code == 3
        assert data(result)["error"]["type"] == "LockTimeoutError"

        assert data(cli("status", "--json"))["lock_holder"]["pid"] == held.pid

        result = cli("lock", "release", "--yes")
        assert result.exit_code == 0, result.output
        assert f"terminated PostgreSQL backend {held.pid}" in result.stdout
    finally:
        held.close()
    deadline = time.monotonic() + 5  # the terminated backend may take a moment to exit
    while data(cli("lock", "status", "--json"))["held"] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert data(cli("lock", "status", "--json"))["held"] is False
    assert cli("migrate").exit_code == 0
