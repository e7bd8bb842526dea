"""Status and migrate endpoints behind a key, health probes and Prometheus metrics."""

from __future__ import annotations

import os

from dbwarden.fastapi import DBWardenHealthRouter, DBWardenRouter, MetricsRouter
from fastapi import FastAPI

from app import database  # noqa: F401  # the configuration: it registers the databases

app = FastAPI()

# GET /admin/db/status; POST /admin/db/migrate with the key in the X-API-Key header.
app.include_router(
    DBWardenRouter(api_key=os.environ["DBWARDEN_API_KEY"]),
    prefix="/admin/db",
    tags=["database"],
)
# GET /health, /health/liveness, /health/readiness and /health/{database}.
app.include_router(DBWardenHealthRouter(timeout=2.0), prefix="/health")
# GET /metrics (prometheus-client's global registry).
app.include_router(MetricsRouter(), prefix="/metrics")
