"""``handle.async_session`` and ``get_session``: one session per request, rolled back when
the route raises, always closed; one engine per URL; independent sessions per database.

No ``from __future__ import annotations`` here: the routes are defined inside test functions,
and FastAPI can only resolve string annotations against module globals.
"""

from pathlib import Path
from typing import Annotated

import anyio
import pytest
from fastapi import Depends, FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from dbwarden import ConfigError, DatabaseHandle, database_config
from dbwarden.engine import _engines, get_engine
from dbwarden.fastapi import get_session
from helpers import query, write_project

from .fastapi_support import FILES, ClientFactory

pytestmark = pytest.mark.anyio

INSERT = text("INSERT INTO items (id, name) SELECT coalesce(max(id), 0) + 1, :n FROM items")


def items_app(primary: DatabaseHandle, seen: list[AsyncSession]) -> FastAPI:
    app = FastAPI()

    @app.post("/items/{name}")
    async def add(name: str, session: primary.async_session) -> dict[str, int]:
        seen.append(session)
        await session.execute(INSERT, {"n": name})
        await session.commit()
        return {"count": len(seen)}

    @app.post("/items/{name}/fail")
    async def add_then_fail(name: str, session: primary.async_session) -> None:
        seen.append(session)
        await session.execute(INSERT, {"n": name})
        raise RuntimeError("the route failed after writing")

    @app.get("/items")
    async def names(session: primary.async_session) -> list[str]:
        seen.append(session)
        rows = await session.execute(text("SELECT name FROM items ORDER BY name"))
        return [r[0] for r in rows]

    return app


async def test_one_session_per_request_rolled_back_on_error_and_closed(
    project: DatabaseHandle, client: ClientFactory
) -> None:
    await project.runner.upgrade()
    seen: list[AsyncSession] = []
    c = client(items_app(project, seen))

    assert (await c.post("/items/kept")).status_code == 200
    assert (await c.post("/items/lost/fail")).status_code == 500
    assert (await c.get("/items")).json() == ["kept"]

    assert len({id(s) for s in seen}) == 3  # a fresh session for every request
    for session in seen:
        assert not session.in_transaction()  # closed: nothing left open
        assert session.sync_session.expire_on_commit is False
    engine = get_engine(project.async_url())
    assert engine.pool.checkedout() == 0  # every connection went back to the pool
    assert await query(project.url, "SELECT name FROM items") == [("kept",)]


async def test_the_engine_is_created_once_and_reused(
    project: DatabaseHandle, client: ClientFactory
) -> None:
    await project.runner.upgrade()
    seen: list[AsyncSession] = []
    c = client(items_app(project, seen))
    assert project.async_url() not in _engines  # created on first use, not before
    for name in ("a", "b", "c", "d"):
        assert (await c.post(f"/items/{name}")).status_code == 200
    engines = {id(s.bind) for s in seen}
    assert len(engines) == 1
    assert seen[0].bind is get_engine(project.async_url())
    assert list(_engines) == [project.async_url()]


async def test_two_databases_in_one_route_get_independent_sessions(
    tmp_path: Path, sqlite_url: str, client: ClientFactory
) -> None:
    primary = write_project(tmp_path / "a", sqlite_url, FILES)
    other_url = f"sqlite:///{tmp_path / 'other.db'}"
    other = database_config("other", database_url=other_url, base_dir=tmp_path / "a")
    await primary.runner.upgrade()

    app = FastAPI()
    Analytics = Annotated[AsyncSession, Depends(get_session("other"))]

    @app.post("/both")
    async def both(
        a: primary.async_session,
        a_again: Annotated[AsyncSession, Depends(get_session())],
        b: Analytics,
    ) -> dict[str, object]:
        await b.execute(text("CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY)"))
        await b.execute(text("INSERT INTO events DEFAULT VALUES"))
        await b.commit()
        await a.execute(INSERT, {"n": "x"})
        await a.rollback()  # rolling one back leaves the other's commit alone
        return {
            "same_a": a is a_again,  # one database, one session per request
            "independent": a is not b and a.bind is not b.bind,
            "items": (await a.execute(text("SELECT count(*) FROM items"))).scalar_one(),
        }

    response = await client(app).post("/both")
    assert response.json() == {"same_a": True, "independent": True, "items": 0}
    assert await query(other.url, "SELECT count(*) FROM events") == [(1,)]
    assert len(_engines) == 2


def test_an_unknown_database_is_an_error_listing_the_configured_ones(
    sqlite_project: DatabaseHandle,
) -> None:
    database_config("analytics", database_url="sqlite:///a.db", base_dir=sqlite_project.base_dir)
    with pytest.raises(
        ConfigError, match=r"unknown database 'nope'; configured: analytics, primary"
    ):
        get_session("nope")


async def test_a_dependency_declared_before_the_config_resolves_on_first_request(
    tmp_path: Path, sqlite_url: str, client: ClientFactory
) -> None:
    lazy = get_session()  # no database configured yet: resolved when first used
    app = FastAPI()

    @app.get("/one")
    async def one(session: Annotated[AsyncSession, Depends(lazy)]) -> int:
        return int((await session.execute(text("SELECT 1"))).scalar_one())

    write_project(tmp_path / "proj", sqlite_url, FILES)
    assert (await client(app).get("/one")).json() == 1


async def test_dev_sessions_use_the_dev_database(
    tmp_path: Path, sqlite_url: str, client: ClientFactory, no_environment: None
) -> None:
    dev_url = f"sqlite:///{tmp_path / 'dev.db'}"
    handle = write_project(tmp_path / "proj", sqlite_url, FILES, dev_database_url=dev_url)
    app = FastAPI()

    @app.get("/which")
    async def which(
        prod: handle.async_session,
        dev: Annotated[AsyncSession, Depends(get_session(dev=True))],
    ) -> list[str]:
        return [str(prod.bind.url.database), str(dev.bind.url.database)]

    assert (await client(app).get("/which")).json() == [
        str(tmp_path / "test.db"),
        str(tmp_path / "dev.db"),
    ]


def test_the_annotation_is_cached_per_handle(sqlite_project: DatabaseHandle) -> None:
    assert sqlite_project.async_session is sqlite_project.async_session


@pytest.mark.postgres
async def test_a_pooled_connection_killed_by_the_server_is_replaced(
    tmp_path: Path, pg_database: str, client: ClientFactory
) -> None:
    # No pre-ping round trip per request: a connection the server closed (restart, idle
    # timeout, pg_terminate_backend) is dropped at checkout instead.
    handle = write_project(tmp_path / "proj", pg_database, FILES)
    app = FastAPI()

    @app.get("/pid")
    async def pid(session: handle.async_session) -> int:
        return int((await session.execute(text("SELECT pg_backend_pid()"))).scalar_one())

    c = client(app)
    first = (await c.get("/pid")).json()
    await query(pg_database, f"SELECT pg_terminate_backend({first})")
    await anyio.sleep(0.2)  # the client side notices the closed socket
    response = await c.get("/pid")
    assert response.status_code == 200
    assert response.json() != first
