"""The ``dbwarden`` console script: ``migrate`` straight away, everything else through typer.

A deploy runs ``dbwarden migrate`` on every start, and usually there is nothing to do; then
most of its time would go to importing typer and building the command tree (~40 ms, a third
of the whole run). So the invocations a deploy uses are recognised here, by a parser that
accepts only a strict subset of what the typer app accepts, and run by the same function the
typer command calls (``plumbing.migrate_one``). Anything else (another command, ``--help``,
``--all``, an option spelled another way, a value that looks like an option) goes to typer
unchanged, so usage errors and help read exactly as they always do.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Sequence
from pathlib import Path

__all__ = ["main", "parse_migrate"]

_GC_THRESHOLD = 100_000  # allocations between young-generation collections (default 700)

_GLOBAL_VALUES = {"--config": "config", "-c": "config"}
_GLOBAL_FLAGS = {"--debug": "debug"}
_MIGRATE_VALUES = {
    "-d": "database",
    "--database": "database",
    "--to": "to",
    "--redis-url": "redis_url",
}
_MIGRATE_FLAGS = {
    "--dry-run": "dry_run",
    "--json": "json_output",
    "--allow-out-of-order": "allow_out_of_order",
    "--dev": "dev",
}


def parse_migrate(argv: Sequence[str]) -> tuple[dict[str, object], dict[str, object]] | None:
    """``(global options, migrate options)`` when ``argv`` is a ``migrate`` of one database
    written in the plain forms below, else ``None`` (typer decides). Each option at most once;
    ``--name=value`` and ``--name value`` both work, as in click (``-d NAME`` only in the
    second form: click reads ``-d=x`` as the name ``=x``)."""
    found: tuple[dict[str, object], dict[str, object]] = ({}, {})
    command = False
    args = list(argv)
    while args:
        arg = args.pop(0)
        if not command and arg == "migrate":
            command = True
            continue
        values, flags = (
            (_MIGRATE_VALUES, _MIGRATE_FLAGS) if command else (_GLOBAL_VALUES, _GLOBAL_FLAGS)
        )
        target = found[1] if command else found[0]
        name, eq, value = arg.partition("=") if arg.startswith("--") else (arg, "", "")
        if name in values:
            if not eq:
                if not args:
                    return None
                value = args.pop(0)
            if not value or value.startswith("-") or values[name] in target:
                return None
            target[values[name]] = value
        elif arg in flags and flags[arg] not in target:
            target[flags[arg]] = True
        else:
            return None
    return found if command else None


def main() -> None:
    """The ``dbwarden`` console script."""
    # A command is a short process that builds tens of thousands of objects living until it
    # exits (modules, parsed files, history rows) and makes little cyclic garbage, which
    # Python's default thresholds would have the collector traverse again and again: about
    # 7 ms of a 130 ms `migrate` with nothing to do. Collect far less often, as mypy does.
    gc.set_threshold(_GC_THRESHOLD, 20, 20)
    try:
        _dispatch(sys.argv[1:])
    finally:
        # The command is over. Interpreter shutdown would otherwise end with a full
        # collection over every one of those objects (about 15 ms of that same run) only to
        # find them all still referenced from the modules being torn down; frozen, they are
        # left to reference counting and to the operating system.
        gc.freeze()


def _dispatch(argv: list[str]) -> None:
    parsed = parse_migrate(argv)
    if parsed is None:
        from dbwarden.cli.app import main as typer_main

        typer_main()
        return
    from dbwarden.cli.plumbing import migrate_one, options

    global_options, migrate_options = parsed
    config = global_options.get("config")
    options.config = Path(config) if isinstance(config, str) else None
    options.debug = bool(global_options.get("debug"))
    migrate_one(**migrate_options)  # type: ignore[arg-type]
