"""PostgreSQL through asyncpg, used directly.

A transactional section goes to the server as one simple-query script (one round trip;
PostgreSQL parses dollar quotes itself). asyncpg's ``execute(script)`` with no arguments
uses the simple-query protocol, which accepts several commands where a prepared statement
cannot.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager, suppress
from typing import Any

import asyncpg

from ..config import redact_url
from ..errors import DatabaseUnavailableError
from ..sql import Dialect, Statement, locate
from . import Row, StatementError

__all__ = ["PostgresConnection", "describe_error"]

# Sent in front of a transactional section so that, when the server reports an error
# without a position, the section can be rolled back to here and replayed statement by
# statement to find the one that failed. It costs no round trip.
_SAVEPOINT = "SAVEPOINT dbwarden_section;\n"

# Lets the server notice within a second that a killed runner's socket is gone, and abort its
# migration instead of finishing it unobserved. Sent in the startup packet (no round trip of
# its own); a server before 14 refuses the unknown parameter, so that DSN is remembered and
# connected to without it.
_CHECK_INTERVAL = "client_connection_check_interval"
_no_check_interval: set[str] = set()


def describe_error(exc: BaseException) -> str:
    """The server's message, with its DETAIL and HINT when it gave them."""
    text = str(exc).strip() or type(exc).__name__
    detail = getattr(exc, "detail", None)
    hint = getattr(exc, "hint", None)
    if detail and detail not in text:
        text += f"\nDETAIL: {detail}"
    if hint and hint not in text:
        text += f"\nHINT: {hint}"
    return text


class PostgresConnection:
    dialect: Dialect = "postgresql"

    def __init__(self, raw: Any) -> None:
        self.raw = raw

    @classmethod
    async def open(
        cls,
        dsn: str,
        *,
        timeout: float,
        application_name: str = "dbwarden",
        read_only: bool = False,
    ) -> PostgresConnection:
        settings = {"application_name": application_name[:63]}
        if read_only:
            settings["default_transaction_read_only"] = "on"
        check = not read_only and dsn not in _no_check_interval
        try:
            try:
                raw = await asyncpg.connect(
                    dsn,
                    timeout=timeout,
                    server_settings={**settings, _CHECK_INTERVAL: "1000"} if check else settings,
                )
            except asyncpg.PostgresError as exc:
                if not (check and _refused_check_interval(exc)):
                    raise
                _no_check_interval.add(dsn)
                raw = await asyncpg.connect(dsn, timeout=timeout, server_settings=settings)
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            raise DatabaseUnavailableError(
                f"cannot connect to {redact_url(dsn)}: {describe_error(exc)}"
            ) from None
        return cls(raw)

    def param(self, index: int) -> str:
        return f"${index}"

    @staticmethod
    def literal(value: str | int) -> str:
        """``value`` as a SQL literal, for a query sent without parameters (one simple-query
        round trip instead of a prepare and an execute). An ``E''`` string reads the same
        whatever ``standard_conforming_strings`` is; a negative number is parenthesised, as
        ``-1::bigint`` would cast before negating."""
        if isinstance(value, int):
            return str(value) if value >= 0 else f"({value})"
        return "E'" + value.replace("\\", "\\\\").replace("'", "''") + "'"

    async def execute(self, sql: str, params: Sequence[object] = ()) -> int:
        status: str = await self.raw.execute(sql, *params)
        last = status.rsplit(" ", 1)[-1] if status else ""
        return int(last) if last.isdigit() else -1

    async def fetch(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        records = await self.raw.fetch(sql, *params)
        return [tuple(r) for r in records]

    async def run_statements(
        self, text: str, statements: Sequence[Statement], *, transactional: bool
    ) -> None:
        if not transactional:
            for ran, statement in enumerate(statements):
                try:
                    await self.raw.execute(statement.text)
                except asyncpg.PostgresError as exc:
                    raise _error(exc, statement, ran) from None
            return
        try:
            await self.raw.execute(_SAVEPOINT + text)
        except asyncpg.PostgresError as exc:
            position = _position(exc)
            if position is not None and position >= len(_SAVEPOINT):
                found = locate(statements, position - len(_SAVEPOINT))
                if found is not None:
                    raise _error(exc, found, statements.index(found)) from None
            if len(statements) == 1:
                raise _error(exc, statements[0], 0) from None
            raise await self._replay(exc, statements) from None

    async def run_script(self, script: str) -> None:
        """Several statements as one simple query (one round trip). A script that opened a
        transaction and failed is rolled back."""
        try:
            await self.raw.execute(script)
        except Exception:
            await self._rollback_quietly()
            raise

    async def run_migration(
        self, text: str, statements: Sequence[Statement], bookkeeping: str
    ) -> None:
        """Run a transactional section and its history statement as ONE simple query:
        ``BEGIN; SAVEPOINT; <section>; <bookkeeping>; COMMIT``. One round trip per migration
        instead of four; the server runs it as one transaction, so the schema change and its
        history row still commit together or not at all."""
        head = "BEGIN;\n" + _SAVEPOINT
        script = f"{head}{text}\n;\n{bookkeeping};\nCOMMIT;"
        try:
            await self.raw.execute(script)
        except asyncpg.PostgresError as exc:
            try:
                position = _position(exc)
                if position is not None and len(head) <= position < len(head) + len(text):
                    found = locate(statements, position - len(head))
                    if found is not None:
                        raise _error(exc, found, statements.index(found)) from None
                if position is not None and position >= len(head) + len(text):
                    raise StatementError(describe_error(exc)) from None  # the bookkeeping
                if len(statements) == 1:
                    raise _error(exc, statements[0], 0) from None
                raise await self._replay(exc, statements) from None
            finally:
                await self._rollback_quietly()

    async def _rollback_quietly(self) -> None:
        if self.raw.is_closed() or not self.raw.is_in_transaction():
            return
        # If the connection is going away the server rolls back on its own.
        with suppress(asyncpg.PostgresError, asyncpg.InterfaceError):
            await self.raw.execute("ROLLBACK")

    async def _replay(self, exc: BaseException, statements: Sequence[Statement]) -> StatementError:
        """Find the failing statement of a script whose error carried no position: go back to
        the savepoint and run the statements one by one. The caller rolls back afterwards."""
        try:
            await self.raw.execute("ROLLBACK TO SAVEPOINT dbwarden_section")
        except (asyncpg.PostgresError, asyncpg.InterfaceError):  # e.g. the connection died
            return StatementError(describe_error(exc), sqlstate=getattr(exc, "sqlstate", None))
        for ran, statement in enumerate(statements):
            try:
                await self.raw.execute(statement.text)
            except asyncpg.PostgresError as again:
                return _error(again, statement, ran)
        return StatementError(describe_error(exc), sqlstate=getattr(exc, "sqlstate", None))

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        try:
            async with self.raw.transaction():
                yield
        except asyncpg.InterfaceError as exc:
            # The connection died inside the transaction (terminated, network gone): leaving
            # the block then fails with "the underlying connection is closed", which would
            # hide the body's own error ("terminating connection due to administrator
            # command"). The server rolls a dead session's transaction back by itself.
            cause = exc.__context__
            if self.raw.is_closed() and isinstance(cause, Exception):
                raise cause from None
            raise

    async def table_exists(self, table: str, schema: str | None) -> bool:
        qualified = f'"{schema}"."{table}"' if schema else table
        # One simple query; the status tag says whether it returned its row.
        found = await self.execute(
            f"SELECT 1 WHERE to_regclass({self.literal(qualified)}) IS NOT NULL"
        )
        return found == 1

    async def aclose(self) -> None:
        if self.raw.is_closed():
            return
        try:
            await self.raw.close(timeout=5)
        except Exception:
            self.raw.terminate()

    def terminate(self) -> None:
        self.raw.terminate()

    async def set_application_name(self, name: str) -> None:
        await self.raw.execute(f"SET application_name = '{name[:63].replace(chr(39), '')}'")


def _refused_check_interval(exc: BaseException) -> bool:
    """The server (before 14) refused ``client_connection_check_interval`` at startup."""
    return getattr(exc, "sqlstate", None) == "42704" and _CHECK_INTERVAL in str(exc)


def _position(exc: BaseException) -> int | None:
    raw = getattr(exc, "position", None)
    try:
        return int(raw) - 1 if raw else None
    except (TypeError, ValueError):
        return None


def _error(exc: BaseException, statement: Statement, ran: int) -> StatementError:
    return StatementError(
        describe_error(exc),
        statement=statement,
        ran=ran,
        sqlstate=getattr(exc, "sqlstate", None),
    )
