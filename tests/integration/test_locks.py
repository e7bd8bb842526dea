"""Database locks: waiting, timing out with the holder named, cancellation and SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import anyio
import pytest

from dbwarden.drivers import connect
from dbwarden.errors import LockTimeoutError
from dbwarden.events import Event, LockAcquired, LockWaiting
from dbwarden.locks.database import advisory_key, read_holder
from helpers import migration, query, tables, write_project

pytestmark = pytest.mark.anyio


def slow_sql(url: str, seconds: float) -> str:
    if url.startswith("postgresql"):
        return f"SELECT pg_sleep({seconds});"
    # A recursive count that keeps SQLite busy for a while (no sleep function in SQLite).
    rows = int(seconds * 3_000_000)
    return (
        f"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < {rows}) "
        "SELECT count(*) FROM c;"
    )


FILES = {
    "0001_a.sql": migration("CREATE TABLE a (id integer PRIMARY KEY);", "DROP TABLE a;"),
    "0002_b.sql": migration("CREATE TABLE b (id integer PRIMARY KEY);", "DROP TABLE b;"),
}


async def hold_lock(url: str, handle_name: str = "primary") -> object:
    """Hold the database lock from outside the runner, as another process would."""
    if url.startswith("postgresql"):
        import asyncpg

        conn = await asyncpg.connect(url, server_settings={"application_name": "other-deployer"})
        await conn.execute("SELECT pg_advisory_lock($1)", advisory_key(handle_name, None))
        return conn
    import sqlite3

    path = url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE IF NOT EXISTS dbwarden_lock (id INTEGER PRIMARY KEY, owner VARCHAR(128) "
            "NOT NULL, host VARCHAR(255), pid INTEGER, acquired_at VARCHAR(40) NOT NULL, "
            "expires_at VARCHAR(40) NOT NULL)"
        )
        now = datetime.now(UTC)
        db.execute(
            "INSERT INTO dbwarden_lock VALUES (1, 'other-deployer', 'build-7', 4242, ?, ?)",
            (now.isoformat(), (now + timedelta(hours=1)).isoformat()),
        )
    return None


async def test_lock_timeout_names_the_holder(tmp_path: Path, database_url: str) -> None:
    handle = write_project(tmp_path, database_url, FILES, lock_timeout=0.6)
    held = await hold_lock(database_url)
    seen: list[Event] = []
    handle.runner.subscribe(seen.append)
    try:
        started = time.monotonic()
        with pytest.raises(LockTimeoutError) as info:
            await handle.runner.upgrade()
        assert 0.5 <= time.monotonic() - started < 5
        holder = info.value.holder
        assert holder is not None
        if database_url.startswith("postgresql"):
            assert holder.application_name == "other-deployer"
            assert holder.pid is not None and holder.since is not None
            assert "other-deployer" in str(info.value) and f"pid {holder.pid}" in str(info.value)
        else:
            assert (holder.owner, holder.host, holder.pid) == ("other-deployer", "build-7", 4242)
            assert "build-7" in str(info.value) and "pid 4242" in str(info.value)
        assert info.value.exit_code == 3
        assert any(isinstance(e, LockWaiting) for e in seen)
        assert "a" not in await tables(database_url)
        status = await handle.runner.status()
        assert status.lock_holder is not None
    finally:
        if held is not None:
            await held.close()  # type: ignore[attr-defined]


async def test_runner_waits_then_proceeds(tmp_path: Path, database_url: str) -> None:
    handle = write_project(tmp_path, database_url, FILES, lock_timeout=20)
    held = await hold_lock(database_url)
    seen: list[Event] = []
    handle.runner.subscribe(seen.append)

    async def release_soon() -> None:
        await anyio.sleep(0.7)
        if held is not None:
            await held.close()  # type: ignore[attr-defined]
        else:
            await query(database_url, "SELECT 1")
            import sqlite3

            with sqlite3.connect(database_url.removeprefix("sqlite:///")) as db:
                db.execute("DELETE FROM dbwarden_lock")

    async with anyio.create_task_group() as tg:
        tg.start_soon(release_soon)
        result = await handle.runner.upgrade()
    assert len(result.applied) == 2
    acquired = [e for e in seen if isinstance(e, LockAcquired)]
    assert acquired and acquired[0].waited_s >= 0.5


async def test_concurrent_runners_apply_each_migration_once(
    tmp_path: Path, database_url: str
) -> None:
    files = {
        f"{i:04d}_t{i}.sql": migration(f"CREATE TABLE t{i} (id integer);", f"DROP TABLE t{i};")
        for i in range(1, 21)
    }
    write_project(tmp_path, database_url, files, lock_timeout=30)
    from dbwarden import Runner, get_database

    results = []

    async def one() -> None:
        results.append(await Runner(get_database()).upgrade())

    async with anyio.create_task_group() as tg:
        for _ in range(4):
            tg.start_soon(one)
    assert sorted(len(r.applied) for r in results) == [0, 0, 0, 20]
    rows = await query(
        database_url, "SELECT version, count(*) FROM dbwarden_migrations GROUP BY version"
    )
    assert len(rows) == 20 and all(count == 1 for _, count in rows)


async def test_cancelled_runner_releases_the_lock(tmp_path: Path, database_url: str) -> None:
    files = {
        "0001_slow.sql": migration(
            "CREATE TABLE s (id integer);\n" + slow_sql(database_url, 30), "DROP TABLE s;"
        )
    }
    handle = write_project(tmp_path, database_url, files, lock_timeout=2)
    with anyio.move_on_after(1.0):
        await handle.runner.upgrade()
    # The lock is free at once and nothing of the cancelled migration remains.
    conn = await connect(handle.resolve(), timeout=5)
    try:
        holder = await read_holder(conn, database="primary", schema=None)
    finally:
        await conn.aclose()
    if database_url.startswith("postgresql"):
        assert holder is None
    assert "s" not in await tables(database_url)
    files["0001_slow.sql"] = migration("CREATE TABLE s (id integer);", "DROP TABLE s;")
    (tmp_path / "migrations" / "primary" / "0001_slow.sql").write_text(files["0001_slow.sql"])
    handle.runner.handle.lock_ttl = 1.0  # a SQLite row left by the cancelled run expires
    result = await handle.runner.upgrade()
    assert [s.name for s in result.applied] == ["0001_slow"]


@pytest.mark.slow
async def test_sigkill_while_holding_the_lock(tmp_path: Path, database_url: str) -> None:
    """A runner killed mid-migration leaves no history row and no partial schema, and does not
    block the next run (PostgreSQL: at once; SQLite: once the lock row expires)."""
    is_pg = database_url.startswith("postgresql")
    ttl = 3.0
    slow = migration(
        "CREATE TABLE half (id integer);\n" + slow_sql(database_url, 60), "DROP TABLE half;"
    )
    write_project(
        tmp_path, database_url, {**FILES, "0003_slow.sql": slow}, lock_ttl=ttl, lock_timeout=30
    )
    script = (
        "import anyio, sys\n"
        f"sys.path.insert(0, {str(tmp_path)!r})\n"
        "import dbconfig\n"
        "anyio.run(dbconfig.primary.runner.upgrade)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=tmp_path)
    try:
        deadline = time.monotonic() + 20
        while True:  # wait until 0001 and 0002 are recorded: 0003 is running
            await anyio.sleep(0.1)
            names = set()
            if "dbwarden_migrations" in await tables(database_url):
                names = {
                    r[0] for r in await query(database_url, "SELECT name FROM dbwarden_migrations")
                }
            if names == {"0001_a", "0002_b"}:
                break
            assert time.monotonic() < deadline, "the runner never reached the slow migration"
            assert proc.poll() is None
        await anyio.sleep(0.3)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()

    # Run the remaining migration again, now fast.
    (tmp_path / "migrations" / "primary" / "0003_slow.sql").write_text(
        migration("CREATE TABLE half (id integer);", "DROP TABLE half;")
    )
    # Editing an unapplied file is fine: nothing recorded its checksum.
    from dbwarden import get_database

    assert "half" not in await tables(database_url)
    started = time.monotonic()
    result = await get_database().runner.upgrade()
    waited = time.monotonic() - started
    assert [s.name for s in result.applied] == ["0003_slow"]
    if is_pg:
        assert waited < 2.0
    else:
        assert waited < ttl + 5
    rows = await query(database_url, "SELECT name FROM dbwarden_migrations ORDER BY name")
    assert rows == [("0001_a",), ("0002_b",), ("0003_slow",)]
