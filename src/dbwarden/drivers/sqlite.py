"""SQLite through aiosqlite, used directly.

``executescript`` commits on its own, so it is never used: a section's statements, split by
the ``sql`` layer, run one by one inside an explicit transaction. The connection is opened
in autocommit mode (``isolation_level=None``) so that only ``transaction()`` begins and ends
transactions, and it begins them ``IMMEDIATE`` to take the write lock up front.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiosqlite

from ..errors import DatabaseUnavailableError
from ..sql import Dialect, Statement
from . import Row, StatementError

__all__ = ["SQLiteConnection"]

BUSY_TIMEOUT_MS = 30_000


class SQLiteConnection:
    dialect: Dialect = "sqlite"

    def __init__(self, raw: Any, path: str) -> None:
        self.raw = raw
        self.path = path
        self._closed = False

    @classmethod
    async def open(cls, path: str, *, timeout: float, read_only: bool = False) -> SQLiteConnection:
        if path != ":memory:" and not Path(path).parent.is_dir():
            raise DatabaseUnavailableError(
                f"cannot open SQLite database {path}: directory {Path(path).parent} does not exist"
            )
        try:
            if read_only and path != ":memory:":
                uri = "file:" + quote(path) + "?mode=ro"
                raw = await aiosqlite.connect(uri, isolation_level=None, timeout=timeout, uri=True)
            else:
                raw = await aiosqlite.connect(path, isolation_level=None, timeout=timeout)
            await raw.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        except sqlite3.Error as exc:
            raise DatabaseUnavailableError(f"cannot open SQLite database {path}: {exc}") from None
        return cls(raw, path)

    def param(self, index: int) -> str:
        return "?"

    async def execute(self, sql: str, params: Sequence[object] = ()) -> int:
        # The cursor is not closed explicitly: that would cost a second trip to aiosqlite's
        # worker thread per statement, and sqlite3 finalises it when it is dropped.
        cursor = await self.raw.execute(sql, tuple(params))
        count: int = cursor.rowcount
        return count

    async def fetch(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        rows = await self.raw.execute_fetchall(sql, tuple(params))
        return [tuple(r) for r in rows]

    async def run_statements(
        self, text: str, statements: Sequence[Statement], *, transactional: bool
    ) -> None:
        for ran, statement in enumerate(statements):
            try:
                await self.raw.execute(statement.text)
            except sqlite3.Error as exc:
                raise StatementError(str(exc), statement=statement, ran=ran) from None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        await self.raw.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            # The transaction may already be gone (e.g. after a disk I/O error).
            with suppress(sqlite3.Error):
                await self.raw.execute("ROLLBACK")
            raise
        else:
            try:
                await self.raw.execute("COMMIT")
            except sqlite3.Error as exc:
                with suppress(sqlite3.Error):
                    await self.raw.execute("ROLLBACK")
                raise StatementError(f"commit failed: {exc}") from None

    async def table_exists(self, table: str, schema: str | None) -> bool:
        rows = await self.fetch(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
        )
        return bool(rows)

    async def aclose(self) -> None:
        if not self._closed:
            self._closed = True
            await self.raw.close()
