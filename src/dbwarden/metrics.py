"""Prometheus metrics, fed by the runner's events (``pip install "dbwarden[metrics]"``).

The only module that imports prometheus-client. Two kinds of values:

- counted as runs happen, from runner events (``Runner.subscribe``):
  ``dbwarden_migrations_total{database, result="success"|"failure"}`` (one per migration
  run, rollbacks included; seeds are not migrations and are not counted) and
  ``dbwarden_migration_duration_seconds{database}``;
- known only by asking the database, served by a custom collector from a snapshot that
  ``refresh()`` takes at most once per interval (never once per scrape, and never inside
  ``collect()``, which prometheus-client calls synchronously):
  ``dbwarden_schema_version``, ``dbwarden_seed_version``, ``dbwarden_pending_migrations``,
  ``dbwarden_lock_held`` and ``dbwarden_database_up``, each labelled by ``database`` only
  (a per-version label would create a new series with every release).

Registry. ``registry=`` everywhere; the default is prometheus-client's global ``REGISTRY``,
so an app that already exposes it (``make_asgi_app()``, an instrumentator) shows dbwarden's
metrics with no extra wiring, as client libraries conventionally do. One ``DBWardenMetrics``
exists per registry (``get_metrics(registry)``), so routers, middleware and apps built
repeatedly in one process (tests) never register a metric twice; tests and apps that keep
their own registry pass it and see nothing of the others.
"""

from __future__ import annotations

import logging
import math
import time
import weakref
from collections.abc import Awaitable, Callable, Iterable, MutableMapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import anyio
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from .config import DatabaseHandle, databases
from .errors import ConfigError
from .events import (
    Event,
    LockAcquired,
    LockReleased,
    PlanMade,
    RunFinished,
    StepApplied,
    StepFailed,
)
from .probe import DEFAULT_TIMEOUT, Probe, probe_many

__all__ = [
    "DEFAULT_REFRESH_INTERVAL",
    "DURATION_BUCKETS",
    "DBWardenMetrics",
    "MetricsMiddleware",
    "get_metrics",
    "render",
]

DEFAULT_REFRESH_INTERVAL = 15.0
DURATION_BUCKETS = (
    0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0, math.inf,
)  # fmt: skip

logger = logging.getLogger("dbwarden.metrics")


@dataclass(frozen=True, slots=True)
class _Snapshot:
    up: bool
    schema_version: float | None = None
    seed_version: float | None = None
    pending: int | None = None
    lock_held: bool | None = None


def _version(value: str | None) -> float:
    return float(int(value)) if value is not None else 0.0


def _snapshot(p: Probe) -> _Snapshot:
    if p.status is None:
        return _Snapshot(up=False)
    return _Snapshot(
        up=True,
        schema_version=_version(p.status.current_version),
        seed_version=_version(p.status.seed_version),
        pending=p.pending_migrations,
        lock_held=p.lock_active,
    )


class DBWardenMetrics(Collector):
    """dbwarden's metrics in one registry: an event sink (call it with an event, or
    ``runner.subscribe(metrics)``) and the collector of the scrape-time gauges.

    Get it with ``get_metrics(registry)``; constructing a second one for a registry would
    register every metric twice.
    """

    def __init__(self, registry: CollectorRegistry) -> None:
        self.migrations = Counter(
            "dbwarden_migrations",
            "Migrations run (applied, re-applied or rolled back), by result.",
            ["database", "result"],
            registry=registry,
        )
        self.duration = Histogram(
            "dbwarden_migration_duration_seconds",
            "How long each migration took to run.",
            ["database"],
            buckets=DURATION_BUCKETS,
            registry=registry,
        )
        self._snapshots: dict[str, _Snapshot] = {}
        self._refreshed_at = -math.inf
        self._refreshing: anyio.Event | None = None
        self._seen: set[str] = set()
        self._seeding: dict[str, bool] = {}  # per database: is the current run seeding?
        registry.register(self)

    # --- events ----------------------------------------------------------------------------

    def __call__(self, event: Event) -> None:
        db = event.database
        if isinstance(event, PlanMade):
            self._seeding[db] = event.plan.direction == "seed"
        elif isinstance(event, StepApplied | StepFailed):
            if self._seeding.get(db, False):
                return  # seeds are data, not migrations; dbwarden_seed_version shows them
            result = "success" if isinstance(event, StepApplied) else "failure"
            self.migrations.labels(db, result).inc()
            self.duration.labels(db).observe(event.duration_s)
        elif isinstance(event, LockAcquired | LockReleased):
            snap = self._snapshots.get(db, _Snapshot(up=True))
            self._snapshots[db] = replace(snap, lock_held=isinstance(event, LockAcquired))
        elif isinstance(event, RunFinished):
            if not event.failed and event.current_version is not None:
                snap = self._snapshots.get(db, _Snapshot(up=True))
                version = _version(event.current_version)
                if event.direction == "seed":
                    self._snapshots[db] = replace(snap, seed_version=version)
                else:
                    self._snapshots[db] = replace(snap, schema_version=version)
            self._refreshed_at = -math.inf  # the next refresh reads the new state

    def attach(self, handles: Iterable[DatabaseHandle] | None = None) -> None:
        """Subscribe to the runner of every configured database (or ``handles``): runs made
        through ``handle.runner`` or dbwarden's lifespan and routers are counted. Idempotent.
        Also starts each database's counter series at zero, so ``rate()`` sees the first run.
        """
        for handle in databases() if handles is None else handles:
            handle.runner.subscribe(self)
            if handle.name not in self._seen:
                self._seen.add(handle.name)
                self.migrations.labels(handle.name, "success")
                self.migrations.labels(handle.name, "failure")
                self.duration.labels(handle.name)

    # --- scrape-time gauges ----------------------------------------------------------------

    def stale(self, max_age: float) -> bool:
        return time.monotonic() - self._refreshed_at >= max_age

    async def refresh(
        self,
        *,
        max_age: float = 0.0,
        timeout: float = DEFAULT_TIMEOUT,
        dev: bool | None = None,
    ) -> None:
        """Read every configured database (concurrently, each within ``timeout``) unless the
        snapshot is younger than ``max_age`` seconds. Concurrent callers share one refresh."""
        running = self._refreshing
        if running is not None:
            await running.wait()
            return
        if not self.stale(max_age):
            return
        done = self._refreshing = anyio.Event()
        try:
            handles = databases()
            self.attach(handles)
            probes = await probe_many(handles, timeout=timeout, dev=dev)
            self._snapshots = {p.database: _snapshot(p) for p in probes}
            self._refreshed_at = time.monotonic()
        finally:
            self._refreshing = None
            done.set()

    def describe(self) -> Iterable[Metric]:
        return [family([]) for family in _FAMILIES.values()]

    def collect(self) -> Iterable[Metric]:
        families = {name: make(["database"]) for name, make in _FAMILIES.items()}
        for db, snap in sorted(self._snapshots.items()):
            families["up"].add_metric([db], 1.0 if snap.up else 0.0)
            for field, value in (
                ("schema_version", snap.schema_version),
                ("seed_version", snap.seed_version),
                ("pending", None if snap.pending is None else float(snap.pending)),
                ("lock_held", None if snap.lock_held is None else float(snap.lock_held)),
            ):
                if value is not None:
                    families[field].add_metric([db], value)
        return list(families.values())


def _gauge(name: str, documentation: str) -> Callable[[Sequence[str]], GaugeMetricFamily]:
    def make(labels: Sequence[str]) -> GaugeMetricFamily:
        return GaugeMetricFamily(name, documentation, labels=labels)

    return make


_FAMILIES: dict[str, Callable[[Sequence[str]], GaugeMetricFamily]] = {
    "schema_version": _gauge(
        "dbwarden_schema_version", "Highest applied migration version (0: none)."
    ),
    "seed_version": _gauge("dbwarden_seed_version", "Highest applied seed version (0: none)."),
    "pending": _gauge(
        "dbwarden_pending_migrations", "Migrations in the code not yet applied to the database."
    ),
    "lock_held": _gauge("dbwarden_lock_held", "1 while a migration lock is held."),
    "up": _gauge(
        "dbwarden_database_up", "1 when the last refresh could read the database's migration state."
    ),
}

_instances: weakref.WeakKeyDictionary[CollectorRegistry, DBWardenMetrics] = (
    weakref.WeakKeyDictionary()
)


def get_metrics(registry: CollectorRegistry | None = None) -> DBWardenMetrics:
    """The one ``DBWardenMetrics`` of ``registry`` (default: prometheus-client's global
    ``REGISTRY``), created and registered on first use."""
    target = REGISTRY if registry is None else registry
    metrics = _instances.get(target)
    if metrics is None:
        metrics = _instances[target] = DBWardenMetrics(target)
    return metrics


def render(registry: CollectorRegistry | None = None) -> tuple[bytes, str]:
    """The Prometheus text exposition of ``registry`` and its content type."""
    return generate_latest(REGISTRY if registry is None else registry), CONTENT_TYPE_LATEST


# --- ASGI middleware -------------------------------------------------------------------------

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class MetricsMiddleware:
    """ASGI middleware wiring dbwarden's metrics into an app's life:

    - at startup, before the app's own lifespan runs (so migrations made by
      ``dbwarden_lifespan("migrate")`` are counted), it subscribes the metrics to every
      configured database's runner;
    - once the app has started, it refreshes the scrape-time gauges in the background every
      ``refresh_interval`` seconds, so a scrape (``MetricsRouter`` or any exporter of the
      registry) never waits on a database. Requests pass through untouched.

        app.add_middleware(MetricsMiddleware, registry=registry)
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        registry: CollectorRegistry | None = None,
        refresh_interval: float = DEFAULT_REFRESH_INTERVAL,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        if refresh_interval <= 0 or timeout <= 0:
            raise ConfigError("refresh_interval and timeout must be positive")
        self.app = app
        self.metrics = get_metrics(registry)
        self.refresh_interval = refresh_interval
        self.timeout = timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return
        self.metrics.attach()
        async with anyio.create_task_group() as tg:

            async def started(message: Message) -> None:
                if message["type"] == "lifespan.startup.complete":
                    tg.start_soon(self._refresh_forever)
                await send(message)

            try:
                await self.app(scope, receive, started)
            finally:
                tg.cancel_scope.cancel()

    async def _refresh_forever(self) -> None:
        while True:
            try:
                await self.metrics.refresh(max_age=self.refresh_interval, timeout=self.timeout)
            except Exception:  # a bug, not a database problem (probes never raise those)
                logger.exception("refreshing dbwarden metrics failed")
            await anyio.sleep(self.refresh_interval)
