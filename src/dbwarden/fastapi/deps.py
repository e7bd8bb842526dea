"""Session dependencies: one ``AsyncSession`` per request, from the configured databases.

``primary.async_session`` is ``Annotated[AsyncSession, Depends(...)]``, so a route writes
``session: primary.async_session`` and nothing else. Sessions come from the process-wide
``async_sessionmaker`` of the database's resolved async URL (``dbwarden.engine``: one
engine per URL, ``expire_on_commit=False``), created on first use.

Each database has one dependency callable, shared by ``handle.async_session`` and
``get_session(name)``: FastAPI caches a dependency's value per request by its callable, so
every parameter and sub-dependency naming one database gets the same session in one
request, and two databases get two independent sessions.
"""

from __future__ import annotations

import weakref
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

import anyio
from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from ..config import DatabaseHandle, databases, get_database
from ..engine import get_sessionmaker
from ..errors import ConfigError

__all__ = ["SessionDependency", "get_session", "session_annotation", "session_dependency"]

SessionDependency = Callable[[], AsyncIterator[AsyncSession]]

_dependencies: weakref.WeakKeyDictionary[DatabaseHandle, dict[bool | None, SessionDependency]] = (
    weakref.WeakKeyDictionary()
)


def _make(resolve: Callable[[], DatabaseHandle], dev: bool | None, name: str) -> SessionDependency:
    url: str | None = None  # resolved on the first request, then a dict lookup per request

    async def dependency() -> AsyncIterator[AsyncSession]:
        nonlocal url
        if url is None:
            url = resolve().async_url(dev=dev)
        # Looked up per request (a dict hit), not captured: dispose_engines() at shutdown
        # empties the cache, and the next lifespan must get a fresh engine, not a dead one.
        session = get_sessionmaker(url)()
        try:
            yield session
        except BaseException:
            # The route raised: nothing it did may be committed by a later flush. Shielded,
            # so a cancelled request still hands its connection back clean.
            with anyio.CancelScope(shield=True):
                await session.rollback()
            raise
        finally:
            with anyio.CancelScope(shield=True):
                await session.close()

    dependency.__name__ = dependency.__qualname__ = f"dbwarden_session_{name}"
    return dependency


def session_dependency(handle: DatabaseHandle, *, dev: bool | None = None) -> SessionDependency:
    """The dependency callable yielding ``handle``'s per-request session (one per handle and
    dev mode, so FastAPI shares it within a request)."""
    per_handle = _dependencies.setdefault(handle, {})
    dependency = per_handle.get(dev)
    if dependency is None:
        # A weak reference: the cache must not keep a replaced handle alive.
        ref = weakref.ref(handle)
        handle_name = handle.name

        def resolve() -> DatabaseHandle:
            alive = ref()
            if alive is None:
                raise ConfigError(f"database {handle_name!r} was configured again; restart")
            return alive

        dependency = _make(resolve, dev, handle_name)
        per_handle[dev] = dependency
    return dependency


def session_annotation(handle: DatabaseHandle, *, dev: bool | None = None) -> Any:
    """``Annotated[AsyncSession, Depends(...)]`` for ``handle`` (``handle.async_session``)."""
    return Annotated[AsyncSession, Depends(session_dependency(handle, dev=dev))]


def get_session(database: str | None = None, *, dev: bool = False) -> SessionDependency:
    """A dependency yielding one ``AsyncSession`` per request from ``database`` (default:
    the default database); ``dev=True`` uses its ``dev_database_url``, as does
    ``ENVIRONMENT=development``. Use it as ``Depends(get_session("analytics"))``.

    The session is rolled back if the route raises and always closed. An unknown name is a
    ``ConfigError`` listing the configured databases: raised here when the configuration is
    already loaded, else on the first request.
    """
    mode = True if dev else None  # dev=False must not switch off ENVIRONMENT=development
    if databases():
        return session_dependency(get_database(database), dev=mode)
    # Declared before the configuration module was imported: resolve on the first request.
    return _make(lambda: get_database(database), mode, database or "default")
