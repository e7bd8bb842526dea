"""``DBWardenHealthRouter``: health, liveness and readiness probes.

    app.include_router(DBWardenHealthRouter(), prefix="/health")

- ``GET /health``: every database; 200 when all are ``ok`` or ``ahead``, else 503.
- ``GET /health/liveness``: 200 without touching any database (the process is alive;
  restarting it would not fix a database).
- ``GET /health/readiness``: 200 only when every database is ready, else 503.
- ``GET /health/{database}``: one database; 404 when it is not configured.

Per database: ``{"database", "status", "connected", "pending_migrations", "lock_active",
"error"}`` with ``status`` one of ``ok``, ``ahead`` (the database has versions newer than
this code: a rolling deploy; old pods keep serving), ``pending``, ``error`` (checksum
mismatch, a missing or invalid file) or ``down`` (unreachable or timed out).

Each database is checked within ``timeout`` seconds (all of them at once), so a hung
database answers 503 in bounded time. Checks borrow a connection from the app's own engine
pool (``dbwarden.engine``), which keeps a check to a few milliseconds; a pool exhausted by
the app then shows as not ready, which is what a readiness probe is for. No URL, host,
password or driver message ever appears in a response: ``error`` is a fixed phrase and the
details go to the ``dbwarden.probe`` logger.
"""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter
from fastapi.params import Depends as DependsParam
from fastapi.responses import JSONResponse

from ..config import databases, get_database
from ..errors import ConfigError
from ..probe import DEFAULT_TIMEOUT, Probe, probe, probe_many

__all__ = ["DBWardenHealthRouter"]

_NO_STORE = {"Cache-Control": "no-store"}


class DBWardenHealthRouter(APIRouter):
    """Health checks for the configured databases (or only ``databases``).

    ``timeout``: seconds allowed per check. ``dev``: check the ``dev_database_url``s. Mount
    it with a prefix (``include_router(router, prefix="/health")``): its own root is ``""``
    so that ``/health`` itself answers, without a redirect.
    """

    def __init__(
        self,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        databases: Sequence[str] | None = None,
        dev: bool | None = None,
        tags: list[str] | None = None,
        dependencies: Sequence[DependsParam] | None = None,
    ) -> None:
        super().__init__(tags=list(tags or []), dependencies=dependencies)
        if timeout <= 0:
            raise ConfigError("timeout must be positive")
        self.timeout = timeout
        self.names = tuple(databases) if databases is not None else None
        self.dev = dev
        self.add_api_route("", self._all, methods=["GET"], summary="Health of every database")
        self.add_api_route("/", self._all, methods=["GET"], include_in_schema=False)
        self.add_api_route("/liveness", self._liveness, methods=["GET"], summary="Liveness")
        self.add_api_route("/readiness", self._readiness, methods=["GET"], summary="Readiness")
        self.add_api_route("/{database}", self._one, methods=["GET"], summary="One database")

    async def _check(self) -> list[Probe]:
        if self.names is None:
            return await probe_many(databases(), timeout=self.timeout, dev=self.dev)
        configured = {h.name: h for h in databases()}
        found = [configured[name] for name in self.names if name in configured]
        probes = {
            p.database: p for p in await probe_many(found, timeout=self.timeout, dev=self.dev)
        }
        # A name given to the router but never configured is a database this app lacks.
        return [
            probes.get(name) or Probe(name, False, error="not configured") for name in self.names
        ]

    async def _all(self) -> JSONResponse:
        if self.names is None and not databases():
            return _unconfigured("unhealthy")
        probes = await self._check()
        ok = all(p.ready for p in probes)
        body = {"status": "ok" if ok else "unhealthy", "databases": [_json(p) for p in probes]}
        return JSONResponse(body, status_code=200 if ok else 503, headers=_NO_STORE)

    async def _liveness(self) -> JSONResponse:
        return JSONResponse({"status": "ok"}, headers=_NO_STORE)

    async def _readiness(self) -> JSONResponse:
        if self.names is None and not databases():
            return _unconfigured("not_ready")
        probes = await self._check()
        ready = all(p.ready for p in probes)
        body = {
            "status": "ready" if ready else "not_ready",
            "databases": {p.database: p.health for p in probes},
        }
        return JSONResponse(body, status_code=200 if ready else 503, headers=_NO_STORE)

    async def _one(self, database: str) -> JSONResponse:
        if (self.names is not None and database not in self.names) or database not in {
            h.name for h in databases()
        }:
            return JSONResponse(
                {"detail": f"no database named {database!r} is checked here"},
                status_code=404,
                headers=_NO_STORE,
            )
        result = await probe(get_database(database), timeout=self.timeout, dev=self.dev)
        return JSONResponse(
            _json(result), status_code=200 if result.ready else 503, headers=_NO_STORE
        )


def _unconfigured(status: str) -> JSONResponse:
    # Vacuously healthy would hide an app that never imported its configuration module.
    body = {"status": status, "databases": [], "error": "no database is configured"}
    return JSONResponse(body, status_code=503, headers=_NO_STORE)


def _json(p: Probe) -> dict[str, object]:
    return {
        "database": p.database,
        "status": p.health,
        "connected": p.connected,
        "pending_migrations": p.pending_migrations,
        "lock_active": p.lock_active,
        "error": p.error,
    }
