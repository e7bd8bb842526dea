"""The driver protocol over a SQLAlchemy ``AsyncConnection``: any dialect SQLAlchemy speaks,
and running inside an application's own engine (``Runner(handle, connection=conn)``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from sqlalchemy import inspect as sa_inspect
from sqlalchemy import text as sa_text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection

from ..config import redact_url
from ..errors import DatabaseUnavailableError
from ..sql import Dialect, Statement
from . import Row, StatementError

if TYPE_CHECKING:
    from ..config import ResolvedURL

__all__ = ["SQLAlchemyConnection"]


def _dialect_of(conn: AsyncConnection) -> Dialect:
    name = conn.dialect.name
    if name == "postgresql":
        return "postgresql"
    if name == "sqlite":
        return "sqlite"
    return "generic"


def _message(exc: BaseException) -> str:
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        return str(exc.orig).strip() or type(exc.orig).__name__
    return str(exc).split("\n[SQL:")[0].strip()


class SQLAlchemyConnection:
    """Adapts an ``AsyncConnection``. ``owned``: whether this adapter opened it (and so
    closes it); a connection passed in by the user is left open for them.

    A connection that is not in a transaction when it is handed over is used like the raw
    drivers: each migration commits with its history row. A connection already inside a
    transaction stays the caller's: each migration runs under a savepoint and nothing is
    committed until the caller commits.
    """

    def __init__(self, conn: AsyncConnection, *, owned: bool) -> None:
        self.conn = conn
        self.owned = owned
        self.commits = owned or not conn.in_transaction()
        self.dialect: Dialect = _dialect_of(conn)

    @classmethod
    async def open(cls, url: ResolvedURL, *, timeout: float) -> SQLAlchemyConnection:
        from ..engine import get_engine

        engine = get_engine(url.async_url)
        try:
            conn = await engine.connect()
        except (SQLAlchemyError, OSError) as exc:
            raise DatabaseUnavailableError(
                f"cannot connect to {redact_url(url.async_url)}: {_message(exc)}"
            ) from None
        return cls(conn, owned=True)

    def param(self, index: int) -> str:
        return f":p{index}"

    def _params(self, params: Sequence[object]) -> dict[str, object]:
        return {f"p{i}": value for i, value in enumerate(params, start=1)}

    async def _autocommit(self) -> None:
        # Outside ``transaction()`` every statement stands alone, as on the raw drivers.
        if self.commits and self.conn.in_transaction() and not self._in_tx:
            await self.conn.commit()

    _in_tx = False

    async def execute(self, sql: str, params: Sequence[object] = ()) -> int:
        result = await self.conn.execute(sa_text(sql), self._params(params))
        count = result.rowcount if result.returns_rows is False else -1
        await self._autocommit()
        return int(count)

    async def fetch(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        result = await self.conn.execute(sa_text(sql), self._params(params))
        rows = [tuple(r) for r in result.all()]
        await self._autocommit()
        return rows

    async def run_statements(
        self, text: str, statements: Sequence[Statement], *, transactional: bool
    ) -> None:
        if not transactional and self.commits:
            await self._run_autocommit(statements)
            return
        for ran, statement in enumerate(statements):
            try:
                await self.conn.exec_driver_sql(statement.text)
            except SQLAlchemyError as exc:
                raise StatementError(_message(exc), statement=statement, ran=ran) from None
            if not transactional:
                await self._autocommit()

    async def _run_autocommit(self, statements: Sequence[Statement]) -> None:
        """``no-transaction`` statements (``CREATE INDEX CONCURRENTLY``) must not run in the
        transaction SQLAlchemy begins on its own: switch the connection to AUTOCOMMIT for
        them, and back afterwards."""
        if self.conn.in_transaction():
            await self.conn.commit()
        previous = await self.conn.get_isolation_level()
        await self.conn.execution_options(isolation_level="AUTOCOMMIT")
        try:
            for ran, statement in enumerate(statements):
                try:
                    await self.conn.exec_driver_sql(statement.text)
                except SQLAlchemyError as exc:
                    raise StatementError(_message(exc), statement=statement, ran=ran) from None
        finally:
            if self.conn.in_transaction():
                await self.conn.commit()
            await self.conn.execution_options(isolation_level=previous)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        if self.conn.in_transaction():
            if self.commits:
                await self.conn.commit()
                ctx = self.conn.begin()
            else:
                # The user's own transaction stays theirs: nest under a savepoint.
                ctx = self.conn.begin_nested()
        else:
            ctx = self.conn.begin()
        self._in_tx = True
        try:
            async with ctx:
                yield
        finally:
            self._in_tx = False

    async def table_exists(self, table: str, schema: str | None) -> bool:
        def check(sync_conn: object) -> bool:
            return bool(sa_inspect(sync_conn).has_table(table, schema=schema))

        exists = await self.conn.run_sync(check)
        await self._autocommit()
        return exists

    async def aclose(self) -> None:
        if self.owned:
            await self.conn.close()
