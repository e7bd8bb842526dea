"""The FastAPI pages' examples (``docs_src/fastapi_*.py``) and the example app
(``migrations_example/app/main.py``) run as written, on a copy of the example project."""

from __future__ import annotations

import importlib
import importlib.util
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import httpx
import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from dbwarden import DatabaseHandle
from dbwarden.fastapi import StartupCheckError
from helpers import example_copy, load_docs_example, tables

from .fastapi_support import ClientFactory, running

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[2]
DOCS_SRC = ROOT / "docs_src"
EXAMPLE = ROOT / "migrations_example"
ALL_APPLIED = 7  # six versioned migrations and one runs-always view


@pytest.fixture
def example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A copy of the example project, importable as ``app``, on a fresh SQLite file."""
    yield from example_copy(
        tmp_path, monkeypatch, dirname="example", database="example.db", unset=("DBWARDEN_API_KEY",)
    )


def load(name: str) -> ModuleType:
    return load_docs_example(name)


def primary() -> DatabaseHandle:
    handle: DatabaseHandle = importlib.import_module("app.database").primary
    return handle


async def test_sessions_example(example: Path, client: ClientFactory) -> None:
    docs = load("fastapi_sessions.py")
    await primary().runner.upgrade()
    c = client(docs.app)
    new = {"id": 1, "email": "ada@example.com", "display_name": "Ada"}
    assert (await c.post("/users", json=new)).json() == {"id": 1}
    assert (await c.post("/users/1/posts", params={"title": "Hello"})).status_code == 403
    assert (await c.get("/users/1/titles")).json() == []  # the flushed post was rolled back


async def test_lifespan_example(example: Path, client: ClientFactory) -> None:
    docs = load("fastapi_lifespan.py")
    with pytest.raises(StartupCheckError, match="6 pending migration"):
        async with running(docs.app):
            pass
    async with running(docs.migrating_app):
        assert docs.migrating_app.state.cache == {}
    async with running(docs.app):
        pass


async def test_routers_example(
    example: Path, client: ClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DBWARDEN_API_KEY", "k3y")
    c = client(load("fastapi_routers.py").app)
    assert (await c.get("/health")).status_code == 503
    assert (await c.get("/health/liveness")).status_code == 200
    assert (await c.post("/admin/db/migrate")).status_code == 401
    migrated = await c.post("/admin/db/migrate", headers={"X-API-Key": "k3y"})
    assert len(migrated.json()["applied"]) == ALL_APPLIED
    assert (await c.get("/health/readiness")).status_code == 200
    assert (await c.get("/admin/db/status")).json()["databases"][0]["current_version"] == "6"
    scrape = (await c.get("/metrics")).text
    gauges = {
        s.name: s.value
        for f in text_string_to_metric_families(scrape)
        for s in f.samples
        if s.labels.get("database") == "primary" and s.name.startswith("dbwarden_")
    }
    assert gauges["dbwarden_schema_version"] == 6
    assert gauges["dbwarden_pending_migrations"] == 0


async def test_metrics_example(example: Path, client: ClientFactory) -> None:
    docs = load("fastapi_metrics.py")
    assert docs.registry is not REGISTRY
    async with running(docs.app):
        labels = {"database": "primary", "result": "success"}
        assert docs.registry.get_sample_value("dbwarden_migrations_total", labels) == ALL_APPLIED
        scrape = (await client(docs.app).get("/metrics")).text
    assert 'dbwarden_schema_version{database="primary"} 6.0' in scrape


# --- the example app ---------------------------------------------------------------------


async def test_the_example_app(
    example: Path, client: ClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    main = importlib.import_module("app.main")
    c = client(main.app)
    async with running(main.app):  # migrates at startup
        assert {"users", "posts"} <= await tables(os.environ["DATABASE_URL"])
        assert (await c.get("/users")).json() == []
        ada = {"email": "ada@example.com", "display_name": "Ada"}
        assert (await c.post("/users", json=ada)).status_code == 201
        assert (await c.post("/users", json=ada)).status_code == 409
        assert (await c.get("/users")).json() == [{"id": 1, **ada}]
        assert (await c.get("/users/1/posts")).json() == []
        assert (await c.get("/users/2/posts")).status_code == 404
        assert (await c.get("/health")).status_code == 200
        assert (await c.get("/db/status")).status_code == 200
        assert "dbwarden_schema_version" in (await c.get("/metrics")).text
        # No key configured: the migrate endpoint is not mounted at all.
        assert (await c.post("/db/migrate")).status_code in (404, 405)


@pytest.mark.slow
def test_the_example_starts_with_the_documented_command(tmp_path: Path) -> None:
    """``cd migrations_example && uvicorn app.main:app``, on the embedded SQLite default."""
    dest = tmp_path / "example"
    shutil.copytree(EXAMPLE, dest, ignore=shutil.ignore_patterns("*.db", "__pycache__"))
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "ENVIRONMENT")}
    uvicorn = Path(sys.executable).with_name("uvicorn")
    port = _free_port()
    server = subprocess.Popen(
        [str(uvicorn), "app.main:app", "--port", str(port)],
        cwd=dest,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)
                break
            except httpx.TransportError:
                assert server.poll() is None, server.stdout.read() if server.stdout else ""
                assert time.monotonic() < deadline, "uvicorn did not start"
                time.sleep(0.1)
        assert response.status_code == 200, response.text
        assert (dest / "example.db").exists()
    finally:
        server.terminate()
        server.wait(timeout=10)
        if server.stdout is not None:
            server.stdout.close()


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
