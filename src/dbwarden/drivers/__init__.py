"""The small protocol the runner talks through, and ``connect()`` to pick an implementation.

asyncpg and aiosqlite are used directly, so ``dbwarden migrate`` never imports SQLAlchemy;
any other dialect, and a user's own engine, go through the SQLAlchemy adapter.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Protocol

from ..sql import Dialect, Statement

if TYPE_CHECKING:
    from ..config import ResolvedURL

__all__ = ["Connection", "StatementError", "connect"]

Row = tuple[object, ...]


class StatementError(Exception):
    """A driver's report that the database rejected SQL. ``statement`` is the failing one
    when the driver could tell, ``ran`` how many statements of the section ran before it."""

    def __init__(
        self,
        db_message: str,
        statement: Statement | None = None,
        ran: int = 0,
        sqlstate: str | None = None,
    ) -> None:
        super().__init__(db_message, statement, ran, sqlstate)
        self.db_message = db_message
        self.statement = statement
        self.ran = ran
        self.sqlstate = sqlstate

    def __str__(self) -> str:
        return self.db_message


class Connection(Protocol):
    """One connection to the database being migrated."""

    dialect: Dialect

    def param(self, index: int) -> str:
        """The placeholder for the ``index``-th (1-based) parameter: ``$1``, ``?``, ``:p1``."""
        ...

    async def execute(self, sql: str, params: Sequence[object] = ()) -> int:
        """Run one statement; return the number of rows it changed (when known, else -1)."""
        ...

    async def fetch(self, sql: str, params: Sequence[object] = ()) -> list[Row]: ...

    async def run_statements(
        self, text: str, statements: Sequence[Statement], *, transactional: bool
    ) -> None:
        """Run a section. ``transactional``: inside the caller's open transaction (a driver
        may send the whole ``text`` at once); otherwise one statement at a time in
        autocommit. Raises ``StatementError`` naming the failing statement."""
        ...

    def transaction(self) -> AbstractAsyncContextManager[None]: ...

    async def table_exists(self, table: str, schema: str | None) -> bool: ...

    async def aclose(self) -> None: ...


async def connect(
    url: ResolvedURL,
    *,
    timeout: float,
    application_name: str = "dbwarden",
    read_only: bool = False,
) -> Connection:
    """Open a connection for ``url`` with the right implementation. ``read_only``: the
    database itself refuses writes (dry runs and status rely on it)."""
    if url.driver == "asyncpg":
        from .postgres import PostgresConnection

        return await PostgresConnection.open(
            url.dsn, timeout=timeout, application_name=application_name, read_only=read_only
        )
    if url.driver == "aiosqlite":
        from .sqlite import SQLiteConnection

        return await SQLiteConnection.open(url.dsn, timeout=timeout, read_only=read_only)
    from .sqlalchemy import SQLAlchemyConnection

    return await SQLAlchemyConnection.open(url, timeout=timeout)
