"""Throwaway databases, the schema the migrations produce, and reading a schema back.

A scratch database is an in-memory SQLite database, or on PostgreSQL a database created for
the occasion on the configured server and dropped afterwards (``DROP DATABASE ... WITH
(FORCE)``, shielded from cancellation). The existing migrations are applied to one by the
real ``Runner`` over a SQLAlchemy connection, so the schema they produce is exactly what
``dbwarden migrate`` would build; the models are created in another with
``MetaData.create_all``. The configured database itself is never connected to, except by
``check --live``, which only reads its catalog.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import replace
from typing import TYPE_CHECKING, Any
from urllib.parse import quote as url_quote

import anyio

from ..errors import DatabaseUnavailableError, DBWardenError, DraftError, MigrationFailedError
from . import postgres, sqlite
from .snapshot import Schema

if TYPE_CHECKING:
    from sqlalchemy import Connection, MetaData
    from sqlalchemy.engine import URL
    from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

    from ..config import DatabaseHandle, ResolvedURL
    from ..locks import Lock
    from ..model import RunResult

__all__ = [
    "apply_migrations",
    "create_models",
    "execute",
    "live_database",
    "reflect",
    "scratch_databases",
]

SCRATCH_PREFIX = "dbwarden_draft_"


async def reflect(conn: AsyncConnection) -> Schema:
    """The schema behind ``conn`` as a ``Schema`` snapshot."""
    if conn.dialect.name == "sqlite":
        return await sqlite.reflect(conn)
    if conn.dialect.name == "postgresql":
        return await postgres.reflect(conn)
    raise DraftError(  # pragma: no cover - scratch_database refuses other dialects first
        f"drafting supports PostgreSQL and SQLite, not {conn.dialect.name}"
    )


def _message(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    return str(orig if orig is not None else exc).split("\n[SQL:")[0].strip()


@asynccontextmanager
async def scratch_databases(
    url: ResolvedURL, count: int = 1
) -> AsyncIterator[list[tuple[AsyncConnection, str]]]:
    """Connections to ``count`` new, empty schemas of ``url``'s dialect, each with the URL of
    its database; everything is gone when the block ends.

    SQLite: one in-memory database each. PostgreSQL: one temporary database (creating one
    costs the server a copy of ``template1``, a few hundred milliseconds); the first
    connection uses its ``public`` schema, exactly as a new database, and each further one
    a schema of its own, first on its ``search_path``.
    """
    from sqlalchemy.ext.asyncio import create_async_engine
    from sqlalchemy.pool import NullPool, StaticPool

    if url.dialect == "sqlite":
        async with AsyncExitStack() as stack:
            found: list[tuple[AsyncConnection, str]] = []
            for _ in range(count):
                engine = create_async_engine("sqlite+aiosqlite://", poolclass=StaticPool)
                stack.push_async_callback(engine.dispose)
                found.append((await stack.enter_async_context(engine.connect()), "sqlite://"))
            yield found
        return
    if url.dialect != "postgresql":
        raise DraftError(
            f"drafting supports PostgreSQL and SQLite databases, not {url.redacted}; write "
            "migrations for it by hand"
        )

    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    base = make_url(url.async_url)
    if base.drivername != "postgresql+asyncpg":
        base = base.set(drivername="postgresql+asyncpg")
    name = f"{SCRATCH_PREFIX}{uuid.uuid4().hex[:12]}"
    admin, template = await _admin_engine(base)
    created = False
    try:
        try:
            async with admin.connect() as conn:
                await conn.exec_driver_sql(f'CREATE DATABASE "{name}"{template}')
                created = True
                # Nothing here needs to survive a crash: do not wait for the WAL flush at
                # each of the migrations' commits (a third of the time of applying them).
                await conn.exec_driver_sql(f'ALTER DATABASE "{name}" SET synchronous_commit TO off')
        except (SQLAlchemyError, OSError) as exc:
            raise _create_failed(exc, url) from None
        scratch_url = base.set(database=name)
        engine = create_async_engine(scratch_url, poolclass=NullPool)
        try:
            async with AsyncExitStack() as stack:
                found = []
                for i in range(count):
                    conn = await stack.enter_async_context(engine.connect())
                    if i:
                        schema = f"{SCRATCH_PREFIX}{i}"
                        await conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
                        await conn.exec_driver_sql(f'SET search_path TO "{schema}", public')
                        await conn.commit()
                    found.append((conn, scratch_url.render_as_string(hide_password=False)))
                yield found
        finally:
            with anyio.CancelScope(shield=True):
                await engine.dispose()
    finally:
        with anyio.CancelScope(shield=True):
            try:
                if created:
                    async with admin.connect() as conn:
                        await conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            finally:
                await admin.dispose()


def _create_failed(exc: BaseException, url: ResolvedURL) -> DBWardenError:
    message = _message(exc)
    if "permission denied" in message:
        return DraftError(
            f"drafting on PostgreSQL creates a temporary database on the server of "
            f"{url.redacted}, and its user may not: {message}. Grant it (ALTER ROLE ... "
            "CREATEDB), or draft with a dev_database_url whose user may"
        )
    return DatabaseUnavailableError(
        f"cannot create a temporary database on the server of {url.redacted}: {message}"
    )


async def _admin_engine(base: URL) -> tuple[AsyncEngine, str]:
    """An autocommit engine on the server's maintenance database (``postgres``, else
    ``template1``; creating a database takes a connection to another one), and the
    ``TEMPLATE`` clause to create with (``template0`` when connected to ``template1``)."""
    from sqlalchemy.exc import SQLAlchemyError
    from sqlalchemy.ext.asyncio import create_async_engine
    from sqlalchemy.pool import NullPool

    for database, template in (("postgres", ""), ("template1", " TEMPLATE template0")):
        engine = create_async_engine(
            base.set(database=database), poolclass=NullPool, isolation_level="AUTOCOMMIT"
        )
        try:
            async with engine.connect():
                return engine, template
        except (SQLAlchemyError, OSError) as exc:
            if f'database "{database}" does not exist' not in _message(exc):
                return engine, template  # the real error shows when it is used
            await engine.dispose()
    raise DraftError("the PostgreSQL server has neither a postgres nor a template1 database")


async def apply_migrations(
    handle: DatabaseHandle,
    conn: AsyncConnection,
    scratch_url: str,
    *,
    target: str | None = None,
) -> RunResult | None:
    """Apply ``handle``'s migrations (up to ``target``) to the scratch database behind
    ``conn`` (at ``scratch_url``) with the ``Runner``; ``None`` when there is no migrations
    directory yet."""
    from ..runner import Runner

    class ScratchRunner(Runner):
        # No migration lock: nothing else can reach a throwaway database, and the lock's
        # own connection could not even see an in-memory one.
        def locks(self, url: ResolvedURL | None = None) -> tuple[Lock, ...]:
            return ()

    if not handle.migrations_dir.is_dir():
        return None
    scratch = replace(
        handle,
        url=scratch_url,
        async_url_override=None,
        dev_url=None,
        dev=False,
        redis_url=None,
        environ={},
    )
    if conn.dialect.name == "postgresql":
        # Through the raw driver, exactly as `dbwarden migrate` runs them: a section is one
        # simple-query script, and `no-transaction` files (CREATE INDEX CONCURRENTLY) run
        # outside a transaction, which SQLAlchemy's autobegin would not allow.
        runner = ScratchRunner(scratch)
    else:
        # An in-memory SQLite database is only reachable through this very connection.
        runner = ScratchRunner(scratch, connection=conn)
    try:
        result = await runner.upgrade(target)
    except MigrationFailedError as exc:
        where = f"{exc.path}:{exc.line}" if exc.line is not None else str(exc.path)
        raise DraftError(
            f"the existing migrations do not build on an empty {conn.dialect.name} database, "
            f"which is how drafting finds the schema they produce: {where}: {exc.db_message}"
            + (f"\n  in statement: {exc.statement}" if exc.statement else "")
            + "\nfix the migration (does it depend on data or objects that only the real "
            "database has?)"
        ) from exc
    if conn.in_transaction():
        await conn.commit()
    return result


async def create_models(conn: AsyncConnection, metadatas: Iterable[MetaData]) -> None:
    """``create_all`` every ``MetaData`` in the scratch database behind ``conn``.

    ``checkfirst=False``: on PostgreSQL the models get a schema of their own, and the
    migrations' tables on the search path behind it must not count as existing. There the
    DDL is compiled first and sent as one simple-query script: one round trip instead of
    one per table, index and comment (a second saved per 500 tables).
    """
    from sqlalchemy import create_mock_engine
    from sqlalchemy.exc import SQLAlchemyError

    chosen = tuple(metadatas)
    try:
        if conn.dialect.name == "postgresql":
            statements: list[str] = []

            def collect(ddl: Any, *args: object, **kwargs: object) -> None:
                statements.append(str(ddl.compile(dialect=conn.dialect)))

            mock = create_mock_engine(conn.engine.url, collect)
            for metadata in chosen:
                metadata.create_all(mock, checkfirst=False)
            raw = await conn.get_raw_connection()
            try:
                await raw.driver_connection.execute(";\n".join(statements))  # type: ignore[union-attr]
            except Exception as exc:  # asyncpg's errors: the statement the server refused
                raise DraftError(
                    f"the models cannot be created on postgresql: {exc}; fix the model (a "
                    "type, default or expression this database does not have?)"
                ) from None
            return

        def create(sync: Connection) -> None:
            for metadata in chosen:
                metadata.create_all(sync, checkfirst=False)

        await conn.run_sync(create)
        await conn.commit()
    except SQLAlchemyError as exc:
        raise DraftError(
            f"the models cannot be created on {conn.dialect.name}: {_message(exc)}; fix the "
            "model (a type or default this database does not have?)"
        ) from None


async def execute(conn: AsyncConnection, statements: Iterable[str]) -> None:
    """Run statements on a scratch database and commit."""
    for statement in statements:
        await conn.exec_driver_sql(statement)
    await conn.commit()


@asynccontextmanager
async def live_database(url: ResolvedURL) -> AsyncIterator[AsyncConnection | None]:
    """A read-only connection to the configured database (``check --live``); ``None`` for a
    SQLite file that does not exist (an empty database, which is not created)."""
    from sqlalchemy.exc import SQLAlchemyError
    from sqlalchemy.ext.asyncio import create_async_engine
    from sqlalchemy.pool import NullPool

    if url.dialect == "sqlite":
        if url.dsn != ":memory:" and not os.path.exists(url.dsn):  # noqa: ASYNC240
            yield None
            return
        target = f"sqlite+aiosqlite:///file:{url_quote(url.dsn)}?mode=ro&uri=true"
    elif url.dialect == "postgresql":
        target = url.async_url
    else:
        raise DraftError(f"drafting supports PostgreSQL and SQLite databases, not {url.redacted}")
    engine = create_async_engine(target, poolclass=NullPool)
    try:
        try:
            conn = await engine.connect()
        except (SQLAlchemyError, OSError) as exc:
            raise DatabaseUnavailableError(
                f"cannot connect to {url.redacted}: {_message(exc)}"
            ) from None
        try:
            yield conn
        finally:
            with anyio.CancelScope(shield=True):
                await conn.close()
    finally:
        with anyio.CancelScope(shield=True):
            await engine.dispose()
