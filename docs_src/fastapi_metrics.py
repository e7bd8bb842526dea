"""dbwarden's metrics in a registry of the app's own, refreshed in the background."""

from __future__ import annotations

from dbwarden.fastapi import MetricsMiddleware, MetricsRouter, dbwarden_lifespan
from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from app import database  # noqa: F401  # the configuration: it registers the databases

registry = CollectorRegistry()

app = FastAPI(lifespan=dbwarden_lifespan("migrate"))
# Counts the migrations the lifespan runs, and refreshes the database gauges every 30 s.
app.add_middleware(MetricsMiddleware, registry=registry, refresh_interval=30.0)
app.include_router(MetricsRouter(registry=registry, refresh_interval=30.0), prefix="/metrics")
