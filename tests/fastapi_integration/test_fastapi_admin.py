"""``DBWardenRouter``: ``/status``, ``/migrate`` (API key, dry run, 409 under a held lock)
and the opt-in ``/rollback``."""

from __future__ import annotations

import time
from pathlib import Path

import anyio
import pytest
from fastapi import Depends, FastAPI, Header, HTTPException

from dbwarden import DatabaseHandle, database_config
from dbwarden.events import Event, StepStarted
from dbwarden.fastapi import DBWardenRouter
from dbwarden.fastapi import admin as admin_module
from helpers import migration, query, tables, write_project

from .fastapi_support import FILES, ClientFactory

pytestmark = pytest.mark.anyio

KEY = {"X-API-Key": "s3cret-key"}
IRREVERSIBLE = "-- dbwarden: irreversible\n"


def make_app(**options: object) -> FastAPI:
    app = FastAPI()
    app.include_router(DBWardenRouter(**options), prefix="/admin/db")  # type: ignore[arg-type]
    return app


async def test_migrate_requires_the_key_when_one_is_set(
    project: DatabaseHandle, client: ClientFactory
) -> None:
    c = client(make_app(api_key="s3cret-key"))
    missing = await c.post("/admin/db/migrate")
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == "APIKey"
    assert (
        await c.post("/admin/db/migrate", headers={"X-API-Key": "s3cret-kez"})
    ).status_code == 403
    assert await tables(project.url) <= {"dbwarden_lock"}  # nothing ran

    response = await c.post("/admin/db/migrate", headers=KEY, json={"to_version": 1})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["database"] == "primary"
    assert body["dry_run"] is False
    assert [s["name"] for s in body["applied"]] == ["0001_create_items"]
    assert "items" in await tables(project.url)
    assert "notes" not in await tables(project.url)

    rest = (await c.post("/admin/db/migrate", headers=KEY)).json()
    assert [s["name"] for s in rest["applied"]] == ["0002_create_notes"]


async def test_without_a_key_the_router_follows_the_hosts_dependencies(
    sqlite_project: DatabaseHandle, client: ClientFactory
) -> None:
    async def admin(x_admin: str | None = Header(default=None)) -> None:
        if x_admin != "yes":
            raise HTTPException(401, "admins only")

    app = FastAPI()
    app.include_router(DBWardenRouter(), prefix="/ops", dependencies=[Depends(admin)])
    c = client(app)
    assert (await c.post("/ops/migrate")).status_code == 401
    assert (await c.get("/ops/status")).status_code == 401
    assert (await c.post("/ops/migrate", headers={"X-Admin": "yes"})).status_code == 200


async def test_dry_run_writes_nothing(project: DatabaseHandle, client: ClientFactory) -> None:
    c = client(make_app(api_key="s3cret-key"))
    response = await c.post("/admin/db/migrate", headers=KEY, json={"dry_run": True})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["dry_run"] is True
    assert body["applied"] == []
    assert [s["name"] for s in body["planned"]] == ["0001_create_items", "0002_create_notes"]
    assert any("CREATE TABLE items" in line for line in body["sql"])
    assert any("INSERT INTO dbwarden_migrations" in line for line in body["sql"])
    assert await tables(project.url) == set()
    if project.url.startswith("sqlite"):
        assert not Path(project.url.removeprefix("sqlite:///")).exists()


async def test_migrate_answers_409_at_once_while_another_run_holds_the_lock(
    project: DatabaseHandle, client: ClientFactory
) -> None:
    c = client(make_app())
    lock = project.runner.locks()[-1]  # the database lock, as another process would take it
    async with lock:
        t0 = time.monotonic()
        response = await c.post("/admin/db/migrate")
        elapsed = time.monotonic() - t0
        assert response.status_code == 409, response.text
        assert elapsed < 5  # the API tries the lock once; it does not wait lock_timeout
        body = response.json()
        assert body["error"] == "LockTimeoutError"
        assert body["holder"] is not None
        # A dry run takes no lock: it still answers.
        dry = await c.post("/admin/db/migrate", json={"dry_run": True})
        assert dry.status_code == 200
    assert await tables(project.url) <= {"dbwarden_lock"}
    assert (await c.post("/admin/db/migrate")).status_code == 200


async def test_a_second_run_in_this_process_is_refused_at_once(
    sqlite_project: DatabaseHandle, client: ClientFactory
) -> None:
    c = client(make_app())
    assert admin_module._running.acquire(blocking=False)  # a run is going in this process
    try:
        response = await c.post("/admin/db/migrate")
    finally:
        admin_module._running.release()
    assert response.status_code == 409
    assert "in this process" in response.json()["detail"]
    assert (await c.post("/admin/db/migrate")).status_code == 200


async def test_status_reports_applied_pending_mismatches_lock_and_seeds(
    project: DatabaseHandle, client: ClientFactory
) -> None:
    await project.runner.upgrade(target=1)
    seeds = project.seeds_dir
    seeds.mkdir(parents=True)
    (seeds / "0001_items.sql").write_text(
        migration("INSERT INTO items VALUES (1, 'a');", None, header=IRREVERSIBLE)
    )
    c = client(make_app())

    body = (await c.get("/admin/db/status")).json()
    (db,) = body["databases"]
    assert db["database"] == "primary"
    assert db["state"] == "pending"
    assert db["connected"] is True
    assert db["current_version"] == "1"
    assert [r["name"] for r in db["applied"]] == ["0001_create_items"]
    assert [f["name"] for f in db["pending"]] == ["0002_create_notes"]
    assert db["checksum_mismatches"] == []
    assert db["lock"] == {"active": False, "holder": None}
    assert db["seeds"]["current_version"] is None
    assert db["seeds"]["applied"] == 0
    assert [f["name"] for f in db["seeds"]["pending"]] == ["0001_items"]
    assert "url" not in db
    assert "postgres" not in (await c.get("/admin/db/status")).text.replace("postgresql", "")

    edited = project.migrations_dir / "0001_create_items.sql"
    edited.write_text(edited.read_text().replace("VARCHAR(50)", "VARCHAR(500)"))
    async with project.runner.locks()[-1]:
        db = (await c.get("/admin/db/status", params={"database": "primary"})).json()["databases"][
            0
        ]
    assert db["state"] == "error"
    assert [m["name"] for m in db["checksum_mismatches"]] == ["0001_create_items"]
    assert db["lock"]["active"] is True
    assert db["lock"]["holder"]["pid"] is not None

    assert (await c.get("/admin/db/status", params={"database": "nope"})).status_code == 404


async def test_rollback_is_mounted_only_when_enabled(
    sqlite_project: DatabaseHandle, client: ClientFactory
) -> None:
    await sqlite_project.runner.upgrade()
    assert (await client(make_app()).post("/admin/db/rollback")).status_code in (404, 405)

    c = client(make_app(api_key="s3cret-key", allow_rollback=True))
    assert (await c.post("/admin/db/rollback")).status_code == 401
    response = await c.post("/admin/db/rollback", headers=KEY, json={"steps": 1})
    assert response.status_code == 200, response.text
    assert [s["name"] for s in response.json()["applied"]] == ["0002_create_notes"]
    assert "notes" not in await tables(sqlite_project.url)
    both = await c.post("/admin/db/rollback", headers=KEY, json={"steps": 1, "to_version": 0})
    assert both.status_code == 422


async def test_migrate_can_be_switched_off(
    sqlite_project: DatabaseHandle, client: ClientFactory
) -> None:
    c = client(make_app(allow_migrate=False))
    assert (await c.post("/admin/db/migrate")).status_code in (404, 405)
    assert (await c.get("/admin/db/status")).status_code == 200


async def test_errors_map_to_status_codes_without_absolute_paths(
    tmp_path: Path, sqlite_url: str, client: ClientFactory
) -> None:
    files = {**FILES, "0003_broken.sql": migration("INSERT INTO nowhere VALUES (1);", "")}
    handle = write_project(tmp_path / "proj", sqlite_url, files)
    c = client(make_app())

    unknown = await c.post("/admin/db/migrate", json={"database": "nope"})
    assert unknown.status_code == 404
    assert "configured: primary" in unknown.json()["detail"]
    assert (await c.post("/admin/db/migrate", json={"dry_rn": True})).status_code == 422

    failed = await c.post("/admin/db/migrate")
    assert failed.status_code == 500
    body = failed.json()
    assert body["error"] == "MigrationFailedError"
    assert "migrations/primary/0003_broken.sql:2" in body["detail"]
    assert str(tmp_path) not in failed.text
    assert await query(handle.url, "SELECT version FROM dbwarden_migrations") == [("1",), ("2",)]


async def test_an_unreachable_database_is_503_without_its_url(
    tmp_path: Path, closed_port: int, client: ClientFactory
) -> None:
    url = f"postgresql://app:hunter2@127.0.0.1:{closed_port}/app"
    database_config("primary", default=True, database_url=url, base_dir=tmp_path)
    (tmp_path / "migrations" / "primary").mkdir(parents=True)
    response = await client(make_app()).post("/admin/db/migrate")
    assert response.status_code == 503
    assert str(closed_port) not in response.text
    assert "hunter2" not in response.text


async def test_a_running_migration_does_not_block_other_requests(
    tmp_path: Path, sqlite_url: str, client: ClientFactory
) -> None:
    slow = (
        "CREATE TABLE big (id INTEGER, v TEXT);\n"
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 400000) "
        "INSERT INTO big SELECT x, hex(randomblob(16)) FROM c;"
    )
    handle = write_project(
        tmp_path / "proj", sqlite_url, {**FILES, "0003_big.sql": migration(slow, "DROP TABLE big;")}
    )
    started = anyio.Event()

    def sink(event: Event) -> None:
        if isinstance(event, StepStarted) and event.step.name == "0003_big":
            started.set()

    handle.runner.subscribe(sink)
    app = make_app()

    @app.get("/ping")
    async def ping() -> str:
        return "pong"

    c = client(app)
    results: dict[str, object] = {}

    async def migrate() -> None:
        results["migrate"] = await c.post("/admin/db/migrate")
        results["done_at"] = time.monotonic()

    async with anyio.create_task_group() as tg:
        tg.start_soon(migrate)
        with anyio.fail_after(30):
            await started.wait()
        t0 = time.monotonic()
        assert (await c.get("/ping")).json() == "pong"
        answered_at = time.monotonic()
    assert answered_at - t0 < 0.5
    assert answered_at < results["done_at"]  # answered while the migration was running
    assert results["migrate"].status_code == 200  # type: ignore[attr-defined]
