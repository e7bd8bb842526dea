"""The Redis lock on a real Redis: taken with the database lock, renewed, released by its
owner only, and a lost key stops the run before its next migration."""

from __future__ import annotations

import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from conftest import require_redis_server
from dbwarden import Runner
from dbwarden.errors import LockError, LockLostError, LockTimeoutError
from dbwarden.events import Event, LockAcquired, StepApplied
from dbwarden.locks.redis import SyncRedisLock
from helpers import migration, query, write_project

pytestmark = [pytest.mark.anyio, pytest.mark.redis]

FILES = {
    f"{i:04d}_t{i}.sql": migration(f"CREATE TABLE t{i} (id integer);", f"DROP TABLE t{i};")
    for i in range(1, 4)
}


@pytest.fixture
def key() -> str:
    return f"dbwarden:test:{uuid.uuid4().hex[:10]}"


async def test_run_takes_and_releases_the_redis_lock(
    tmp_path: Path, sqlite_url: str, redis_url: str, key: str
) -> None:
    handle = write_project(tmp_path, sqlite_url, FILES, redis_url=redis_url, redis_key=key)
    seen: list[Event] = []
    result = await Runner(handle, events=[seen.append]).upgrade()
    assert len(result.applied) == 3
    assert [e.kind for e in seen if isinstance(e, LockAcquired)] == ["redis", "database"]
    assert redis.from_url(redis_url).exists(key) == 0


async def test_redis_lock_timeout_names_the_holder(
    tmp_path: Path, sqlite_url: str, redis_url: str, key: str
) -> None:
    client = redis.from_url(redis_url)
    client.set(key, "build-host:4242:abcdef", px=60_000)
    try:
        handle = write_project(
            tmp_path, sqlite_url, FILES, redis_url=redis_url, redis_key=key, lock_timeout=0.5
        )
        with pytest.raises(LockTimeoutError) as info:
            await handle.runner.upgrade()
        assert info.value.holder is not None and info.value.holder.pid == 4242
        assert "build-host" in str(info.value)
        assert info.value.exit_code == 3
        assert client.get(key) == b"build-host:4242:abcdef"  # never released by a non-owner
    finally:
        client.delete(key)


async def test_deleted_key_stops_the_run_before_its_next_migration(
    tmp_path: Path, database_url: str, redis_url: str, key: str
) -> None:
    handle = write_project(tmp_path, database_url, FILES, redis_url=redis_url, redis_key=key)
    client = redis.from_url(redis_url)

    def steal(event: Event) -> None:
        if isinstance(event, StepApplied) and event.index == 1:
            client.set(key, "thief:1:x", px=60_000)

    try:
        with pytest.raises(LockLostError, match="Redis lock was lost"):
            await Runner(handle, events=[steal]).upgrade()
        rows = await query(database_url, "SELECT name FROM dbwarden_migrations")
        assert rows == [("0001_t1",)]
        assert client.get(key) == b"thief:1:x"  # the loser did not delete the new owner's key
        client.delete(key)
        result = await handle.runner.upgrade()
        assert [s.name for s in result.applied] == ["0002_t2", "0003_t3"]
    finally:
        client.delete(key)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def private_redis(redis_url: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A Redis server of the test's own, so that the test can stop it."""
    binary = require_redis_server()
    port = _free_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 10
    while True:
        try:
            redis.from_url(url).ping()
            break
        except redis.RedisError:
            assert time.monotonic() < deadline, "private redis-server did not start"
            time.sleep(0.05)
    try:
        yield url, proc
    finally:
        proc.kill()
        proc.wait()


async def test_redis_stopped_mid_run_stops_cleanly(
    tmp_path: Path, sqlite_url: str, private_redis: tuple[str, subprocess.Popen[bytes]]
) -> None:
    url, proc = private_redis
    handle = write_project(tmp_path, sqlite_url, FILES, redis_url=url, lock_timeout=2)

    def stop_redis(event: Event) -> None:
        if isinstance(event, StepApplied) and event.index == 1:
            proc.kill()
            proc.wait()

    with pytest.raises(LockLostError, match="unreachable"):
        await Runner(handle, events=[stop_redis]).upgrade()
    assert await query(sqlite_url, "SELECT name FROM dbwarden_migrations") == [("0001_t1",)]
    # Without Redis the next run cannot take the lock and says so; with Redis gone from
    # the configuration it completes.
    with pytest.raises(LockError):
        await handle.runner.upgrade()
    handle.redis_url = None
    result = await Runner(handle).upgrade()
    assert [s.name for s in result.applied] == ["0002_t2", "0003_t3"]


def test_sync_lock(redis_url: str, key: str) -> None:
    with SyncRedisLock(redis_url, database="x", key=key, ttl=5):
        client = redis.from_url(redis_url)
        assert client.get(key) is not None
        with (
            pytest.raises(LockTimeoutError),
            SyncRedisLock(redis_url, database="x", key=key, timeout=0.2),
        ):
            pass
    assert redis.from_url(redis_url).exists(key) == 0
