"""Check or migrate on boot; dispose every cached engine at shutdown.

    app = FastAPI(lifespan=dbwarden_lifespan("check"))

or, inside a lifespan of your own::

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with migration_context("migrate", allow_in_production=True):
            yield

``check`` reads each database (connectivity, pending migrations, checksums) and refuses to
start when one is not ready, or only logs it (``fail_fast=False``). A database *ahead* of
the code (a rolling deploy: newer pods already migrated it) is ready. ``migrate`` applies
pending migrations under the migration lock, so pods starting together take turns and the
later ones find nothing to do; it refuses to run with ``ENVIRONMENT=production`` unless
``allow_in_production=True`` (a deploy step, ``dbwarden migrate``, is the usual way there).
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Literal

import anyio

from ..config import DatabaseHandle, databases, get_database
from ..engine import dispose_engines
from ..errors import ConfigError, DBWardenError
from ..model import RunResult, Status
from ..runner import Runner

__all__ = ["Mode", "StartupCheckError", "dbwarden_lifespan", "migration_context"]

Mode = Literal["migrate", "check", "off"]
PRODUCTION_ENVIRONMENTS = frozenset({"production", "prod"})

logger = logging.getLogger("dbwarden.fastapi")


class StartupCheckError(DBWardenError):
    """Raised by ``dbwarden_lifespan``/``migration_context`` when a database is not fit to
    serve at startup (``problems`` maps each such database to why), or when ``migrate``
    is refused in production. The app does not start."""

    exit_code = 1

    def __init__(self, message: str, *, problems: Mapping[str, str] | None = None) -> None:
        self.problems = dict(problems or {})
        super().__init__(message)


def dbwarden_lifespan(
    mode: Mode = "check",
    *,
    allow_in_production: bool = False,
    all_databases: bool = False,
    fail_fast: bool = True,
    dev: bool | None = None,
    environ: Mapping[str, str] | None = None,
) -> Callable[[object], AbstractAsyncContextManager[None]]:
    """A FastAPI ``lifespan=`` that runs ``migration_context(...)`` around the app."""
    _check_mode(mode)

    def lifespan(app: object) -> AbstractAsyncContextManager[None]:
        return migration_context(
            mode,
            allow_in_production=allow_in_production,
            all_databases=all_databases,
            fail_fast=fail_fast,
            dev=dev,
            environ=environ,
        )

    return lifespan


@asynccontextmanager
async def migration_context(
    mode: Mode = "check",
    *,
    allow_in_production: bool = False,
    all_databases: bool = False,
    fail_fast: bool = True,
    dev: bool | None = None,
    environ: Mapping[str, str] | None = None,
) -> AsyncIterator[None]:
    """Check (``"check"``) or migrate (``"migrate"``) the default database, or every
    configured one (``all_databases=True``), before the body runs; ``"off"`` does neither.
    On exit, whatever happened, every cached engine is disposed (``dispose_engines()``).

    ``fail_fast``: raise ``StartupCheckError`` when a database is not ready (the app does
    not start); otherwise log a warning and carry on (``/health`` will report it).
    ``environ``: where ``ENVIRONMENT`` is read (default ``os.environ``).
    """
    _check_mode(mode)
    try:
        if mode != "off":
            handles = databases() if all_databases else (get_database(),)
            if mode == "migrate":
                _refuse_in_production(allow_in_production, environ)
                problems = await _each(handles, lambda h: _migrate(h, dev))
            else:
                problems = await _each(handles, lambda h: _check(h, dev))
            if problems:
                _report(mode, problems, fail_fast)
        yield
    finally:
        with anyio.CancelScope(shield=True):
            await dispose_engines()


def _check_mode(mode: str) -> None:
    if mode not in ("migrate", "check", "off"):
        raise ConfigError(f"mode {mode!r}: use 'migrate', 'check' or 'off'")


def _refuse_in_production(allowed: bool, environ: Mapping[str, str] | None) -> None:
    env = os.environ if environ is None else environ
    value = env.get("ENVIRONMENT", "").strip().lower()
    if value in PRODUCTION_ENVIRONMENTS and not allowed:
        raise StartupCheckError(
            f"refusing to migrate at startup with ENVIRONMENT={value}: run `dbwarden migrate` "
            "as a deploy step and start the app with dbwarden_lifespan('check'), or pass "
            "allow_in_production=True if migrating from the app is intended"
        )


async def _each(
    handles: tuple[DatabaseHandle, ...],
    work: Callable[[DatabaseHandle], Awaitable[str | None]],
) -> dict[str, str]:
    """Run ``work`` on every handle at once; collect the problems it reports or raises."""
    problems: dict[str, str] = {}

    async def one(handle: DatabaseHandle) -> None:
        try:
            problem = await work(handle)
        except DBWardenError as exc:
            problem = str(exc)
        except Exception as exc:  # reported with the others, not as an ExceptionGroup
            logger.exception("database %r: startup %s failed", handle.name, type(exc).__name__)
            problem = f"{type(exc).__name__}: {exc}"
        if problem:
            problems[handle.name] = problem

    async with anyio.create_task_group() as tg:
        for handle in handles:
            tg.start_soon(one, handle)
    return {h.name: problems[h.name] for h in handles if h.name in problems}


def _runner(handle: DatabaseHandle, dev: bool | None) -> Runner:
    # The handle's own runner carries the event sinks (metrics) subscribed to it.
    return Runner(handle, events=tuple(handle.runner.sinks), dev=dev)


async def _check(handle: DatabaseHandle, dev: bool | None) -> str | None:
    status: Status = await _runner(handle, dev).status()
    if status.errors:
        return "; ".join(status.errors)
    if status.state == "ahead":
        logger.info(
            "database %r is ahead of this code (versions %s applied by a newer release): "
            "serving, since a rolling deploy is in progress",
            handle.name,
            ", ".join(r.version or r.name for r in status.ahead),
        )
        return None
    if status.pending:
        names = ", ".join(f.name for f in status.pending)
        return (
            f"{len(status.pending)} pending migration(s) ({names}); run `dbwarden migrate`, "
            "or start with dbwarden_lifespan('migrate')"
        )
    return None


async def _migrate(handle: DatabaseHandle, dev: bool | None) -> str | None:
    result: RunResult = await _runner(handle, dev).upgrade()
    if result.applied:
        names = ", ".join(r.name for r in result.applied)
        logger.info("database %r: applied %s", handle.name, names)
    elif result.state == "ahead":
        logger.info("database %r is ahead of this code; nothing to migrate", handle.name)
    return None


def _report(mode: str, problems: Mapping[str, str], fail_fast: bool) -> None:
    lines = "\n".join(f"  {name}: {why}" for name, why in problems.items())
    what = "check" if mode == "check" else "migration"
    message = f"dbwarden startup {what} failed for {len(problems)} database(s):\n{lines}"
    if fail_fast:
        raise StartupCheckError(message, problems=problems)
    logger.warning("%s\n(fail_fast=False: starting anyway)", message)
