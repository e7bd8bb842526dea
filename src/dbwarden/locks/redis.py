"""A Redis lock for fleets of app instances that migrate on boot. The only redis importer.

``SET key token NX PX ttl`` takes it; a background task renews it at a third of the TTL; a
Lua compare-and-delete releases it only for its owner. If renewal fails or the key is gone
(Redis restarted, someone deleted it), the run stops before its next migration with
``LockLostError``. It is taken in addition to the database lock, never instead of it.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from types import TracebackType
from typing import TYPE_CHECKING, Any

import anyio
import redis as redis_sync
import redis.asyncio as redis_async

from ..errors import LockError, LockHolder, LockLostError, LockTimeoutError
from ..events import EventSink, LockAcquired, LockReleased, LockWaiting, emit
from .database import _Backoff, stop_renewal

if TYPE_CHECKING:
    from ..drivers import Connection

__all__ = ["RedisLock", "SyncRedisLock", "default_key", "read_redis_holder"]

DEFAULT_TTL = 30.0

# Extend the key only while it still holds our token.
_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
# Delete the key only while it still holds our token.
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('del', KEYS[1])
end
return 0
"""


def default_key(database: str) -> str:
    return f"dbwarden:lock:{database}"


def _token() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def _holder(value: bytes | str | None, ttl_ms: int | None) -> LockHolder | None:
    if value is None:
        return None
    text = value.decode() if isinstance(value, bytes) else value
    host, _, rest = text.partition(":")
    pid_text = rest.partition(":")[0]
    expires = None
    if ttl_ms is not None and ttl_ms > 0:
        from datetime import UTC, datetime, timedelta

        expires = datetime.now(UTC) + timedelta(milliseconds=ttl_ms)
    return LockHolder(
        owner=text,
        host=host or None,
        pid=int(pid_text) if pid_text.isdigit() else None,
        expires_at=expires,
        kind="redis",
    )


async def read_redis_holder(url: str, key: str) -> LockHolder | None:
    """Who holds the Redis lock ``key`` now (``dbwarden lock status``)."""
    client: Any = redis_async.from_url(url)
    try:
        value = await client.get(key)
        ttl = await client.pttl(key) if value is not None else None
        return _holder(value, ttl)
    finally:
        await client.aclose()


class RedisLock:
    """The async Redis lock; an async context manager like the database locks."""

    kind = "redis"

    def __init__(
        self,
        url: str,
        *,
        database: str,
        key: str | None = None,
        ttl: float = DEFAULT_TTL,
        timeout: float = 60.0,
        sinks: tuple[EventSink, ...] = (),
    ) -> None:
        if ttl <= 0 or timeout < 0:
            raise ValueError("ttl must be positive and timeout not negative")
        self.url = url
        self.database = database
        self.key = key or default_key(database)
        self.ttl = ttl
        self.timeout = timeout
        self.sinks = sinks
        self.token = _token()
        self.lost: str | None = None
        self._client: Any = None
        self._tg: anyio.abc.TaskGroup | None = None

    @property
    def _ttl_ms(self) -> int:
        return max(int(self.ttl * 1000), 1)

    async def __aenter__(self) -> RedisLock:
        self._client = redis_async.from_url(self.url)
        try:
            await self._acquire()
            self._tg = anyio.create_task_group()
            await self._tg.__aenter__()
            self._tg.start_soon(self._renew_forever)
        except BaseException:
            client, self._client = self._client, None
            with anyio.CancelScope(shield=True):
                await client.aclose()
            raise
        return self

    async def _acquire(self) -> None:
        backoff = _Backoff(self.timeout)
        told = False
        while True:
            try:
                taken = await self._client.set(self.key, self.token, nx=True, px=self._ttl_ms)
            except redis_async.RedisError as exc:
                raise LockError(
                    f"database {self.database!r}: cannot reach Redis for the migration lock "
                    f"({type(exc).__name__}: {exc}); check redis_url / DBWARDEN_REDIS_URL"
                ) from None
            if taken:
                emit(self.sinks, LockAcquired(self.database, self.kind, backoff.waited))
                return
            value = await self._client.get(self.key)
            holder = _holder(value, await self._client.pttl(self.key))
            if backoff.expired():
                who = holder.describe() if holder else "another run (it may just have ended)"
                raise LockTimeoutError(
                    f"database {self.database!r}: could not take the Redis lock {self.key!r} "
                    f"within {self.timeout:g}s; it is held by {who}",
                    holder=holder,
                )
            if not told:
                emit(self.sinks, LockWaiting(self.database, self.kind, holder, backoff.waited))
                told = True
            await backoff.sleep()

    async def _extend(self) -> None:
        """Extend the key if it is still ours; otherwise mark the lock lost."""
        try:
            extended = await self._client.eval(_RENEW, 1, self.key, self.token, self._ttl_ms)
        except redis_async.RedisError as exc:
            self.lost = f"Redis is unreachable ({type(exc).__name__}: {exc})"
            return
        if not extended:
            self.lost = f"the key {self.key!r} expired or was deleted or taken over"

    async def _renew_forever(self) -> None:
        interval = max(self.ttl / 3, 0.05)
        while self.lost is None:
            await anyio.sleep(interval)
            await self._extend()

    async def guard(self, conn: Connection) -> None:
        if self.lost is None:
            await self._extend()
        if self.lost is not None:
            raise LockLostError(
                f"database {self.database!r}: the Redis lock was lost: {self.lost}. The run "
                "stopped before its next migration; every migration that finished is recorded. "
                "Run again once Redis is healthy"
            )

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        client, self._client = self._client, None
        tg, self._tg = self._tg, None
        try:
            await stop_renewal(tg)
        finally:
            if client is not None:
                with anyio.CancelScope(shield=True):
                    try:
                        with anyio.move_on_after(5):
                            await client.eval(_RELEASE, 1, self.key, self.token)
                    except redis_async.RedisError:
                        pass  # it expires on its own
                    finally:
                        await client.aclose()
                        emit(self.sinks, LockReleased(self.database, self.kind))


class SyncRedisLock:
    """The same lock for synchronous scripts: ``with SyncRedisLock(url, database="x"):``.

    It is not renewed in the background: pick a TTL longer than the work, or call
    ``extend()`` between steps (it raises ``LockLostError`` if the lock is gone).
    """

    def __init__(
        self,
        url: str,
        *,
        database: str,
        key: str | None = None,
        ttl: float = DEFAULT_TTL,
        timeout: float = 60.0,
    ) -> None:
        self.url = url
        self.database = database
        self.key = key or default_key(database)
        self.ttl = ttl
        self.timeout = timeout
        self.token = _token()
        self._client: Any = None

    def __enter__(self) -> SyncRedisLock:
        self._client = redis_sync.from_url(self.url)
        deadline = time.monotonic() + self.timeout
        delay = 0.05
        while not self._client.set(self.key, self.token, nx=True, px=int(self.ttl * 1000)):
            if time.monotonic() >= deadline:
                holder = _holder(self._client.get(self.key), self._client.pttl(self.key))
                self._client.close()
                raise LockTimeoutError(
                    f"could not take the Redis lock {self.key!r} within {self.timeout:g}s; "
                    f"it is held by {holder.describe() if holder else 'another run'}",
                    holder=holder,
                )
            time.sleep(delay)
            delay = min(delay * 1.6, 2.0)
        return self

    def extend(self) -> None:
        if not self._client.eval(_RENEW, 1, self.key, self.token, int(self.ttl * 1000)):
            raise LockLostError(f"the Redis lock {self.key!r} expired or was taken over")

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self._client.eval(_RELEASE, 1, self.key, self.token)
        finally:
            self._client.close()
