"""PostgreSQL: the per-run queries that go as simple queries or in the startup packet still
do what the separate queries did (against a real server)."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import pytest

from dbwarden.drivers import postgres
from dbwarden.drivers.postgres import PostgresConnection
from dbwarden.history import History
from dbwarden.locks.database import advisory_key, migration_application_name
from helpers import migration, query, write_project

pytestmark = [pytest.mark.anyio, pytest.mark.postgres]

FILES = {"0001_a.sql": migration("CREATE TABLE a (id integer PRIMARY KEY);", "DROP TABLE a;")}


async def _setting(conn: PostgresConnection, name: str) -> str:
    return str(await conn.raw.fetchval(f"SHOW {name}"))


async def test_check_interval_is_set_at_startup_for_writers_only(pg_database: str) -> None:
    writer = await PostgresConnection.open(pg_database, timeout=10)
    reader = await PostgresConnection.open(pg_database, timeout=10, read_only=True)
    try:
        assert await _setting(writer, "client_connection_check_interval") == "1s"
        assert await _setting(reader, "client_connection_check_interval") == "0"
        assert await _setting(reader, "default_transaction_read_only") == "on"
    finally:
        await writer.aclose()
        await reader.aclose()


async def test_a_server_refusing_the_check_interval_is_connected_to_without_it(
    pg_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A server before 14 refuses client_connection_check_interval in the startup packet as
    # any server refuses a parameter it does not know: this one stands in for it.
    monkeypatch.setattr(postgres, "_CHECK_INTERVAL", "dbwarden_no_such_parameter")
    monkeypatch.setattr(postgres, "_no_check_interval", set())
    with pytest.raises(asyncpg.PostgresError, match="dbwarden_no_such_parameter"):
        await asyncpg.connect(pg_database, server_settings={"dbwarden_no_such_parameter": "1"})
    conn = await PostgresConnection.open(pg_database, timeout=10, application_name="old-server")
    try:
        assert await _setting(conn, "application_name") == "old-server"
        assert await conn.fetch("SELECT 1") == [(1,)]
    finally:
        await conn.aclose()
    assert pg_database in postgres._no_check_interval  # the next connection goes without it


@pytest.mark.parametrize("conforming", ["on", "off"])
async def test_literals_read_back_unchanged(pg_database: str, conforming: str) -> None:
    conn = await PostgresConnection.open(pg_database, timeout=10)
    try:
        await conn.execute(f"SET standard_conforming_strings = {conforming}")
        for value in ["plain", "it's", "back\\slash", "\\'; SELECT 1; --", "naïve $$ $x$", ""]:
            assert await conn.raw.fetchval(f"SELECT {conn.literal(value)}") == value
        assert await conn.raw.fetchval(f"SELECT {conn.literal(-(2**63))}::bigint") == -(2**63)
    finally:
        await conn.aclose()


async def test_table_exists_with_a_quoted_schema(pg_database: str) -> None:
    await query(pg_database, 'CREATE SCHEMA "we\'ird"')
    await query(pg_database, 'CREATE TABLE "we\'ird".t (id int)')
    conn = await PostgresConnection.open(pg_database, timeout=10)
    try:
        assert await conn.table_exists("t", "we'ird")
        assert not await conn.table_exists("u", "we'ird")
        assert not await conn.table_exists("t", None)
    finally:
        await conn.aclose()


async def test_history_created_in_one_script_and_a_failed_one_rolled_back(
    pg_database: str,
) -> None:
    reader = await PostgresConnection.open(pg_database, timeout=10, read_only=True)
    try:
        with pytest.raises(asyncpg.ReadOnlySQLTransactionError):
            await History(reader).ensure()
        assert not reader.raw.is_in_transaction()  # rolled back, the connection usable
        assert not await History(reader).exists()
    finally:
        await reader.aclose()
    writer = await PostgresConnection.open(pg_database, timeout=10)
    try:
        history = History(writer, schema="audit")
        assert await history.ensure() is True  # created by this call
        assert await history.read() == ()
        assert await History(writer, schema="audit").ensure() is False  # already there
        assert not writer.raw.is_in_transaction()
    finally:
        await writer.aclose()
    indexes = await query(
        pg_database, "SELECT indexname FROM pg_indexes WHERE schemaname = 'audit' ORDER BY 1"
    )
    assert [r[0] for r in indexes] == [
        "dbwarden_migrations_pkey",
        "dbwarden_migrations_repeatable",
        "dbwarden_migrations_version",
    ]


async def test_lock_reaps_only_this_databases_migration_sessions(
    tmp_path: Path, pg_database: str
) -> None:
    """A session named like a migration of this database, as a killed run leaves behind, is
    terminated when the lock is taken; the same name in another database is left alone."""
    name = migration_application_name("primary")
    here = await asyncpg.connect(pg_database, server_settings={"application_name": name})
    admin_url = pg_database.rsplit("/", 1)[0] + "/postgres"
    elsewhere = await asyncpg.connect(admin_url, server_settings={"application_name": name})
    try:
        await here.execute("BEGIN; CREATE TABLE left_behind (id int)")
        handle = write_project(tmp_path, pg_database, FILES)
        result = await handle.runner.upgrade()
        assert [s.version for s in result.applied] == ["1"]
        with pytest.raises((asyncpg.PostgresError, asyncpg.InterfaceError, OSError)):
            await here.fetchval("SELECT 1")
        assert await elsewhere.fetchval("SELECT 1") == 1
        assert await query(pg_database, "SELECT to_regclass('left_behind') IS NULL") == [(True,)]
        # The lock was released explicitly: it is free as soon as the run returns.
        key = advisory_key("primary", None)
        other = await asyncpg.connect(pg_database)
        try:
            assert await other.fetchval("SELECT pg_try_advisory_lock($1)", key) is True
        finally:
            await other.close()
    finally:
        here.terminate()
        await elsewhere.close()


@pytest.mark.parametrize("driver", ["asyncpg", "sqlalchemy"])
async def test_lock_queries_answer_by_row_count(pg_database: str, driver: str) -> None:
    """The lock's queries give the same answers as one simple query on asyncpg and through
    the generic protocol (what a PostgreSQL URL with another driver uses)."""
    from sqlalchemy.ext.asyncio import create_async_engine

    from dbwarden.drivers.sqlalchemy import SQLAlchemyConnection
    from dbwarden.locks.database import _ORPHANS, _TRY_LOCK, _UNLOCK, _count

    engine = create_async_engine(pg_database.replace("postgresql://", "postgresql+asyncpg://"))
    raw = await engine.connect()
    conn = (
        await PostgresConnection.open(pg_database, timeout=10)
        if driver == "asyncpg"
        else SQLAlchemyConnection(raw, owned=False)
    )
    name = migration_application_name("primary")
    key = advisory_key("primary", None)
    bystander = await asyncpg.connect(pg_database, server_settings={"application_name": name})
    try:
        assert await _count(conn, _TRY_LOCK, key) == 1
        assert await bystander.fetchval("SELECT pg_try_advisory_lock($1)", key) is False
        assert await _count(conn, _ORPHANS.format(what="pid"), name) == 1  # the bystander
        assert await _count(conn, _ORPHANS.format(what="pid"), "it's \\ nobody") == 0
        assert await _count(conn, _UNLOCK, key) == 1
        assert await _count(conn, _UNLOCK, key) == 0  # no longer held
        assert await bystander.fetchval("SELECT pg_try_advisory_lock($1)", key) is True
        assert await _count(conn, _TRY_LOCK, key) == 0  # the bystander holds it now
    finally:
        await bystander.close()
        await conn.aclose()
        await raw.close()
        await engine.dispose()
