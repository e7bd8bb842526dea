"""``DBWardenRouter``: ``GET /status``, ``POST /migrate`` and (opt-in) ``POST /rollback``.

    app.include_router(DBWardenRouter(api_key=os.environ["DBWARDEN_API_KEY"]), prefix="/db")

The router has no prefix and no authentication of its own beyond the optional API key:
mount it where you like and add your own guard with
``include_router(..., dependencies=[Depends(admin)])``. With ``api_key`` set, the mutating
endpoints require the ``X-API-Key`` header (401 without it, 403 when wrong; compared in
constant time). ``/status`` is read-only and follows the router's dependencies only.

A run triggered over HTTP tries the migration lock once (``lock_timeout=0``) and answers
409 when another run holds it, rather than holding the request open for a minute; within
one process a second run is refused at once (409) while the first is going, whichever
router or app started it. Runs are awaited on the event loop: the runner is async end to
end, so other requests (health checks) are served while it works.
"""

from __future__ import annotations

import hmac
import threading
from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Security
from fastapi.params import Depends as DependsParam
from fastapi.responses import JSONResponse
from fastapi.security import APIKeyHeader
from pydantic import BaseModel, ConfigDict, Field

from ..config import DatabaseHandle, databases, get_database
from ..errors import (
    ConfigError,
    DatabaseUnavailableError,
    DBWardenError,
    LockError,
    LockHolder,
    MigrationFailedError,
    MigrationFileError,
    PlanError,
)
from ..model import AppliedRow, MigrationFile, RunResult
from ..probe import DEFAULT_TIMEOUT, Probe, probe_many
from ..runner import Runner

__all__ = ["DBWardenRouter", "MigrateRequest", "RollbackRequest"]

API_KEY_HEADER = "X-API-Key"

# One migration at a time in this process, across every router, app and event loop (a
# thread lock, tried without blocking, binds to no event loop).
_running = threading.Lock()


class MigrateRequest(BaseModel):
    """Body of ``POST /migrate``; every field is optional."""

    model_config = ConfigDict(extra="forbid")

    database: str | None = Field(default=None, description="Default: the default database.")
    to_version: str | int | None = Field(
        default=None, description="Stop after this version. Default: apply everything."
    )
    dry_run: bool = Field(
        default=False, description="Return the plan and the exact SQL; write nothing."
    )


class RollbackRequest(BaseModel):
    """Body of ``POST /rollback``: ``steps`` (default 1) or ``to_version``."""

    model_config = ConfigDict(extra="forbid")

    database: str | None = None
    steps: int | None = Field(default=None, ge=1)
    to_version: str | int | None = Field(
        default=None, description="Roll back every version above this one."
    )
    dry_run: bool = False


class DBWardenRouter(APIRouter):
    """Status and migrations over HTTP.

    ``api_key``: required in ``X-API-Key`` by ``/migrate`` and ``/rollback`` when set.
    ``allow_migrate``: mount ``POST /migrate``. ``allow_rollback``: mount ``POST /rollback``
    (off unless asked for). ``lock_timeout``: seconds an HTTP-triggered run waits for the
    migration lock before answering 409 (``0``: try once). ``timeout``: per-database bound
    of ``/status``. ``dev``: use the databases' ``dev_database_url``.
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        allow_migrate: bool = True,
        allow_rollback: bool = False,
        lock_timeout: float = 0.0,
        timeout: float = DEFAULT_TIMEOUT,
        dev: bool | None = None,
        tags: list[str] | None = None,
        dependencies: Sequence[DependsParam] | None = None,
    ) -> None:
        super().__init__(tags=list(tags or []), dependencies=dependencies)
        if api_key is not None and not api_key:
            raise ConfigError("api_key is empty: pass a secret, or None for no key")
        if lock_timeout < 0 or timeout <= 0:
            raise ConfigError("lock_timeout must be >= 0 and timeout positive")
        self.api_key = api_key
        self.lock_timeout = lock_timeout
        self.timeout = timeout
        self.dev = dev

        guard = [Depends(_RequireKey(api_key))] if api_key is not None else []
        self.add_api_route("/status", self._status, methods=["GET"], summary="Migration status")
        if allow_migrate:
            self.add_api_route(
                "/migrate",
                self._migrate,
                methods=["POST"],
                dependencies=guard,
                summary="Apply pending migrations",
                responses=_RUN_RESPONSES,
            )
        if allow_rollback:
            self.add_api_route(
                "/rollback",
                self._rollback,
                methods=["POST"],
                dependencies=guard,
                summary="Roll back migrations",
                responses=_RUN_RESPONSES,
            )

    async def _status(
        self,
        database: Annotated[str | None, Query(description="One database; default all.")] = None,
    ) -> JSONResponse:
        try:
            handles = [get_database(database)] if database is not None else list(databases())
        except ConfigError as exc:
            return _error(404, exc)
        probes = await probe_many(handles, timeout=self.timeout, dev=self.dev)
        return JSONResponse({"databases": [_status_json(p) for p in probes]})

    async def _migrate(self, body: MigrateRequest | None = None) -> JSONResponse:
        request = body or MigrateRequest()
        return await self._run(
            request.database,
            request.dry_run,
            lambda runner: runner.upgrade(request.to_version, dry_run=request.dry_run),
        )

    async def _rollback(self, body: RollbackRequest | None = None) -> JSONResponse:
        request = body or RollbackRequest()
        if request.steps is not None and request.to_version is not None:
            return JSONResponse({"detail": "give steps or to_version, not both"}, 422)
        to = request.to_version
        steps = (request.steps or 1) if to is None else None
        return await self._run(
            request.database,
            request.dry_run,
            lambda runner: runner.rollback(steps, to=to, dry_run=request.dry_run),
        )

    async def _run(
        self,
        database: str | None,
        dry_run: bool,
        call: Callable[[Runner], Awaitable[RunResult]],
    ) -> JSONResponse:
        try:
            handle = get_database(database)
        except ConfigError as exc:
            return _error(404, exc)
        runner = Runner(
            handle,
            events=tuple(handle.runner.sinks),  # metrics and other subscribers see API runs
            dev=self.dev,
            lock_timeout=self.lock_timeout,
        )
        try:
            if dry_run:  # no lock, no write: nothing to serialise
                result = await call(runner)
            else:
                if not _running.acquire(blocking=False):
                    return JSONResponse(
                        {"detail": "another migration is running in this process; try later"},
                        status_code=409,
                    )
                try:
                    result = await call(runner)
                finally:
                    _running.release()
        except LockError as exc:
            return _error(409, exc, handle, holder=exc.holder)
        except DatabaseUnavailableError:
            return JSONResponse(
                {"detail": f"cannot connect to database {handle.name!r}"}, status_code=503
            )
        except (PlanError, MigrationFileError, ConfigError) as exc:
            return _error(422, exc, handle)
        except MigrationFailedError as exc:
            return _error(500, exc, handle)
        return JSONResponse(_result_json(result))


_RUN_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"description": "X-API-Key missing"},
    403: {"description": "X-API-Key wrong"},
    404: {"description": "Unknown database"},
    409: {"description": "Another run holds the migration lock"},
    422: {"description": "Files and history disagree, or a file is invalid"},
    500: {"description": "The database rejected a migration"},
    503: {"description": "The database is unreachable"},
}


_API_KEY_SCHEME = APIKeyHeader(name=API_KEY_HEADER, auto_error=False)


class _RequireKey:
    """The dependency guarding the mutating endpoints. (A class at module level, not a
    closure: FastAPI resolves the string annotations of ``__call__`` in this module.)"""

    def __init__(self, expected: str) -> None:
        self.secret = expected.encode()

    async def __call__(self, provided: Annotated[str | None, Security(_API_KEY_SCHEME)]) -> None:
        if not provided:
            raise HTTPException(
                401, f"missing {API_KEY_HEADER} header", headers={"WWW-Authenticate": "APIKey"}
            )
        if not hmac.compare_digest(provided.encode(), self.secret):
            raise HTTPException(403, f"wrong {API_KEY_HEADER}")


def _error(
    code: int,
    exc: DBWardenError,
    handle: DatabaseHandle | None = None,
    *,
    holder: LockHolder | None = None,
) -> JSONResponse:
    detail = str(exc)
    if handle is not None:  # project-relative paths: the server's layout is nobody's business
        detail = detail.replace(f"{handle.base_dir}/", "")
    body: dict[str, object] = {"detail": detail, "error": type(exc).__name__}
    if holder is not None:
        body["holder"] = _holder_json(holder)
    return JSONResponse(body, status_code=code)


# --- JSON shapes ---------------------------------------------------------------------------


def _holder_json(holder: LockHolder | None) -> dict[str, object] | None:
    if holder is None:
        return None
    return {
        "owner": holder.owner,
        "host": holder.host,
        "pid": holder.pid,
        "application_name": holder.application_name,
        "since": holder.since.isoformat() if holder.since else None,
        "expires_at": holder.expires_at.isoformat() if holder.expires_at else None,
        "kind": holder.kind,
    }


def _row_json(row: AppliedRow) -> dict[str, object]:
    return {
        "version": row.version,
        "name": row.name,
        "kind": row.kind.value,
        "checksum": row.checksum,
        "applied_at": row.applied_at.isoformat(),
        "duration_ms": row.duration_ms,
        "applied_by": row.applied_by,
    }


def _file_json(f: MigrationFile) -> dict[str, object]:
    return {"version": f.version, "name": f.name, "kind": f.kind.value, "checksum": f.checksum}


def _status_json(p: Probe) -> dict[str, object]:
    s = p.status
    body: dict[str, object] = {
        "database": p.database,
        "state": p.health,
        "connected": p.connected,
        "error": p.error,
    }
    if s is None:
        return body
    body.update(
        current_version=s.current_version,
        applied=[_row_json(r) for r in s.applied],
        pending=[_file_json(f) for f in s.pending],
        checksum_mismatches=[
            {"version": m.version, "name": m.name, "recorded": m.recorded, "actual": m.actual}
            for m in s.mismatches
        ],
        missing_files=[_row_json(r) for r in s.missing],
        ahead=[_row_json(r) for r in s.ahead],
        lock={"active": p.lock_active, "holder": _holder_json(s.lock_holder)},
    )
    body["seeds"] = {
        "current_version": s.seed_version,
        "applied": s.seeds_applied,
        "pending": [_file_json(f) for f in s.seeds_pending],
        "changed": [m.name for m in s.seeds_changed],
    }
    return body


def _result_json(result: RunResult) -> dict[str, object]:
    plan = result.plan
    body: dict[str, object] = {
        "database": result.database,
        "direction": plan.direction,
        "dry_run": result.dry_run,
        "state": plan.state,
        "current_version": plan.current_version,
        "target_version": plan.target_version,
        "planned": [
            {"version": s.version, "name": s.name, "action": s.action, "reason": s.reason}
            for s in plan.steps
        ],
        "applied": [
            {
                "version": r.version,
                "name": r.name,
                "kind": r.kind.value,
                "action": r.action,
                "duration_ms": r.duration_ms,
                "statements": r.statements,
            }
            for r in result.applied
        ],
        "warnings": list(plan.warnings),
    }
    if result.dry_run:
        body["sql"] = list(result.sql)
    return body
