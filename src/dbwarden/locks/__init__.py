"""Migration locks behind one async context-manager protocol.

The database lock is always taken (PostgreSQL: a session-level advisory lock on a dedicated
connection; SQLite and other backends: a lock row with an expiry). A Redis lock
(``dbwarden.locks.redis``) can be added on top for fleets of app instances; it never
replaces the database lock.
"""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING, Protocol

from ..errors import LockHolder

if TYPE_CHECKING:
    from ..drivers import Connection

__all__ = ["Lock", "LockHolder"]


class Lock(Protocol):
    """A migration lock. Entering acquires it (waiting up to its timeout, then raising
    ``LockTimeoutError``); leaving releases it, also on error and cancellation."""

    kind: str

    async def __aenter__(self) -> Lock: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def guard(self, conn: Connection) -> None:
        """Called inside each migration's transaction, before it commits anything: raise
        ``LockLostError`` if the lock is no longer ours."""
        ...


def __getattr__(name: str) -> object:
    # ``from dbwarden.locks import RedisLock`` without importing redis for everyone else.
    if name in ("RedisLock",):
        from . import redis as _redis

        return getattr(_redis, name)
    raise AttributeError(name)
