"""What every command shares, without typer: options, configuration, the event loop,
errors to exit codes, and the ``migrate`` of one database.

``dbwarden.cli.entry`` runs the common ``migrate`` invocations straight from here, so a
deploy's ``dbwarden migrate`` with nothing to do pays for neither typer nor building the
command tree; ``dbwarden.cli.app`` (typer) calls the same functions.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from dbwarden.cli import render

if TYPE_CHECKING:
    from dbwarden.config import DatabaseHandle
    from dbwarden.model import RunResult
    from dbwarden.runner import Runner

__all__ = [
    "CommandExit",
    "configure",
    "exit_code",
    "guard",
    "handle_of",
    "masker",
    "migrate_one",
    "options",
    "reporting",
    "run",
    "runner_of",
    "show_run",
    "unwrap",
]

T = TypeVar("T")


class CommandExit(SystemExit):
    """Ends a command with an exit code. A ``SystemExit``, so that it passes through typer
    (and click's test runner) exactly like ``typer.Exit`` and needs no typer import."""


class _Options:
    """The global options of the command line, set once per process."""

    __slots__ = ("config", "debug")

    def __init__(self) -> None:
        self.config: Path | None = None
        self.debug = False


options = _Options()


def masker() -> render.Masker:
    """Every password in the configured URLs, to be masked in anything printed."""
    from urllib.parse import unquote, urlsplit

    secrets: list[str] = []
    config = sys.modules.get("dbwarden.config")
    handles = config.databases() if config is not None else ()
    for handle in handles:
        for url in (handle.url, handle.dev_url, handle.async_url_override, handle.redis_url):
            if not url:
                continue
            try:
                password = urlsplit(url).password
            except ValueError:
                continue
            if password:
                secrets.extend((password, unquote(password)))
    return render.Masker(secrets)


def unwrap(exc: BaseException) -> BaseException:
    # Task groups wrap a single failure in an ExceptionGroup; show the failure itself.
    while isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
        exc = exc.exceptions[0]
    return exc


def exit_code(exc: BaseException) -> int:
    from dbwarden.errors import DBWardenError

    return exc.exit_code if isinstance(exc, DBWardenError) else 1


@contextmanager
def guard(*, json_output: bool = False) -> Iterator[None]:
    """Turn an error into one panel on stderr (and, with ``--json``, an error document on
    stdout) and the exit code its class carries; anything unexpected exits 1."""
    try:
        yield
    except KeyboardInterrupt:
        render.echo("interrupted", err=True, fg="red")
        raise CommandExit(130) from None
    except Exception as raised:
        exc = unwrap(raised)
        mask = masker()
        if json_output:
            render.dump_json({"ok": False, "error": render.error_json(exc, mask=mask)})
        render.print_error(exc, debug=options.debug, mask=mask)
        raise CommandExit(exit_code(exc)) from None


def run(fn: Callable[[], Awaitable[T]]) -> T:
    """The one event loop of a command. ``asyncio.run`` rather than ``anyio.run``: the runner
    is asyncio-only (asyncpg, aiosqlite), and anyio's asyncio backend, ~25 ms to import, is
    then loaded only by a run that uses an anyio primitive (a lock, ``--all``), not by a
    ``migrate`` that finds nothing to do."""
    import asyncio

    async def main() -> T:
        return await fn()

    return asyncio.run(main())


def configure() -> None:
    """Find and import the configuration (registering its databases)."""
    from dbwarden.cli.loader import find_config, load_config, shadowing_file

    cwd = Path.cwd()
    if shadowing_file(cwd) is not None:
        render.warn(
            "./dbwarden.py shadows the dbwarden package for processes started in this directory "
            "(uvicorn app.main:app, python -m ...): `import dbwarden` there imports this file. "
            "Move the configuration into your app's package (e.g. app/database.py) and point "
            '[tool.dbwarden] config = "app/database.py" in pyproject.toml at it.'
        )
    load_config(find_config(options.config, cwd=cwd, environ=os.environ))


def handle_of(name: str | None) -> DatabaseHandle:
    from dbwarden.config import get_database

    return get_database(name)


def runner_of(handle: DatabaseHandle, dev: bool, redis_url: str | None = None) -> Runner:
    if dev or redis_url:
        from dbwarden.runner import Runner

        return Runner(handle, dev=True if dev else None, redis_url=redis_url)
    return handle.runner


@contextmanager
def reporting(runner: Runner, enabled: bool) -> Iterator[None]:
    """Show the run's progress (not with ``--json``: stdout carries JSON only)."""
    if not enabled:
        yield
        return
    with render.Reporter() as reporter:
        runner.subscribe(reporter)
        try:
            yield
        finally:
            runner.unsubscribe(reporter)


def show_run(
    result: RunResult, handle: DatabaseHandle, *, dev: bool, json_output: bool, started: float
) -> None:
    if json_output:
        render.dump_json(render.run_json(result))
    elif result.dry_run:
        for warning in result.plan.warnings:  # on stderr: stdout stays a valid script
            render.warn(f"{result.database}: {warning}")
        render.print_sql(result, url=handle.resolve(dev=dev or None).redacted)
    else:
        render.run_summary(result, elapsed_s=time.monotonic() - started)


def migrate_one(
    *,
    database: str | None = None,
    dry_run: bool = False,
    to: str | None = None,
    json_output: bool = False,
    allow_out_of_order: bool = False,
    dev: bool = False,
    redis_url: str | None = None,
) -> None:
    """``dbwarden migrate`` for one database (the default one unless ``database``)."""
    with guard(json_output=json_output):
        configure()
        handle = handle_of(database)
        runner = runner_of(handle, dev, redis_url)
        out_of_order = True if allow_out_of_order else None
        started = time.monotonic()
        with reporting(runner, enabled=not json_output and not dry_run):
            result = run(
                lambda: runner.upgrade(to, dry_run=dry_run, allow_out_of_order=out_of_order)
            )
        show_run(result, handle, dev=dev, json_output=json_output, started=started)
