"""``MetricsRouter`` and ``MetricsMiddleware``: values parsed back with prometheus-client's
own text parser after real migrations; gauges refreshed at most once per interval; each
registry on its own."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest
from fastapi import FastAPI
from prometheus_client import REGISTRY, CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from dbwarden import DatabaseHandle
from dbwarden import metrics as metrics_module
from dbwarden.fastapi import (
    DBWardenRouter,
    MetricsMiddleware,
    MetricsRouter,
    dbwarden_lifespan,
)
from dbwarden.metrics import get_metrics
from helpers import migration, write_project

from .fastapi_support import FILES, ClientFactory, running

pytestmark = pytest.mark.anyio

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def parse(text: str) -> Samples:
    """Every sample of a scrape, keyed by (name, sorted labels)."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples[(name, tuple(sorted(labels.items())))]


def make_app(registry: CollectorRegistry, **options: float) -> FastAPI:
    app = FastAPI()
    app.include_router(DBWardenRouter(), prefix="/db")
    app.include_router(MetricsRouter(registry=registry, **options), prefix="/metrics")
    return app


async def test_values_after_a_real_migration(
    project: DatabaseHandle, client: ClientFactory
) -> None:
    registry = CollectorRegistry()
    c = client(make_app(registry))

    before = parse((await c.get("/metrics")).text)
    assert value(before, "dbwarden_pending_migrations", database="primary") == 2
    assert value(before, "dbwarden_schema_version", database="primary") == 0
    assert value(before, "dbwarden_migrations_total", database="primary", result="success") == 0

    assert (await c.post("/db/migrate")).status_code == 200
    seeds = project.seeds_dir
    seeds.mkdir(parents=True)
    (seeds / "0003_items.sql").write_text(
        migration("INSERT INTO items VALUES (1, 'a');", "DELETE FROM items;")
    )
    await project.runner.seed()  # seeds move the seed version, not the migration counter
    response = await c.get("/metrics")
    assert response.headers["content-type"].startswith("text/plain; version=")
    after = parse(response.text)
    assert value(after, "dbwarden_migrations_total", database="primary", result="success") == 2
    assert value(after, "dbwarden_migrations_total", database="primary", result="failure") == 0
    assert value(after, "dbwarden_migration_duration_seconds_count", database="primary") == 2
    assert value(after, "dbwarden_migration_duration_seconds_sum", database="primary") > 0
    assert value(after, "dbwarden_schema_version", database="primary") == 2
    assert value(after, "dbwarden_pending_migrations", database="primary") == 0
    assert value(after, "dbwarden_lock_held", database="primary") == 0
    assert value(after, "dbwarden_seed_version", database="primary") == 3
    assert value(after, "dbwarden_database_up", database="primary") == 1
    # Only the database label: no series per version, file or statement.
    for (name, labels), _ in after.items():
        if name.startswith("dbwarden_") and "_bucket" not in name:
            assert {k for k, _ in labels} <= {"database", "result"}, name


async def test_a_failed_migration_is_counted_as_a_failure(
    tmp_path: Path, sqlite_url: str, client: ClientFactory
) -> None:
    files = {**FILES, "0003_broken.sql": migration("INSERT INTO nowhere VALUES (1);", "")}
    write_project(tmp_path / "proj", sqlite_url, files)
    registry = CollectorRegistry()
    c = client(make_app(registry))
    assert (await c.post("/db/migrate")).status_code == 500
    samples = parse((await c.get("/metrics")).text)
    assert value(samples, "dbwarden_migrations_total", database="primary", result="success") == 2
    assert value(samples, "dbwarden_migrations_total", database="primary", result="failure") == 1
    assert value(samples, "dbwarden_schema_version", database="primary") == 2
    assert value(samples, "dbwarden_pending_migrations", database="primary") == 1


async def test_gauges_are_refreshed_once_per_interval_not_per_scrape(
    sqlite_project: DatabaseHandle, client: ClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    real = metrics_module.probe_many

    async def counting(*args: object, **kwargs: object) -> object:
        calls.append(1)
        return await real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(metrics_module, "probe_many", counting)
    registry = CollectorRegistry()
    c = client(make_app(registry, refresh_interval=0.3))
    for _ in range(5):
        assert (await c.get("/metrics")).status_code == 200
    assert len(calls) == 1

    await anyio.sleep(0.35)
    await c.get("/metrics")
    assert len(calls) == 2

    # A run invalidates the snapshot: the next scrape reads the new state at once.
    await c.post("/db/migrate")
    samples = parse((await c.get("/metrics")).text)
    assert len(calls) == 3
    assert value(samples, "dbwarden_pending_migrations", database="primary") == 0


async def test_the_middleware_counts_startup_migrations_and_refreshes_in_the_background(
    sqlite_project: DatabaseHandle,
    client: ClientFactory,
    no_environment: None,
) -> None:
    registry = CollectorRegistry()
    app = FastAPI(lifespan=dbwarden_lifespan("migrate"))
    app.add_middleware(MetricsMiddleware, registry=registry, refresh_interval=0.2)
    metrics = get_metrics(registry)
    async with running(app):
        # The lifespan migrated before serving; the middleware had subscribed first.
        labels = {"database": "primary", "result": "success"}
        assert registry.get_sample_value("dbwarden_migrations_total", labels) == 2
        with anyio.fail_after(5):
            while metrics.stale(10):  # noqa: ASYNC110 - waiting on a refresh, no scrape
                await anyio.sleep(0.02)
        samples = parse(metrics_module.render(registry)[0].decode())
    assert value(samples, "dbwarden_schema_version", database="primary") == 2
    assert value(samples, "dbwarden_pending_migrations", database="primary") == 0


async def test_registries_are_independent_and_the_default_is_the_global_one(
    sqlite_project: DatabaseHandle, client: ClientFactory
) -> None:
    one, two = CollectorRegistry(), CollectorRegistry()
    assert get_metrics(one) is get_metrics(one)
    assert get_metrics(one) is not get_metrics(two)
    assert get_metrics() is get_metrics(REGISTRY)
    # Building routers and middleware again for one registry registers nothing twice.
    make_app(one)
    make_app(one)
    MetricsMiddleware(FastAPI(), registry=one)

    await client(make_app(one)).post("/db/migrate")
    first = parse((await client(make_app(one)).get("/metrics")).text)
    second = parse((await client(make_app(two)).get("/metrics")).text)
    assert value(first, "dbwarden_migrations_total", database="primary", result="success") == 2
    assert value(second, "dbwarden_migrations_total", database="primary", result="success") == 0
    assert "dbwarden_schema_version" in REGISTRY._names_to_collectors


async def test_a_down_database_is_up_zero(
    tmp_path: Path, closed_port: int, client: ClientFactory
) -> None:
    write_project(tmp_path, f"postgresql://app@127.0.0.1:{closed_port}/app", FILES)
    registry = CollectorRegistry()
    samples = parse((await client(make_app(registry)).get("/metrics")).text)
    assert value(samples, "dbwarden_database_up", database="primary") == 0
    assert ("dbwarden_pending_migrations", (("database", "primary"),)) not in samples
