"""Fixtures for the FastAPI integration: a migrated project, an ASGI client, fake servers.

(Not named ``tests/fastapi``: a package called ``fastapi`` would shadow the real one, and
a directory of that name on a source root makes ruff sort ``fastapi`` as first-party.)
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import httpx
import pytest
from anyio.abc import SocketAttribute, SocketStream

from dbwarden import DatabaseHandle
from dbwarden.engine import dispose_engines
from helpers import write_project

from .fastapi_support import FILES, ClientFactory


@pytest.fixture
def project(tmp_path: Path, database_url: str) -> DatabaseHandle:
    """The default database ``primary`` with two migration files, not migrated yet; once on
    SQLite and once on PostgreSQL."""
    return write_project(tmp_path / "proj", database_url, FILES)


@pytest.fixture
def sqlite_project(tmp_path: Path, sqlite_url: str) -> DatabaseHandle:
    return write_project(tmp_path / "proj", sqlite_url, FILES)


@pytest.fixture
async def client() -> AsyncIterator[ClientFactory]:
    """``client(app)``: an httpx client talking to ``app`` in-process. Disposes every cached
    engine afterwards, in this test's event loop (their connections belong to it)."""
    made: list[httpx.AsyncClient] = []

    def make(app: object, *, raise_app_exceptions: bool = False) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=raise_app_exceptions)  # type: ignore[arg-type]
        c = httpx.AsyncClient(transport=transport, base_url="http://test")
        made.append(c)
        return c

    try:
        yield make
    finally:
        for c in made:
            await c.aclose()
        await dispose_engines()


@pytest.fixture
def closed_port() -> int:
    """A local TCP port nobody listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
async def hung_port() -> AsyncIterator[int]:
    """A local TCP server that accepts connections and never says a word: a hung database."""
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1")

    async def hold(stream: SocketStream) -> None:
        async with stream:
            await anyio.sleep_forever()

    async with listener, anyio.create_task_group() as tg:
        tg.start_soon(listener.serve, hold)
        yield int(listener.extra(SocketAttribute.local_port))
        tg.cancel_scope.cancel()


@pytest.fixture
def no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ENVIRONMENT", raising=False)
