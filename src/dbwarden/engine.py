"""One cached ``AsyncEngine`` and ``async_sessionmaker`` per resolved async URL.

SQLAlchemy is imported on first use, not with this module: ``dbwarden migrate`` never
needs it, and importing it costs a CLI a noticeable fraction of a second.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
    from sqlalchemy.pool import ConnectionPoolEntry

__all__ = ["dispose_engines", "get_engine", "get_sessionmaker"]

_engines: dict[str, AsyncEngine] = {}
_sessionmakers: dict[str, async_sessionmaker[AsyncSession]] = {}


def get_engine(async_url: str) -> AsyncEngine:
    """The process-wide engine for ``async_url``, created on first use."""
    engine = _engines.get(async_url)
    if engine is None:
        from sqlalchemy.ext.asyncio import create_async_engine

        if async_url.startswith("sqlite"):
            # A local file: no server, nothing in the pool can go stale.
            engine = create_async_engine(async_url)
        elif async_url.startswith("postgresql+asyncpg"):
            # No pre-ping: a round trip per checkout cost a one-row route 10-20% of its
            # throughput (benchmarks/fastapi_session.py). A pooled connection whose server
            # side is gone (a restart, an idle timeout, pg_terminate_backend) is dropped at
            # checkout for free, and a disconnect seen by a query invalidates the pool.
            engine = create_async_engine(async_url)
            _discard_closed_asyncpg_connections(engine)
        else:
            engine = create_async_engine(async_url, pool_pre_ping=True)
        _engines[async_url] = engine
    return engine


def _discard_closed_asyncpg_connections(engine: AsyncEngine) -> None:
    from sqlalchemy import event
    from sqlalchemy.exc import DisconnectionError

    def checkout(dbapi_connection: object, record: ConnectionPoolEntry, proxy: object) -> None:
        raw = record.driver_connection
        if raw is not None and raw.is_closed():
            raise DisconnectionError("the server closed this pooled connection")  # retried

    event.listen(engine.sync_engine, "checkout", checkout)


def get_sessionmaker(async_url: str) -> async_sessionmaker[AsyncSession]:
    """The process-wide ``async_sessionmaker`` (``expire_on_commit=False``) for ``async_url``."""
    maker = _sessionmakers.get(async_url)
    if maker is None:
        from sqlalchemy.ext.asyncio import async_sessionmaker

        maker = async_sessionmaker(get_engine(async_url), expire_on_commit=False)
        _sessionmakers[async_url] = maker
    return maker


async def dispose_engines() -> None:
    """Dispose every cached engine (application shutdown, test teardown)."""
    engines = list(_engines.values())
    _engines.clear()
    _sessionmakers.clear()
    for engine in engines:
        await engine.dispose()
