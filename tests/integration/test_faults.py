"""Fault injection against real databases: many racing processes, SIGKILL in the middle of a
large insert, connections terminated under the runner, Redis going away, a lock that never
frees, a read-only or full SQLite file.

After every fault the test checks that schema and history agree (every recorded migration's
tables exist; no table of an unrecorded one does) and that the next run completes.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import anyio
import pytest

from conftest import require_redis_server
from dbwarden import Runner
from dbwarden.errors import DatabaseUnavailableError, MigrationFailedError
from dbwarden.locks.database import advisory_key, migration_application_name
from helpers import migration, query, tables, write_project

pytestmark = pytest.mark.anyio

ENV = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}


def cli(root: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "dbwarden", "--config", str(root / "dbconfig.py"), *args]


def run_cli(root: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cli(root, *args), cwd=root, capture_output=True, text=True, timeout=timeout, env=ENV
    )


_started: list[subprocess.Popen[str]] = []


def start_cli(root: Path, *args: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        cli(root, *args),
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=ENV,
    )
    _started.append(proc)
    return proc


@pytest.fixture(autouse=True)
def _no_run_outlives_its_test() -> Iterator[None]:
    yield
    while _started:
        proc = _started.pop()
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


def flat(text: str) -> str:
    """CLI output without rich's panel borders and line wrapping."""
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", text).split())


def is_pg(url: str) -> bool:
    return url.startswith("postgresql")


def sqlite_path(url: str) -> Path:
    return Path(url.removeprefix("sqlite:///"))


async def recorded(url: str) -> list[str]:
    if "dbwarden_migrations" not in await tables(url):
        return []
    return [r[0] for r in await query(url, "SELECT name FROM dbwarden_migrations ORDER BY name")]


async def assert_consistent(url: str, objects: dict[str, set[str]]) -> list[str]:
    """Schema and history agree: each recorded migration's tables exist and no table of an
    unrecorded migration does; each version is recorded at most once. Returns the recorded
    names, in order."""
    present = await tables(url)
    names = await recorded(url)
    assert len(names) == len(set(names)), f"a migration is recorded twice: {names}"
    assert set(names) <= set(objects), f"unknown history rows: {set(names) - set(objects)}"
    for name, made in objects.items():
        if name in names:
            assert made <= present, f"{name} is recorded but {made - present} do not exist"
        else:
            assert not made & present, f"{name} is not recorded but {made & present} exist"
    return names


async def wait_for(
    condition: Callable[[], Awaitable[bool]],
    *,
    timeout: float = 20,
    proc: subprocess.Popen[str] | None = None,
    what: str = "the condition",
) -> None:
    deadline = time.monotonic() + timeout
    while not await condition():
        if proc is not None and proc.poll() is not None:
            out = proc.stdout.read() if proc.stdout else ""
            raise AssertionError(f"the run ended (exit {proc.returncode}) before {what}: {out}")
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await anyio.sleep(0.05)


def finish(proc: subprocess.Popen[str], timeout: float = 60) -> tuple[int, str]:
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
        raise AssertionError(f"the run did not finish within {timeout}s: {out}") from None
    return proc.returncode, out


def slow_sql(url: str, seconds: float) -> str:
    if is_pg(url):
        return f"SELECT pg_sleep({seconds});"
    rows = int(seconds * 3_000_000)  # SQLite has no sleep: a recursive count instead
    return (
        f"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < {rows}) "
        "SELECT count(*) FROM c;"
    )


async def pg_backends(url: str, application_name_like: str, query_like: str = "%") -> list[int]:
    rows = await query(
        url,
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
        f"AND application_name LIKE '{application_name_like}' AND query LIKE '{query_like}' "
        "AND state = 'active' AND pid <> pg_backend_pid()",
    )
    return [r[0] for r in rows]


async def pg_terminate(url: str, pid: int) -> None:
    assert await query(url, f"SELECT pg_terminate_backend({pid})") == [(True,)]


# --- many processes at once ----------------------------------------------------------------

RACE = {
    f"{i:04d}_t{i}.sql": migration(
        f"CREATE TABLE t{i} (id integer PRIMARY KEY, v text);\n"
        f"INSERT INTO t{i} (id, v) VALUES (1, 'x');",
        f"DROP TABLE t{i};",
    )
    for i in range(1, 21)
}
RACE_OBJECTS = {f"{i:04d}_t{i}": {f"t{i}"} for i in range(1, 21)}


@pytest.mark.slow
@pytest.mark.timeout(120)
@pytest.mark.parametrize("with_redis", [False, pytest.param(True, marks=pytest.mark.redis)])
async def test_ten_processes_apply_every_migration_exactly_once(
    tmp_path: Path, database_url: str, with_redis: bool, request: pytest.FixtureRequest
) -> None:
    options: dict[str, object] = {"lock_timeout": 90}
    if with_redis:
        options["redis_url"] = request.getfixturevalue("redis_url")
        options["redis_key"] = f"dbwarden:test:{uuid.uuid4().hex[:12]}"
    write_project(tmp_path, database_url, RACE, **options)
    procs = [start_cli(tmp_path, "migrate") for _ in range(10)]
    outcomes = [finish(p, timeout=100) for p in procs]
    assert [code for code, _ in outcomes] == [0] * 10, outcomes
    rows = await query(
        database_url, "SELECT version, count(*) FROM dbwarden_migrations GROUP BY version"
    )
    assert len(rows) == 20 and {count for _, count in rows} == {1}
    assert len(await assert_consistent(database_url, RACE_OBJECTS)) == 20
    for i in range(1, 21):
        assert await query(database_url, f"SELECT count(*) FROM t{i}") == [(1,)]
    if with_redis:
        import redis

        assert redis.from_url(str(options["redis_url"])).exists(str(options["redis_key"])) == 0
    again = run_cli(tmp_path, "migrate")
    assert again.returncode == 0, again.stdout + again.stderr


# --- SIGKILL in the middle of a large insert -----------------------------------------------


@pytest.mark.slow
@pytest.mark.timeout(90)
async def test_sigkill_during_a_large_insert(tmp_path: Path, database_url: str) -> None:
    """Killed while a large INSERT is being written: no history row, no table, no rows; on
    SQLite the half-written file is restored from its hot journal. The next run applies the
    same file in full."""
    # About two seconds each; on SQLite an index on random text makes every row dirty pages
    # all over the file, so the transaction spills into the database file early.
    if is_pg(database_url):
        rows = 1_000_000
        big = (
            "CREATE TABLE big (id bigint PRIMARY KEY, v text);\n"
            f"INSERT INTO big SELECT g, md5(g::text) FROM generate_series(1, {rows}) g;"
        )
    else:
        rows = 600_000
        big = (
            "CREATE TABLE big (id integer PRIMARY KEY, v text);\n"
            "CREATE INDEX big_v ON big (v);\n"
            f"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < {rows}) "
            "INSERT INTO big SELECT x, hex(randomblob(16)) FROM c;"
        )
    files = {
        "0001_a.sql": migration("CREATE TABLE a (id integer);", "DROP TABLE a;"),
        "0002_big.sql": migration(big, "DROP TABLE big;"),
        "0003_after.sql": migration("CREATE TABLE after (id integer);", "DROP TABLE after;"),
    }
    objects = {"0001_a": {"a"}, "0002_big": {"big"}, "0003_after": {"after"}}
    write_project(tmp_path, database_url, files, lock_ttl=2.0, lock_timeout=30)
    proc = start_cli(tmp_path, "migrate")
    try:
        if is_pg(database_url):

            async def inserting() -> bool:
                name = migration_application_name("primary")
                return bool(await pg_backends(database_url, name, "%generate_series%"))

            await wait_for(inserting, proc=proc, what="the insert to start")
            await anyio.sleep(0.5)
        else:
            path = sqlite_path(database_url)

            async def spilled() -> bool:  # pages of the open transaction reach the file
                return path.exists() and path.stat().st_size > 4_000_000

            await wait_for(spilled, proc=proc, what="the insert to write to the file")
    finally:
        proc.kill()  # SIGKILL
        proc.wait()
    assert proc.returncode == -signal.SIGKILL

    if not is_pg(database_url):
        path = sqlite_path(database_url)
        # The killed transaction's pages are in the file, its journal next to it ("hot"):
        # the next connection to open the file rolls it back.
        assert path.stat().st_size > 4_000_000
        assert Path(f"{path}-journal").exists()
    assert await assert_consistent(database_url, objects) == ["0001_a"]

    done = run_cli(tmp_path, "migrate")
    assert done.returncode == 0, done.stdout + done.stderr
    assert await assert_consistent(database_url, objects) == ["0001_a", "0002_big", "0003_after"]
    assert await query(database_url, "SELECT count(*) FROM big") == [(rows,)]
    if not is_pg(database_url):
        assert await query(database_url, "PRAGMA integrity_check") == [("ok",)]


# --- connections terminated under the runner (PostgreSQL) ----------------------------------

DROP_FILES = {
    "0001_a.sql": migration("CREATE TABLE a (id integer);", "DROP TABLE a;"),
    "0002_slow.sql": migration(
        "CREATE TABLE half (id integer);\nINSERT INTO half VALUES (1);\nSELECT pg_sleep(30);",
        "DROP TABLE half;",
    ),
    "0003_c.sql": migration("CREATE TABLE c (id integer);", "DROP TABLE c;"),
}
DROP_OBJECTS = {"0001_a": {"a"}, "0002_slow": {"half"}, "0003_c": {"c"}}
FAST_0002 = migration(
    "CREATE TABLE half (id integer);\nINSERT INTO half VALUES (1);", "DROP TABLE half;"
)


async def _terminate_when_sleeping(url: str, proc: subprocess.Popen[str] | None = None) -> None:
    """Wait until the runner's migration connection sits in 0002's pg_sleep (found by its
    application_name in pg_stat_activity), then terminate that backend."""
    name = migration_application_name("primary")

    async def sleeping() -> bool:
        return bool(await pg_backends(url, name, "%pg_sleep(30)%"))

    await wait_for(sleeping, proc=proc, what="0002 to start")
    pids = await pg_backends(url, name, "%pg_sleep(30)%")
    assert len(pids) == 1, pids
    await pg_terminate(url, pids[0])


@pytest.mark.postgres
@pytest.mark.timeout(60)
async def test_migration_connection_terminated_in_process(tmp_path: Path, pg_database: str) -> None:
    handle = write_project(tmp_path, pg_database, DROP_FILES, lock_timeout=10)
    started = time.monotonic()
    async with anyio.create_task_group() as tg:
        tg.start_soon(_terminate_when_sleeping, pg_database)
        with pytest.raises(MigrationFailedError) as info:
            await Runner(handle).upgrade()
    assert time.monotonic() - started < 20  # failed at once, not after the 30 s sleep
    error = info.value
    assert error.path is not None and error.path.name == "0002_slow.sql"
    assert error.version == "2" and error.transactional
    assert "terminating connection" in error.db_message
    assert "0002_slow.sql" in str(error)
    assert await assert_consistent(pg_database, DROP_OBJECTS) == ["0001_a"]

    (tmp_path / "migrations" / "primary" / "0002_slow.sql").write_text(FAST_0002)
    result = await Runner(handle).upgrade()
    assert [s.name for s in result.applied] == ["0002_slow", "0003_c"]
    assert await assert_consistent(pg_database, DROP_OBJECTS) == ["0001_a", "0002_slow", "0003_c"]
    assert await query(pg_database, "SELECT count(*) FROM half") == [(1,)]


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.timeout(60)
async def test_migration_connection_terminated_cli(tmp_path: Path, pg_database: str) -> None:
    write_project(tmp_path, pg_database, DROP_FILES, lock_timeout=10)
    proc = start_cli(tmp_path, "migrate")
    await _terminate_when_sleeping(pg_database, proc)
    code, out = finish(proc, timeout=30)
    assert code == 1, out
    text = flat(out)
    assert "0002_slow.sql" in text and "terminating connection" in text, text
    assert "nothing changed" in text
    assert await assert_consistent(pg_database, DROP_OBJECTS) == ["0001_a"]

    (tmp_path / "migrations" / "primary" / "0002_slow.sql").write_text(FAST_0002)
    done = run_cli(tmp_path, "migrate")
    assert done.returncode == 0, done.stdout + done.stderr
    assert await assert_consistent(pg_database, DROP_OBJECTS) == ["0001_a", "0002_slow", "0003_c"]


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.timeout(60)
async def test_lock_connection_terminated_stops_before_the_next_migration(
    tmp_path: Path, pg_database: str
) -> None:
    """The advisory lock goes with its session. The migration already running on the other
    connection finishes (its transaction is not the lock's), and the run stops before the
    next one with LockLostError: exit 3."""
    files = {
        **DROP_FILES,
        "0002_slow.sql": DROP_FILES["0002_slow.sql"].replace("pg_sleep(30)", "pg_sleep(1.5)"),
    }
    write_project(tmp_path, pg_database, files, lock_timeout=10)
    proc = start_cli(tmp_path, "migrate")
    name = migration_application_name("primary")

    async def sleeping() -> bool:
        return bool(await pg_backends(pg_database, name, "%pg_sleep(1.5)%"))

    await wait_for(sleeping, proc=proc, what="0002 to start")
    rows = await query(
        pg_database,
        "SELECT pid FROM pg_stat_activity WHERE application_name LIKE 'dbwarden lock primary%'",
    )
    assert len(rows) == 1, rows
    await pg_terminate(pg_database, rows[0][0])
    code, out = finish(proc, timeout=30)
    assert code == 3, out
    text = flat(out)
    assert "lock connection closed" in text and "before its next migration" in text, text
    assert await assert_consistent(pg_database, DROP_OBJECTS) == ["0001_a", "0002_slow"]

    done = run_cli(tmp_path, "migrate")
    assert done.returncode == 0, done.stdout + done.stderr
    assert await assert_consistent(pg_database, DROP_OBJECTS) == ["0001_a", "0002_slow", "0003_c"]


# --- Redis going away while a run holds it (the CLI's view) --------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PrivateRedis:
    """A redis-server of the test's own, so that the test can stop and restart it."""

    def __init__(self, binary: str) -> None:
        self.binary = binary
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        import redis

        self.proc = subprocess.Popen(
            [
                self.binary,
                *("--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no"),
            ],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                redis.from_url(self.url).ping()
                return
            except redis.RedisError:
                assert time.monotonic() < deadline, "private redis-server did not start"
                time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None


@pytest.fixture
def private_redis(redis_url: str) -> Iterator[PrivateRedis]:
    binary = require_redis_server()
    server = PrivateRedis(binary)
    server.start()
    try:
        yield server
    finally:
        server.stop()


REDIS_OBJECTS = {"0001_a": {"a"}, "0002_slow": {"half"}, "0003_c": {"c"}}


def _redis_files(url: str) -> dict[str, str]:
    return {
        "0001_a.sql": migration("CREATE TABLE a (id integer);", "DROP TABLE a;"),
        "0002_slow.sql": migration(
            "CREATE TABLE half (id integer);\n" + slow_sql(url, 2.0), "DROP TABLE half;"
        ),
        "0003_c.sql": migration("CREATE TABLE c (id integer);", "DROP TABLE c;"),
    }


@pytest.mark.redis
@pytest.mark.slow
@pytest.mark.timeout(60)
async def test_redis_key_deleted_mid_run_cli(
    tmp_path: Path, database_url: str, redis_url: str
) -> None:
    import redis

    key = f"dbwarden:test:{uuid.uuid4().hex[:12]}"
    write_project(
        tmp_path, database_url, _redis_files(database_url), redis_url=redis_url, redis_key=key
    )
    client = redis.from_url(redis_url)
    proc = start_cli(tmp_path, "migrate")
    try:

        async def in_0002() -> bool:
            return await recorded(database_url) == ["0001_a"]

        await wait_for(in_0002, proc=proc, what="0001 to be recorded")
        assert client.delete(key) == 1
        code, out = finish(proc, timeout=30)
    finally:
        client.delete(key)
    assert code == 3, out
    text = flat(out)
    assert "Redis lock was lost" in text and key in text, text
    # 0002 was running when the key went; it commits, 0003 never starts.
    assert await assert_consistent(database_url, REDIS_OBJECTS) == ["0001_a", "0002_slow"]

    done = run_cli(tmp_path, "migrate")
    assert done.returncode == 0, done.stdout + done.stderr
    assert await assert_consistent(database_url, REDIS_OBJECTS) == [
        "0001_a",
        "0002_slow",
        "0003_c",
    ]
    assert client.exists(key) == 0


@pytest.mark.redis
@pytest.mark.slow
@pytest.mark.timeout(60)
async def test_redis_stopped_mid_run_cli(
    tmp_path: Path, database_url: str, private_redis: PrivateRedis
) -> None:
    write_project(
        tmp_path,
        database_url,
        _redis_files(database_url),
        redis_url=private_redis.url,
        lock_timeout=3,
    )
    proc = start_cli(tmp_path, "migrate")

    async def in_0002() -> bool:
        return await recorded(database_url) == ["0001_a"]

    await wait_for(in_0002, proc=proc, what="0001 to be recorded")
    private_redis.stop()
    code, out = finish(proc, timeout=30)
    assert code == 3, out
    text = flat(out)
    assert "Redis lock was lost" in text and "unreachable" in text, text
    # Redis went down after 0001 committed: either 0002 was already running (it finishes,
    # with its row) or the check before 0002 saw the lock gone first. Both stop cleanly
    # before a migration; 0003 never starts.
    stopped_at = await assert_consistent(database_url, REDIS_OBJECTS)
    assert stopped_at in (["0001_a"], ["0001_a", "0002_slow"])

    # While Redis is down a run cannot take the lock, and says why.
    down = run_cli(tmp_path, "migrate")
    assert down.returncode == 3, down.stdout + down.stderr
    assert "cannot reach Redis" in flat(down.stderr)
    assert await assert_consistent(database_url, REDIS_OBJECTS) == stopped_at

    private_redis.start()  # the same port: the configuration is unchanged
    done = run_cli(tmp_path, "migrate")
    assert done.returncode == 0, done.stdout + done.stderr
    assert await assert_consistent(database_url, REDIS_OBJECTS) == [
        "0001_a",
        "0002_slow",
        "0003_c",
    ]


# --- a lock that is never released (the CLI's view) ----------------------------------------


@pytest.mark.slow
@pytest.mark.timeout(60)
async def test_lock_timeout_exits_3_and_names_the_holder(tmp_path: Path, database_url: str) -> None:
    files = {"0001_a.sql": migration("CREATE TABLE a (id integer);", "DROP TABLE a;")}
    write_project(tmp_path, database_url, files, lock_timeout=1)
    held = None
    if is_pg(database_url):
        import asyncpg

        held = await asyncpg.connect(
            database_url, server_settings={"application_name": "other-deployer"}
        )
        await held.execute("SELECT pg_advisory_lock($1)", advisory_key("primary", None))
        holder_pid = await held.fetchval("SELECT pg_backend_pid()")
        expected = ["other-deployer", f"pid {holder_pid}"]
    else:
        now = datetime.now(UTC)
        with sqlite3.connect(sqlite_path(database_url)) as db:
            db.execute(
                "CREATE TABLE dbwarden_lock (id INTEGER PRIMARY KEY, owner VARCHAR(128) NOT NULL, "
                "host VARCHAR(255), pid INTEGER, acquired_at VARCHAR(40) NOT NULL, "
                "expires_at VARCHAR(40) NOT NULL)"
            )
            db.execute(
                "INSERT INTO dbwarden_lock VALUES (1, 'other-deployer', 'build-7', 4242, ?, ?)",
                (now.isoformat(), (now + timedelta(hours=1)).isoformat()),
            )
        db.close()
        expected = ["other-deployer", "build-7", "pid 4242"]
    try:
        started = time.monotonic()
        done = run_cli(tmp_path, "migrate")
        assert 1.0 <= time.monotonic() - started < 20
    finally:
        if held is not None:
            await held.close()
    assert done.returncode == 3, done.stdout + done.stderr
    text = flat(done.stderr)
    assert "could not take the migration lock within 1s" in text, text
    for part in expected:
        assert part in text, (part, text)
    assert await assert_consistent(database_url, {"0001_a": {"a"}}) == []

    if not is_pg(database_url):
        with sqlite3.connect(sqlite_path(database_url)) as db:
            db.execute("DELETE FROM dbwarden_lock")
        db.close()
    again = run_cli(tmp_path, "migrate")
    assert again.returncode == 0, again.stdout + again.stderr
    assert await assert_consistent(database_url, {"0001_a": {"a"}}) == ["0001_a"]


# --- SQLite: a read-only file, a full disk ---------------------------------------------------


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _immutable(path: Path, on: bool) -> bool:
    """``chattr +i`` / ``-i``: read-only even for root. False when unsupported here."""
    chattr = shutil.which("chattr")
    if chattr is None:
        return False
    done = subprocess.run(
        [chattr, "+i" if on else "-i", str(path)], capture_output=True, check=False
    )
    return done.returncode == 0


ReadOnly = Callable[[Path], Callable[[], None]]


@pytest.fixture
def make_read_only() -> Iterator[ReadOnly]:
    """Make a path read-only in a way that holds for root too (``chattr +i``; chmod when not
    root) and return its undo. Skips when neither stops this process from writing. Whatever
    is still read-only when the test ends is made writable again."""
    pending: list[Callable[[], None]] = []

    def apply(path: Path) -> Callable[[], None]:
        if os.geteuid() != 0:
            mode = path.stat().st_mode
            path.chmod(0o555 if path.is_dir() else 0o444)

            def undo() -> None:
                path.chmod(mode)

        elif _immutable(path, True):

            def undo() -> None:
                _immutable(path, False)

        else:
            pytest.skip("running as root and chattr +i is unavailable: chmod cannot stop writes")
        pending.append(undo)

        def restore() -> None:
            pending.remove(undo)
            undo()

        try:
            with open(path / "probe" if path.is_dir() else path, "a"):
                pass
        except OSError:
            return restore
        pytest.skip(f"could not make {path} read-only on this file system")

    yield apply
    for undo in reversed(pending):
        undo()


@pytest.mark.slow
@pytest.mark.parametrize("what", ["file", "directory"])
async def test_read_only_sqlite_file(tmp_path: Path, make_read_only: ReadOnly, what: str) -> None:
    """A read-only database file (or a read-only directory, where SQLite cannot create its
    journal): a clear error that names the file, exit 1, the file byte for byte unchanged;
    writable again, the next run completes."""
    db_dir = tmp_path / "data"
    db_dir.mkdir()
    db = db_dir / "app.db"
    url = f"sqlite:///{db}"
    files = {"0001_a.sql": migration("CREATE TABLE a (id integer);", "DROP TABLE a;")}
    handle = write_project(tmp_path, url, files)
    assert run_cli(tmp_path, "migrate").returncode == 0
    (tmp_path / "migrations" / "primary" / "0002_b.sql").write_text(
        migration("CREATE TABLE b (id integer);", "DROP TABLE b;")
    )
    objects = {"0001_a": {"a"}, "0002_b": {"b"}}
    before = sha256(db)
    writable_again = make_read_only(db if what == "file" else db_dir)

    done = run_cli(tmp_path, "migrate")
    assert done.returncode == 1, done.stdout + done.stderr
    text = flat(done.stderr)
    assert f"database 'primary': could not take the migration lock in {db}" in text, text
    assert "readonly" in text or "unable to open" in text, text
    assert "writable" in text and "Unexpected error" not in text, text
    with pytest.raises(DatabaseUnavailableError, match="could not take the migration lock"):
        await Runner(handle).upgrade()
    assert sha256(db) == before
    assert not Path(f"{db}-journal").exists()
    assert await assert_consistent(url, objects) == ["0001_a"]

    writable_again()
    again = run_cli(tmp_path, "migrate")
    assert again.returncode == 0, again.stdout + again.stderr
    assert await assert_consistent(url, objects) == ["0001_a", "0002_b"]


@pytest.mark.slow
async def test_disk_full_sqlite(tmp_path: Path, sqlite_url: str) -> None:
    """``PRAGMA max_page_count`` caps the file a few pages above its size: the large insert
    that follows fails with SQLITE_FULL ("database or disk is full") half way, exactly as
    on a full disk. The error names the file and statement, the transaction rolls back, the
    file passes its integrity check and history is unchanged."""
    files = {"0001_a.sql": migration("CREATE TABLE a (id integer);", "DROP TABLE a;")}
    write_project(tmp_path, sqlite_url, files)
    assert run_cli(tmp_path, "migrate").returncode == 0
    db = sqlite_path(sqlite_url)
    with sqlite3.connect(db) as conn:
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.close()
    insert = (
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 200000) "
        "INSERT INTO big SELECT x, hex(randomblob(32)) FROM c;"
    )
    (tmp_path / "migrations" / "primary" / "0002_big.sql").write_text(
        migration(
            f"PRAGMA max_page_count = {pages + 40};\n"
            "CREATE TABLE big (id integer PRIMARY KEY, v text);\n" + insert,
            "DROP TABLE big;",
        )
    )
    objects = {"0001_a": {"a"}, "0002_big": {"big"}}

    done = run_cli(tmp_path, "migrate")
    assert done.returncode == 1, done.stdout + done.stderr
    text = flat(done.stderr)
    assert "0002_big.sql:4" in text and "database or disk is full" in text, text
    assert "INSERT INTO big" in text and "nothing changed" in text
    assert await query(sqlite_url, "PRAGMA integrity_check") == [("ok",)]
    assert await assert_consistent(sqlite_url, objects) == ["0001_a"]
    assert db.stat().st_size <= (pages + 40) * 4096

    # With room again (the cap removed), the same migration applies.
    (tmp_path / "migrations" / "primary" / "0002_big.sql").write_text(
        migration(
            "CREATE TABLE big (id integer PRIMARY KEY, v text);\n" + insert, "DROP TABLE big;"
        )
    )
    again = run_cli(tmp_path, "migrate")
    assert again.returncode == 0, again.stdout + again.stderr
    assert await assert_consistent(sqlite_url, objects) == ["0001_a", "0002_big"]
    assert await query(sqlite_url, "SELECT count(*) FROM big") == [(200_000,)]
