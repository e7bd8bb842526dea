"""``DBWardenHealthRouter``: 200/503 per database state, ``ahead`` stays ready, a down or
hung database answers 503 in bounded time, and no URL or driver detail leaks."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fastapi import FastAPI

from dbwarden import DatabaseHandle, database_config
from dbwarden.fastapi import DBWardenHealthRouter
from dbwarden.fastapi import health as health_module
from helpers import migration, write_project

from .fastapi_support import FILES, ClientFactory

pytestmark = pytest.mark.anyio

KEYS = {"database", "status", "connected", "pending_migrations", "lock_active", "error"}


def make_app(**options: object) -> FastAPI:
    app = FastAPI()
    app.include_router(DBWardenHealthRouter(**options), prefix="/health")  # type: ignore[arg-type]
    return app


async def test_pending_is_503_then_ok_is_200(
    project: DatabaseHandle, client: ClientFactory
) -> None:
    c = client(make_app())
    response = await c.get("/health")
    assert response.status_code == 503
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["status"] == "unhealthy"
    (db,) = body["databases"]
    assert set(db) == KEYS
    assert db == {
        "database": "primary",
        "status": "pending",
        "connected": True,
        "pending_migrations": 2,
        "lock_active": False,
        "error": None,
    }
    assert (await c.get("/health/readiness")).status_code == 503
    assert (await c.get("/health/primary")).status_code == 503

    await project.runner.upgrade()
    response = await c.get("/health")
    assert response.status_code == 200
    assert response.json()["databases"][0]["status"] == "ok"
    assert (await c.get("/health/")).status_code == 200
    ready = await c.get("/health/readiness")
    assert (ready.status_code, ready.json()) == (
        200,
        {"status": "ready", "databases": {"primary": "ok"}},
    )
    one = await c.get("/health/primary")
    assert one.status_code == 200
    assert set(one.json()) == KEYS


async def test_a_database_ahead_of_the_code_stays_ready(
    sqlite_project: DatabaseHandle, client: ClientFactory
) -> None:
    newer = sqlite_project.migrations_dir / "0003_newer.sql"
    newer.write_text(migration("CREATE TABLE newer (id INTEGER);", "DROP TABLE newer;"))
    await sqlite_project.runner.upgrade()
    newer.unlink()  # this pod runs the previous release
    c = client(make_app())
    response = await c.get("/health")
    assert response.status_code == 200
    assert response.json()["databases"][0]["status"] == "ahead"
    assert (await c.get("/health/readiness")).status_code == 200


async def test_a_checksum_mismatch_is_503(
    sqlite_project: DatabaseHandle, client: ClientFactory
) -> None:
    await sqlite_project.runner.upgrade()
    c = client(make_app())
    assert (await c.get("/health")).status_code == 200
    edited = sqlite_project.migrations_dir / "0001_create_items.sql"
    edited.write_text(edited.read_text().replace("VARCHAR(50)", "VARCHAR(60)"))
    response = await c.get("/health/primary")
    assert response.status_code == 503
    assert response.json()["status"] == "error"
    assert response.json()["error"] == "checksum mismatch in 1 applied migration(s)"


async def test_a_database_on_a_closed_port_is_down_and_nothing_leaks(
    tmp_path: Path, sqlite_url: str, closed_port: int, client: ClientFactory
) -> None:
    primary = write_project(tmp_path / "proj", sqlite_url, FILES)
    await primary.runner.upgrade()
    url = f"postgresql://analyst:hunter2@127.0.0.1:{closed_port}/warehouse"
    database_config("warehouse", database_url=url, base_dir=tmp_path / "proj")
    (tmp_path / "proj" / "migrations" / "warehouse").mkdir()

    c = client(make_app())
    response = await c.get("/health")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unhealthy"
    statuses = {d["database"]: d for d in body["databases"]}
    assert statuses["primary"]["status"] == "ok"
    assert statuses["warehouse"] == {
        "database": "warehouse",
        "status": "down",
        "connected": False,
        "pending_migrations": 0,
        "lock_active": False,
        "error": "cannot connect",
    }
    for secret in ("hunter2", "analyst", "127.0.0.1", str(closed_port), "asyncpg", "refused"):
        assert secret not in response.text
    assert (await c.get("/health/primary")).status_code == 200
    assert (await c.get("/health/warehouse")).status_code == 503
    assert (await c.get("/health/readiness")).json() == {
        "status": "not_ready",
        "databases": {"primary": "ok", "warehouse": "down"},
    }


async def test_a_hung_database_answers_503_within_the_timeout(
    tmp_path: Path, hung_port: int, client: ClientFactory
) -> None:
    url = f"postgresql://app@127.0.0.1:{hung_port}/app"
    database_config("primary", default=True, database_url=url, base_dir=tmp_path)
    (tmp_path / "migrations" / "primary").mkdir(parents=True)
    c = client(make_app(timeout=0.5))
    t0 = time.monotonic()
    response = await c.get("/health")
    elapsed = time.monotonic() - t0
    assert response.status_code == 503
    assert response.json()["databases"][0]["error"] == "timed out after 0.5s"
    assert 0.4 < elapsed < 2.0


async def test_liveness_never_touches_a_database(
    tmp_path: Path, closed_port: int, client: ClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    database_config(
        "primary",
        default=True,
        database_url=f"postgresql://app@127.0.0.1:{closed_port}/app",
        base_dir=tmp_path,
    )

    async def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("liveness probed a database")

    monkeypatch.setattr(health_module, "probe", forbidden)
    monkeypatch.setattr(health_module, "probe_many", forbidden)
    response = await client(make_app()).get("/health/liveness")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


async def test_an_unknown_database_is_404(
    sqlite_project: DatabaseHandle, client: ClientFactory
) -> None:
    c = client(make_app())
    assert (await c.get("/health/nope")).status_code == 404
    only = client(make_app(databases=[]))
    assert (await only.get("/health/primary")).status_code == 404
    assert (await only.get("/health")).json() == {"status": "ok", "databases": []}


async def test_a_missing_sqlite_file_is_pending_and_is_not_created(
    sqlite_project: DatabaseHandle, client: ClientFactory
) -> None:
    response = await client(make_app()).get("/health/primary")
    assert response.status_code == 503
    assert response.json()["status"] == "pending"
    assert not Path(sqlite_project.url.removeprefix("sqlite:///")).exists()


async def test_a_sqlite_file_in_a_missing_directory_is_down(
    tmp_path: Path, client: ClientFactory
) -> None:
    url = f"sqlite:///{tmp_path / 'gone' / 'app.db'}"
    write_project(tmp_path / "proj", url, FILES)
    response = await client(make_app()).get("/health/primary")
    assert response.status_code == 503
    assert response.json()["status"] == "down"
    assert str(tmp_path) not in response.text


async def test_a_held_lock_is_reported_and_does_not_fail_health(
    project: DatabaseHandle, client: ClientFactory
) -> None:
    await project.runner.upgrade()
    c = client(make_app())
    async with project.runner.locks()[-1]:
        response = await c.get("/health/primary")
    assert response.status_code == 200
    assert response.json()["lock_active"] is True
    assert (await c.get("/health/primary")).json()["lock_active"] is False


async def test_no_configured_database_is_not_healthy(client: ClientFactory) -> None:
    # An app that never imported its configuration module must not look healthy.
    c = client(make_app())
    response = await c.get("/health")
    assert response.status_code == 503
    assert response.json()["error"] == "no database is configured"
    assert (await c.get("/health/readiness")).status_code == 503
    assert (await c.get("/health/liveness")).status_code == 200


async def test_a_listed_database_that_is_not_configured_is_down(
    sqlite_project: DatabaseHandle, client: ClientFactory
) -> None:
    await sqlite_project.runner.upgrade()
    response = await client(make_app(databases=["primary", "reports"])).get("/health")
    assert response.status_code == 503
    assert [(d["database"], d["status"], d["error"]) for d in response.json()["databases"]] == [
        ("primary", "ok", None),
        ("reports", "down", "not configured"),
    ]
