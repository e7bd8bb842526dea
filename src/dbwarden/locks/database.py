"""Database locks: a PostgreSQL advisory lock, and a lock row for SQLite and other backends."""

from __future__ import annotations

import hashlib
import os
import random
import socket
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from types import TracebackType

import anyio

from ..config import ResolvedURL
from ..drivers import Connection, connect
from ..errors import (
    DatabaseUnavailableError,
    DBWardenError,
    LockHolder,
    LockLostError,
    LockTimeoutError,
)
from ..events import EventSink, LockAcquired, LockReleased, LockWaiting, emit

__all__ = [
    "AdvisoryLock",
    "TableLock",
    "advisory_key",
    "database_lock",
    "read_holder",
    "release_lock",
]

LOCK_TABLE = "dbwarden_lock"
_FIRST_DELAY = 0.05
_MAX_DELAY = 2.0


def advisory_key(database: str, schema: str | None) -> int:
    """A stable signed 64-bit advisory-lock key for one tracking table."""
    digest = hashlib.sha256(f"dbwarden:{schema or 'public'}:{database}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def migration_application_name(database: str) -> str:
    """The ``application_name`` of a run's migration connection on PostgreSQL."""
    return f"dbwarden migrate {database}"[:63]


# Queries whose row count is their answer, so that on asyncpg they go as one simple query
# with the values inlined (one round trip each instead of a prepare and an execute).
_TRY_LOCK = "SELECT 1 WHERE pg_try_advisory_lock(CAST({0} AS bigint))"
_UNLOCK = "SELECT 1 WHERE pg_advisory_unlock(CAST({0} AS bigint))"
# The migration sessions (by application_name) in this database other than our own. Read
# from pg_stat_get_activity() itself: the pg_stat_activity view around it costs the server
# twice as much (its rewrite and joins), once per lock taken.
_ORPHANS = (
    "SELECT {what} FROM pg_stat_get_activity(NULL) "
    "WHERE datid = (SELECT oid FROM pg_database WHERE datname = current_database()) "
    "AND application_name = {{0}} AND pid <> pg_backend_pid()"
)


async def _count(conn: Connection, template: str, *values: str | int) -> int:
    """The number of rows ``template`` (``{0}``, ``{1}``… for the values) returns."""
    literal = getattr(conn, "literal", None)
    if literal is not None:  # asyncpg: the status tag of a simple query holds the count
        return await conn.execute(template.format(*(literal(v) for v in values)))
    marks = [conn.param(i) for i in range(1, len(values) + 1)]
    return len(await conn.fetch(template.format(*marks), values))


def _split_key(key: int) -> tuple[int, int]:
    unsigned = key & 0xFFFFFFFFFFFFFFFF
    return unsigned >> 32, unsigned & 0xFFFFFFFF


class _Backoff:
    """Jittered exponential backoff bounded by a deadline."""

    def __init__(self, timeout: float) -> None:
        self.start = time.monotonic()
        self.deadline = self.start + timeout
        self.delay = _FIRST_DELAY

    @property
    def waited(self) -> float:
        return time.monotonic() - self.start

    def expired(self) -> bool:
        return time.monotonic() >= self.deadline

    async def sleep(self) -> None:
        remaining = self.deadline - time.monotonic()
        pause = min(self.delay * random.uniform(0.75, 1.25), max(remaining, 0.0))
        self.delay = min(self.delay * 1.6, _MAX_DELAY)
        await anyio.sleep(pause)


def _owner_token() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


async def stop_renewal(tg: anyio.abc.TaskGroup | None) -> None:
    """Cancel and leave the task group a lock entered for its background renewal."""
    if tg is not None:
        tg.cancel_scope.cancel()
        await tg.__aexit__(None, None, None)


async def _close_shielded(conn: Connection | None) -> None:
    if conn is None:
        return
    with anyio.CancelScope(shield=True):
        await conn.aclose()


class AdvisoryLock:
    """``pg_try_advisory_lock`` polled with jittered backoff on a dedicated connection.

    Never a blocking ``pg_advisory_lock``: a blocked waiter would deadlock a holder that runs
    ``CREATE INDEX CONCURRENTLY`` (which waits for every open transaction). The connection is
    closed, not pooled, when the run ends or is cancelled, so the server releases the lock
    even if the unlock never reaches it.
    """

    kind = "database"

    def __init__(
        self,
        url: ResolvedURL,
        *,
        database: str,
        key: int,
        timeout: float,
        connect_timeout: float,
        sinks: tuple[EventSink, ...] = (),
    ) -> None:
        self.url = url
        self.database = database
        self.key = key
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self.sinks = sinks
        self.conn: Connection | None = None

    async def __aenter__(self) -> AdvisoryLock:
        name = f"dbwarden lock {self.database} ({socket.gethostname()} pid {os.getpid()})"
        self.conn = await connect(self.url, timeout=self.connect_timeout, application_name=name)
        try:
            await self._acquire(self.conn)
        except BaseException as exc:
            conn, self.conn = self.conn, None
            await _close_shielded(conn)
            _reraise_unavailable(exc, self.database, self.url)
            raise
        return self

    async def _acquire(self, conn: Connection) -> None:
        backoff = _Backoff(self.timeout)
        told = False
        while True:
            if await _count(conn, _TRY_LOCK, self.key):
                await self._reap_orphans(conn, backoff)
                emit(self.sinks, LockAcquired(self.database, self.kind, backoff.waited))
                return
            if backoff.expired() or not told:
                holder = await read_advisory_holder(conn, self.key)
                if backoff.expired():
                    raise LockTimeoutError(
                        f"database {self.database!r}: could not take the migration lock within "
                        f"{self.timeout:g}s; it is held by {_describe(holder)}. Wait for that "
                        "run to finish, or stop it (`dbwarden lock status` shows it)",
                        holder=holder,
                    )
                emit(self.sinks, LockWaiting(self.database, self.kind, holder, backoff.waited))
                told = True
            await backoff.sleep()

    async def _reap_orphans(self, conn: Connection, backoff: _Backoff) -> None:
        """End the migration sessions of runs that died while holding the lock.

        A runner killed with SIGKILL loses its lock connection at once, but the server may
        still be executing its migration on the other connection (it only notices a dead
        client when it next talks to it). Runs open their migration connection only after
        taking the lock, so any such session seen now, while we hold the lock, is an
        orphan: terminating it rolls its transaction back before we plan anything.
        """
        name = migration_application_name(self.database)
        try:
            found = await _count(conn, _ORPHANS.format(what="pg_terminate_backend(pid)"), name)
        except Exception:  # e.g. not allowed to terminate it: wait, then say so
            found = -1
        if found == 0:
            return
        listing = _ORPHANS.format(what="pid").format(conn.param(1))
        while rows := await conn.fetch(listing, (name,)):
            if backoff.expired():
                raise LockTimeoutError(
                    f"database {self.database!r}: a migration session of a run that died "
                    f"(pid {rows[0][0]}) is still running and could not be terminated; "
                    "end it with pg_terminate_backend() and run again"
                )
            await anyio.sleep(0.05)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        conn, self.conn = self.conn, None
        if conn is None:
            return
        released = False
        with anyio.CancelScope(shield=True):
            try:
                if exc_type is None:
                    released = await _count(conn, _UNLOCK, self.key) == 1
            except Exception:
                pass
            finally:
                terminate = getattr(conn, "terminate", None)
                if released and terminate is not None:
                    # The server confirmed the lock is free: nothing left to wait for, so the
                    # socket is closed (after a Terminate message) without awaiting the
                    # backend's exit. Otherwise the close waits until the session has ended,
                    # which is when the server drops the lock.
                    terminate()
                else:
                    await conn.aclose()
                emit(self.sinks, LockReleased(self.database, self.kind))

    async def guard(self, conn: Connection) -> None:
        if self.conn is None:
            raise LockLostError(f"database {self.database!r}: the migration lock is not held")
        raw = getattr(self.conn, "raw", None)
        if raw is not None and getattr(raw, "is_closed", lambda: False)():
            raise LockLostError(
                f"database {self.database!r}: the lock connection closed; the advisory lock "
                "is gone, so the run stops before its next migration"
            )


def _reraise_unavailable(exc: BaseException, database: str, url: ResolvedURL) -> None:
    """A database error while taking the lock (a read-only SQLite file, a full disk, the
    lock connection terminated) becomes a ``DatabaseUnavailableError`` naming the database,
    instead of escaping as a bare driver exception."""
    if isinstance(exc, Exception) and not isinstance(exc, DBWardenError):
        sqlite = url.driver == "aiosqlite"
        raise DatabaseUnavailableError(
            f"database {database!r}: could not take the migration lock in "
            f"{url.dsn if sqlite else url.redacted}: {str(exc).strip() or type(exc).__name__}"
            + (
                " (SQLite writes the file and a journal next to it: check that both the file "
                "and its directory are writable and the disk is not full)"
                if sqlite
                else ""
            )
        ) from exc


def _describe(holder: LockHolder | None) -> str:
    return holder.describe() if holder is not None else "another session (it may just have ended)"


async def read_advisory_holder(conn: Connection, key: int) -> LockHolder | None:
    """Who holds the advisory lock ``key`` in the current database, from ``pg_locks`` and
    ``pg_stat_activity``."""
    classid, objid = _split_key(key)
    p = conn.param
    rows = await conn.fetch(
        "SELECT a.pid, a.application_name, a.state_change, a.usename, "
        "host(a.client_addr) "
        "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
        f"AND l.classid = CAST(CAST({p(1)} AS bigint) AS oid) "
        f"AND l.objid = CAST(CAST({p(2)} AS bigint) AS oid) "
        "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
        "LIMIT 1",
        (classid, objid),
    )
    if not rows:
        return None
    pid, app, since, user, host = rows[0]
    return LockHolder(
        owner=str(user) if user else None,
        host=str(host) if host else None,
        pid=int(pid),  # type: ignore[call-overload]
        application_name=str(app) if app else None,
        since=since if isinstance(since, datetime) else None,
        kind="database",
    )


# --- lock row ------------------------------------------------------------------------------

_LOCK_DDL = (
    f"CREATE TABLE IF NOT EXISTS {LOCK_TABLE} (\n"
    "    id INTEGER PRIMARY KEY,\n"
    "    owner VARCHAR(128) NOT NULL,\n"
    "    host VARCHAR(255),\n"
    "    pid INTEGER,\n"
    "    acquired_at VARCHAR(40) NOT NULL,\n"
    "    expires_at VARCHAR(40) NOT NULL\n"
    ")"
)


def _iso(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat(timespec="microseconds")


def _parse(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def _row_holder(row: tuple[object, ...]) -> LockHolder:
    owner, host, pid, acquired_at, expires_at = row
    return LockHolder(
        owner=str(owner) if owner is not None else None,
        host=str(host) if host is not None else None,
        pid=int(pid) if isinstance(pid, int) else None,
        since=_parse(acquired_at),
        expires_at=_parse(expires_at),
        kind="database",
    )


class TableLock:
    """A lock row in ``dbwarden_lock`` with an expiry, renewed in the background while held
    and checked (and extended) inside every migration's transaction. A row whose expiry has
    passed belongs to a run that died; it is taken over."""

    kind = "database"

    def __init__(
        self,
        url: ResolvedURL,
        *,
        database: str,
        timeout: float,
        ttl: float,
        connect_timeout: float,
        sinks: tuple[EventSink, ...] = (),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.url = url
        self.database = database
        self.timeout = timeout
        self.ttl = ttl
        self.connect_timeout = connect_timeout
        self.sinks = sinks
        self.clock = clock
        self.token = _owner_token()
        self.conn: Connection | None = None
        self.lost: str | None = None
        self._tg: anyio.abc.TaskGroup | None = None

    async def __aenter__(self) -> TableLock:
        self.conn = await connect(self.url, timeout=self.connect_timeout)
        try:
            if self.conn.dialect == "sqlite":
                # The renewer must not sit behind a long migration transaction for the
                # default 30 s busy timeout; it simply tries again on its next tick.
                await self.conn.execute("PRAGMA busy_timeout = 2000")
            await self._acquire(self.conn)
            self._tg = anyio.create_task_group()
            await self._tg.__aenter__()
            self._tg.start_soon(self._renew_forever)
        except BaseException as exc:
            conn, self.conn = self.conn, None
            await _close_shielded(conn)
            _reraise_unavailable(exc, self.database, self.url)
            raise
        return self

    async def _acquire(self, conn: Connection) -> None:
        await _retry_busy(lambda: conn.execute(_LOCK_DDL))
        backoff = _Backoff(self.timeout)
        told = False
        while True:
            holder = await self._try_take(conn)
            if holder is None:
                emit(self.sinks, LockAcquired(self.database, self.kind, backoff.waited))
                return
            if backoff.expired():
                raise LockTimeoutError(
                    f"database {self.database!r}: could not take the migration lock within "
                    f"{self.timeout:g}s; it is held by {_describe(holder)}. Wait for that run "
                    "to finish; a run that died frees it when it expires, or "
                    "`dbwarden lock release` removes it",
                    holder=holder,
                )
            if not told:
                emit(self.sinks, LockWaiting(self.database, self.kind, holder, backoff.waited))
                told = True
            await backoff.sleep()

    async def _try_take(self, conn: Connection) -> LockHolder | None:
        """Take the lock row if it is free or expired; otherwise return who holds it."""
        now = self.clock()
        p = conn.param
        try:
            async with conn.transaction():
                rows = await conn.fetch(
                    f"SELECT owner, host, pid, acquired_at, expires_at FROM {LOCK_TABLE} "
                    "WHERE id = 1"
                )
                values = (
                    self.token,
                    socket.gethostname(),
                    os.getpid(),
                    _iso(now),
                    _iso(now + timedelta(seconds=self.ttl)),
                )
                if not rows:
                    await conn.execute(
                        f"INSERT INTO {LOCK_TABLE} (id, owner, host, pid, acquired_at, "
                        f"expires_at) VALUES (1, {p(1)}, {p(2)}, {p(3)}, {p(4)}, {p(5)})",
                        values,
                    )
                    return None
                holder = _row_holder(rows[0])
                if holder.expires_at is not None and holder.expires_at > now:
                    return holder
                taken = await conn.execute(
                    f"UPDATE {LOCK_TABLE} SET owner = {p(1)}, host = {p(2)}, pid = {p(3)}, "
                    f"acquired_at = {p(4)}, expires_at = {p(5)} WHERE id = 1 AND owner = {p(6)}",
                    (*values, holder.owner),
                )
                return None if taken == 1 else holder
        except Exception as exc:
            if _is_busy_or_conflict(exc):
                return LockHolder(owner="another run (the database is busy)", kind="database")
            raise

    async def _renew_forever(self) -> None:
        interval = max(self.ttl / 3, 0.05)
        while True:
            await anyio.sleep(interval)
            conn = self.conn
            if conn is None:
                return
            try:
                changed = await conn.execute(*self._extend(conn))
            except Exception:
                continue
            if changed == 0:
                self.lost = "the lock row was taken over or removed"
                return

    def _extend(self, conn: Connection) -> tuple[str, tuple[object, ...]]:
        """The statement pushing our row's expiry one TTL ahead (no row changes: not ours)."""
        p = conn.param
        expires = _iso(self.clock() + timedelta(seconds=self.ttl))
        return (
            f"UPDATE {LOCK_TABLE} SET expires_at = {p(1)} WHERE id = 1 AND owner = {p(2)}",
            (expires, self.token),
        )

    async def guard(self, conn: Connection) -> None:
        if self.lost is not None:
            raise LockLostError(f"database {self.database!r}: migration lock lost: {self.lost}")
        changed = await conn.execute(*self._extend(conn))
        if changed == 0:
            self.lost = "the lock row was taken over or removed"
            raise LockLostError(
                f"database {self.database!r}: migration lock lost ({self.lost}); the run "
                "stopped before this migration. Another run may be migrating: check "
                "`dbwarden status` before running again"
            )

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        conn, self.conn = self.conn, None
        tg, self._tg = self._tg, None
        try:
            await stop_renewal(tg)
        finally:
            await self._release(conn)

    async def _release(self, conn: Connection | None) -> None:
        if conn is None:
            return
        with anyio.CancelScope(shield=True):
            try:
                p = conn.param
                await _retry_busy(
                    lambda: conn.execute(
                        f"DELETE FROM {LOCK_TABLE} WHERE id = 1 AND owner = {p(1)}",
                        (self.token,),
                    )
                )
            except Exception:
                pass
            finally:
                await conn.aclose()
                emit(self.sinks, LockReleased(self.database, self.kind))


def _is_busy_or_conflict(exc: BaseException) -> bool:
    text = str(exc).lower()
    return any(
        word in text for word in ("database is locked", "busy", "unique", "duplicate", "integrity")
    )


async def _retry_busy(call: Callable[[], Awaitable[object]], attempts: int = 50) -> None:
    for attempt in range(attempts):
        try:
            await call()
            return
        except Exception as exc:
            if attempt == attempts - 1 or not _is_busy_or_conflict(exc):
                raise
            await anyio.sleep(0.05 + random.random() * 0.1)


def database_lock(
    url: ResolvedURL,
    *,
    database: str,
    schema: str | None,
    timeout: float,
    ttl: float,
    connect_timeout: float,
    sinks: tuple[EventSink, ...] = (),
) -> AdvisoryLock | TableLock:
    """The database lock that fits ``url``'s backend."""
    if url.dialect == "postgresql":
        return AdvisoryLock(
            url,
            database=database,
            key=advisory_key(database, schema),
            timeout=timeout,
            connect_timeout=connect_timeout,
            sinks=sinks,
        )
    return TableLock(
        url,
        database=database,
        timeout=timeout,
        ttl=ttl,
        connect_timeout=connect_timeout,
        sinks=sinks,
    )


async def read_holder(conn: Connection, *, database: str, schema: str | None) -> LockHolder | None:
    """Who holds the database lock now, through an open connection (status, lock status)."""
    if conn.dialect == "postgresql":
        return await read_advisory_holder(conn, advisory_key(database, schema))
    if not await conn.table_exists(LOCK_TABLE, None):
        return None
    rows = await conn.fetch(
        f"SELECT owner, host, pid, acquired_at, expires_at FROM {LOCK_TABLE} WHERE id = 1"
    )
    return _row_holder(rows[0]) if rows else None


async def release_lock(conn: Connection, *, database: str, schema: str | None) -> LockHolder | None:
    """Force the lock free (``dbwarden lock release``): delete the lock row, or terminate the
    PostgreSQL session holding the advisory lock. Returns who held it."""
    holder = await read_holder(conn, database=database, schema=schema)
    if holder is None:
        return None
    if conn.dialect == "postgresql":
        await conn.fetch(f"SELECT pg_terminate_backend({conn.param(1)})", (holder.pid,))
    else:
        await conn.execute(f"DELETE FROM {LOCK_TABLE} WHERE id = 1")
    return holder
