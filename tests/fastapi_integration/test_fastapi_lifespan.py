"""``dbwarden_lifespan`` and ``migration_context``: check or migrate at startup, dispose the
engines at shutdown. Driven through the app's real ASGI lifespan."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import text

from dbwarden import ConfigError, DatabaseHandle, database_config
from dbwarden.engine import _engines, get_sessionmaker
from dbwarden.fastapi import StartupCheckError, dbwarden_lifespan, migration_context
from helpers import migration, tables, write_project

from .fastapi_support import FILES, ClientFactory, running

pytestmark = pytest.mark.anyio


async def start(app: FastAPI) -> None:
    async with running(app):
        pass


async def test_check_refuses_a_database_with_pending_migrations(project: DatabaseHandle) -> None:
    app = FastAPI(lifespan=dbwarden_lifespan("check"))
    with pytest.raises(StartupCheckError) as info:
        await start(app)
    message = str(info.value)
    assert "primary: 2 pending migration(s) (0001_create_items, 0002_create_notes)" in message
    assert "dbwarden migrate" in message
    assert set(info.value.problems) == {"primary"}


async def test_check_passes_once_migrated_and_when_the_database_is_ahead(
    sqlite_project: DatabaseHandle,
) -> None:
    await sqlite_project.runner.upgrade()
    await start(FastAPI(lifespan=dbwarden_lifespan("check")))

    # A rolling deploy: a newer release applied 0003; this (older) code has no such file.
    newer = sqlite_project.migrations_dir / "0003_newer.sql"
    newer.write_text(migration("CREATE TABLE newer (id INTEGER);", "DROP TABLE newer;"))
    await sqlite_project.runner.upgrade()
    newer.unlink()
    await start(FastAPI(lifespan=dbwarden_lifespan("check")))


async def test_check_refuses_a_checksum_mismatch(sqlite_project: DatabaseHandle) -> None:
    await sqlite_project.runner.upgrade()
    edited = sqlite_project.migrations_dir / "0002_create_notes.sql"
    edited.write_text(edited.read_text().replace("body TEXT", "body VARCHAR(10)"))
    with pytest.raises(StartupCheckError, match="0002_create_notes.sql: checksum changed"):
        await start(FastAPI(lifespan=dbwarden_lifespan("check")))


async def test_check_refuses_an_unreachable_database(tmp_path: Path, closed_port: int) -> None:
    url = f"postgresql://app:hunter2@127.0.0.1:{closed_port}/app"
    write_project(tmp_path, url, FILES, connect_timeout=2.0)
    with pytest.raises(StartupCheckError, match="cannot connect") as info:
        await start(FastAPI(lifespan=dbwarden_lifespan("check")))
    assert "hunter2" not in str(info.value)


async def test_check_without_fail_fast_logs_and_starts(
    sqlite_project: DatabaseHandle, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="dbwarden.fastapi"):
        await start(FastAPI(lifespan=dbwarden_lifespan("check", fail_fast=False)))
    assert "2 pending migration(s)" in caplog.text
    assert "starting anyway" in caplog.text


async def test_migrate_applies_pending_migrations(
    project: DatabaseHandle, no_environment: None
) -> None:
    await start(FastAPI(lifespan=dbwarden_lifespan("migrate")))
    assert {"items", "notes"} <= await tables(project.url)
    status = await project.runner.status()
    assert status.state == "up_to_date"


async def test_migrate_is_refused_in_production_unless_allowed(
    sqlite_project: DatabaseHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ENVIRONMENT", "production")
    with pytest.raises(StartupCheckError, match="refusing to migrate at startup"):
        await start(FastAPI(lifespan=dbwarden_lifespan("migrate")))
    assert await tables(sqlite_project.url) == set()

    await start(FastAPI(lifespan=dbwarden_lifespan("migrate", allow_in_production=True)))
    assert "items" in await tables(sqlite_project.url)


async def test_all_databases_reports_each_one(tmp_path: Path, sqlite_url: str) -> None:
    primary = write_project(tmp_path / "p", sqlite_url, FILES)
    await primary.runner.upgrade()
    (tmp_path / "p" / "migrations" / "other").mkdir()
    (tmp_path / "p" / "migrations" / "other" / "0001_x.sql").write_text(
        migration("CREATE TABLE x (id INTEGER);", "DROP TABLE x;")
    )
    database_config(
        "other", database_url=f"sqlite:///{tmp_path / 'other.db'}", base_dir=tmp_path / "p"
    )
    await start(FastAPI(lifespan=dbwarden_lifespan("check")))  # the default database only
    with pytest.raises(StartupCheckError) as info:
        await start(FastAPI(lifespan=dbwarden_lifespan("check", all_databases=True)))
    assert set(info.value.problems) == {"other"}


async def test_off_does_nothing_and_shutdown_disposes_every_engine(
    sqlite_project: DatabaseHandle, client: ClientFactory
) -> None:
    app = FastAPI(lifespan=dbwarden_lifespan("off"))

    @app.get("/one")
    async def one() -> int:
        async with get_sessionmaker(sqlite_project.async_url())() as session:
            return int((await session.execute(text("SELECT 1"))).scalar_one())

    async with running(app):
        assert (await client(app).get("/one")).json() == 1
        assert list(_engines) == [sqlite_project.async_url()]
    assert _engines == {}


async def test_migration_context_inside_a_user_lifespan(
    sqlite_project: DatabaseHandle, no_environment: None
) -> None:
    events: list[str] = []

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        events.append("before")
        async with migration_context("migrate"):
            events.append("migrated")
            yield
        events.append("after")

    await start(FastAPI(lifespan=lifespan))
    assert events == ["before", "migrated", "after"]
    assert "items" in await tables(sqlite_project.url)


async def test_an_unknown_mode_is_an_error_where_it_is_written() -> None:
    with pytest.raises(ConfigError, match="use 'migrate', 'check' or 'off'"):
        dbwarden_lifespan("upgrade")  # type: ignore[arg-type]
