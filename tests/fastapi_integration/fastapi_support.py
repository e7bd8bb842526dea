"""Shared by the FastAPI tests: the migration files, the client type, a lifespan driver."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import anyio
import httpx

from helpers import migration

FILES = {
    "0001_create_items.sql": migration(
        "CREATE TABLE items (id INTEGER PRIMARY KEY, name VARCHAR(50) NOT NULL UNIQUE);",
        "DROP TABLE items;",
    ),
    "0002_create_notes.sql": migration(
        "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL);",
        "DROP TABLE notes;",
    ),
}

ClientFactory = Callable[..., httpx.AsyncClient]


@asynccontextmanager
async def running(app: Any) -> AsyncIterator[None]:
    """Run ``app``'s ASGI lifespan (startup on entry, shutdown on exit), as a server does:
    middleware included, unlike ``app.router.lifespan_context``. A startup failure raises
    the app's own exception. (Starlette's TestClient would do this, but it now warns that
    it wants ``httpx2``, and warnings are errors here.)"""
    to_app, app_receive = anyio.create_memory_object_stream[dict[str, Any]](4)
    app_send, from_app = anyio.create_memory_object_stream[dict[str, Any]](4)
    errors: list[BaseException] = []

    async def run() -> None:
        scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}, "state": {}}
        try:
            await app(scope, app_receive.receive, app_send.send)
        except Exception as exc:  # Starlette re-raises a startup error after reporting it
            errors.append(exc)

    async with to_app, app_receive, app_send, from_app, anyio.create_task_group() as tg:
        tg.start_soon(run)
        await to_app.send({"type": "lifespan.startup"})
        message = await from_app.receive()
        if message["type"] == "lifespan.startup.complete":
            try:
                yield
            finally:
                await to_app.send({"type": "lifespan.shutdown"})
                await from_app.receive()
    if errors:
        raise errors[0]
    assert message["type"] == "lifespan.startup.complete", message
