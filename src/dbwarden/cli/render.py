"""Everything the CLI prints: one-line messages, tables, progress, errors and JSON documents.

This is the only module that imports rich, and it does so lazily, inside the functions that
draw tables, panels, progress bars and highlighted SQL. One-line messages are written here
(ANSI colour on a terminal, plain text elsewhere), so a no-op ``migrate`` pays for importing
neither rich nor typer.

JSON documents are built here too, from the core's frozen dataclasses: datetimes as ISO-8601
strings, paths as strings, enums as their values.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress, TaskID

    from dbwarden.errors import LockHolder
    from dbwarden.events import Event
    from dbwarden.model import AppliedRow, MigrationFile, Mismatch, Plan, RunResult, Status, Step

__all__ = [
    "Masker",
    "Reporter",
    "console",
    "display_path",
    "dump_json",
    "echo",
    "error_json",
    "file_json",
    "history_json",
    "history_table",
    "holder_json",
    "is_terminal",
    "plan_json",
    "print_error",
    "print_problem",
    "print_sql",
    "row_json",
    "run_json",
    "run_summary",
    "status_json",
    "status_table",
    "step_json",
    "style",
    "warn",
    "write",
]

JSONDoc = dict[str, Any]

_NON_TERMINAL_WIDTH = 120
_LIST_LIMIT = 10


# --- streams -----------------------------------------------------------------------------


def _stream(err: bool) -> IO[str]:
    return sys.stderr if err else sys.stdout


def is_terminal(err: bool = False) -> bool:
    stream = _stream(err)
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def console(err: bool = False) -> Console:
    """A rich console on stdout or stderr. Off a terminal (CI logs, pipes, tests) it is wider
    than rich's 80-column default, so paths in messages are not folded."""
    from rich.console import Console

    stream = _stream(err)
    con = Console(file=stream, highlight=False, soft_wrap=False)
    if not con.is_terminal and "COLUMNS" not in os.environ:
        con.width = _NON_TERMINAL_WIDTH
    return con


_COLOURS = ("black", "red", "green", "yellow", "blue", "magenta", "cyan", "white")
_ANSI = re.compile(r"\033\[[;?0-9]*[a-zA-Z]")


def style(text: str, *, fg: str | None = None, bold: bool = False) -> str:
    """``text`` in an ANSI colour (one of ``_COLOURS``) and/or bold; ``write`` drops the
    codes again when its stream is not a terminal."""
    codes = ([str(30 + _COLOURS.index(fg))] if fg else []) + (["1"] if bold else [])
    return "".join(f"\033[{c}m" for c in codes) + text + "\033[0m" if codes else text


def write(text: str, *, err: bool = False) -> None:
    """``text`` and a newline on stdout (or stderr), without colour off a terminal."""
    stream = _stream(err)
    if not is_terminal(err):
        text = _ANSI.sub("", text)
    stream.write(text + "\n")
    stream.flush()


def echo(
    message: str = "", *, err: bool = False, fg: str | None = None, bold: bool = False
) -> None:
    """One line of plain text (colour only on a terminal)."""
    write(style(message, fg=fg, bold=bold), err=err)


def warn(message: str) -> None:
    """A warning on stderr, in yellow."""
    echo(f"warning: {message}", err=True, fg="yellow")


def display_path(path: Path | str) -> str:
    """``path`` relative to the working directory when it is inside it."""
    p = Path(path)
    try:
        return str(p.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(p)


# --- secrets -----------------------------------------------------------------------------


class Masker:
    """Replaces known passwords with ``***`` in text about to be printed. URLs are already
    redacted by the core; this catches a password that reaches a message another way."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self.secrets = sorted({s for s in secrets if len(s) >= 3}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text


# --- errors ------------------------------------------------------------------------------


def _words(class_name: str) -> str:
    parts = re.findall(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+", class_name)
    if not parts:
        return class_name
    words = [parts[0]] + [p if p.isupper() and len(p) > 1 else p.lower() for p in parts[1:]]
    return " ".join(words)


def _where(exc: BaseException) -> str | None:
    path = getattr(exc, "path", None)
    if not isinstance(path, Path):
        return None
    line = getattr(exc, "line", None)
    where = display_path(path)
    return f"{where}:{line}" if isinstance(line, int) else where


def _body(exc: BaseException) -> str:
    from dbwarden.errors import MigrationFailedError, MigrationFileError

    if isinstance(exc, MigrationFileError):
        return exc.message
    text = str(exc)
    if isinstance(exc, MigrationFailedError):
        # The message starts with "<path>:<line>: "; the panel shows the location on its own.
        _, sep, rest = text.partition(": ")
        return rest if sep else text
    return text


def print_error(
    exc: BaseException, *, debug: bool, mask: Masker, database: str | None = None
) -> None:
    """One panel on stderr: the error class in words as title, the location in bold, then
    the message. A traceback only with ``--debug``."""
    from rich.panel import Panel
    from rich.text import Text

    from dbwarden.errors import DBWardenError

    con = console(err=True)
    if debug:
        cause = getattr(exc, "original", None)
        shown = cause if isinstance(cause, BaseException) else exc
        import traceback  # here: only --debug prints one

        con.print(Text(mask("".join(traceback.format_exception(shown))), style="dim"))
    body = Text()
    if isinstance(exc, DBWardenError):
        title = _words(type(exc).__name__)
        where = _where(exc)
        if where is not None:
            body.append(mask(where) + "\n", style="bold")
        body.append(mask(_body(exc)))
    else:
        title = f"Unexpected error ({type(exc).__name__})"
        body.append(mask(f"{type(exc).__name__}: {exc}"))
        if not debug:
            body.append(
                "\n\nThis was not expected; re-run with --debug to see the traceback, and "
                "report it if it looks like a bug in dbwarden.",
                style="dim",
            )
    if database is not None:
        title = f"{database}: {title}"
    con.print(Panel(body, title=title, title_align="left", border_style="red", expand=False))


def print_problem(title: str, message: str) -> None:
    """A panel on stderr for a problem that is not a ``DBWardenError`` (usage)."""
    from rich.panel import Panel

    console(err=True).print(
        Panel(message, title=title, title_align="left", border_style="red", expand=False)
    )


def error_json(exc: BaseException, *, mask: Masker) -> JSONDoc:
    path = getattr(exc, "path", None)
    line = getattr(exc, "line", None)
    version = getattr(exc, "version", None)
    exit_code = getattr(exc, "exit_code", 1)
    return {
        "type": type(exc).__name__,
        "message": mask(str(exc)),
        "exit_code": exit_code if isinstance(exit_code, int) else 1,
        "path": str(path) if isinstance(path, Path) else None,
        "line": line if isinstance(line, int) else None,
        "version": version if isinstance(version, str) else None,
    }


# --- JSON documents ----------------------------------------------------------------------


def dump_json(doc: Mapping[str, Any]) -> None:
    """The single JSON document of a ``--json`` command, on stdout."""
    import json  # here: only --json loads it

    write(json.dumps(doc, indent=2, ensure_ascii=False))


def _iso(value: object) -> str | None:
    from datetime import datetime

    return value.isoformat() if isinstance(value, datetime) else None


def file_json(f: MigrationFile) -> JSONDoc:
    return {"version": f.version, "name": f.name, "kind": f.kind.value, "path": str(f.path)}


def step_json(step: Step) -> JSONDoc:
    return {**file_json(step.file), "action": step.action, "reason": step.reason}


def plan_json(plan: Plan) -> JSONDoc:
    return {
        "direction": plan.direction,
        "state": plan.state,
        "current_version": plan.current_version,
        "target_version": plan.target_version,
        "ahead_versions": list(plan.ahead_versions),
        "warnings": list(plan.warnings),
        "steps": [step_json(s) for s in plan.steps],
    }


def run_json(result: RunResult) -> JSONDoc:
    return {
        "database": result.database,
        "ok": True,
        "dry_run": result.dry_run,
        "plan": plan_json(result.plan),
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
        "sql": list(result.sql),
        "repaired": list(result.repaired),
    }


def row_json(row: AppliedRow) -> JSONDoc:
    return {
        "version": row.version,
        "name": row.name,
        "kind": row.kind.value,
        "checksum": row.checksum,
        "rollback_checksum": row.rollback_checksum,
        "applied_at": _iso(row.applied_at),
        "duration_ms": row.duration_ms,
        "applied_by": row.applied_by,
        "dbwarden_version": row.dbwarden_version,
        "baselined": row.baselined,
    }


def holder_json(holder: LockHolder | None) -> JSONDoc | None:
    if holder is None:
        return None
    return {
        "owner": holder.owner,
        "host": holder.host,
        "pid": holder.pid,
        "application_name": holder.application_name,
        "since": _iso(holder.since),
        "expires_at": _iso(holder.expires_at),
        "kind": holder.kind,
        "description": holder.describe(),
    }


def _mismatch_json(m: Mismatch) -> JSONDoc:
    return {
        "version": m.version,
        "name": m.name,
        "path": str(m.path),
        "recorded": m.recorded,
        "actual": m.actual,
    }


def status_json(status: Status) -> JSONDoc:
    return {
        "database": status.database,
        "ok": status.ok,
        "url": status.url,
        "state": status.state,
        "current_version": status.current_version,
        "applied_count": len(status.applied),
        "applied": [row_json(r) for r in status.applied],
        "pending": [file_json(f) for f in status.pending],
        "mismatches": [_mismatch_json(m) for m in status.mismatches],
        "missing": [row_json(r) for r in status.missing],
        "ahead": [row_json(r) for r in status.ahead],
        "lock_holder": holder_json(status.lock_holder),
        "errors": list(status.errors),
        "seeds": {
            "version": status.seed_version,
            "applied_count": status.seeds_applied,
            "pending": [file_json(f) for f in status.seeds_pending],
            "changed": [_mismatch_json(m) for m in status.seeds_changed],
        },
    }


def history_json(database: str, rows: Sequence[AppliedRow]) -> JSONDoc:
    return {"database": database, "rows": [row_json(r) for r in rows]}


# --- progress ----------------------------------------------------------------------------

_VERBS = {
    "apply": "applied",
    "reapply": "reapplied",
    "reseed": "re-seeded",
    "rollback": "rolled back",
}
PROGRESS_THRESHOLD = 5


class Reporter:
    """An event sink that shows a run as it happens: one line per step, or a progress bar
    when a plan has more than five steps and stdout is a terminal. ``prefix``: show the
    database name on every line (``--all``). Use as a context manager so a progress bar is
    always stopped."""

    def __init__(self, *, prefix: bool = False) -> None:
        self.prefix = prefix
        self.progress: Progress | None = None
        self.tasks: dict[str, TaskID] = {}

    def __enter__(self) -> Reporter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self.progress is not None:
            self.progress.stop()
            self.progress = None

    def _label(self, database: str) -> str:
        return f"[{database}] " if self.prefix else ""

    def _line(self, text: str, fg: str | None = None) -> None:
        # While a progress bar is live, lines go through its console so they print above
        # the bar instead of through it.
        if self.progress is not None:
            from rich.text import Text

            styled = style(text, fg=fg)
            self.progress.console.print(Text.from_ansi(styled))
        else:
            echo(text, fg=fg)

    def __call__(self, event: Event) -> None:
        from dbwarden import events as ev

        # PlanMade and RunFinished first: a run with nothing to do emits only these two, and
        # never loads the classes of the others (see dbwarden.events).
        if isinstance(event, ev.PlanMade):
            steps = len(event.plan.steps)
            if not event.dry_run and steps > PROGRESS_THRESHOLD and is_terminal():
                self._bar(event.database, steps)
        elif isinstance(event, ev.RunFinished):
            task = self.tasks.pop(event.database, None)
            if task is not None and self.progress is not None:
                self.progress.update(task, step="failed" if event.failed else "done")
        elif isinstance(event, ev.StepStarted):
            if event.database in self.tasks and self.progress is not None:
                self.progress.update(self.tasks[event.database], step=event.step.name)
        elif isinstance(event, ev.StepApplied):
            if event.database in self.tasks and self.progress is not None:
                self.progress.advance(self.tasks[event.database])
                return
            verb = style(f"{_VERBS.get(event.step.action, event.step.action):<11}", fg="green")
            ms = round(event.duration_s * 1000)
            self._line(f"{self._label(event.database)}{verb} {event.step.name}  {ms} ms")
        elif isinstance(event, ev.StepFailed):
            failed = style(f"{'failed':<11}", fg="red")
            self._line(f"{self._label(event.database)}{failed} {event.step.name}")
        elif isinstance(event, ev.LockWaiting):
            holder = event.holder.describe() if event.holder is not None else "another run"
            self._line(
                f"{self._label(event.database)}waiting for the {event.kind} lock held by "
                f"{holder} …",
                fg="yellow",
            )
        elif isinstance(event, ev.LockAcquired) and event.waited_s >= 1.0:
            self._line(
                f"{self._label(event.database)}lock acquired after {event.waited_s:.1f} s",
                fg="yellow",
            )

    def _bar(self, database: str, total: int) -> None:
        if self.progress is None:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
            )

            self.progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("{task.fields[step]}", style="dim"),
                console=console(),
            )
            self.progress.start()
        self.tasks[database] = self.progress.add_task(database, total=total, step="")


# --- human output ------------------------------------------------------------------------


def _versions(values: Iterable[str | None]) -> str:
    return ", ".join(v for v in values if v is not None)


def run_summary(result: RunResult, *, elapsed_s: float, prefix: bool = False) -> None:
    """The closing line of ``migrate``/``rollback`` (not a dry run)."""
    label = f"[{result.database}] " if prefix else f"{result.database}: "
    plan = result.plan
    if plan.state == "ahead":
        echo(
            f"{label}the database is ahead of this code: version(s) "
            f"{_versions(plan.ahead_versions)} were applied by a newer release; nothing to do",
            fg="yellow",
        )
        return
    for warning in plan.warnings:
        warn(f"{label}{warning}")
    if not result.applied:
        at = f" (version {plan.current_version})" if plan.current_version else ""
        echo(f"{label}up to date{at}", fg="green")
        return
    n = len(result.applied)
    noun = "migration" if n == 1 else "migrations"
    total_ms = round(elapsed_s * 1000)
    if plan.direction == "rollback":
        after = f", now at version {plan.target_version}" if plan.target_version else ""
        echo(f"{label}rolled back {n} {noun}{after} ({total_ms} ms)", fg="green")
        return
    if plan.direction == "seed":
        noun = "seed" if n == 1 else "seeds"
        echo(f"{label}applied {n} {noun} ({total_ms} ms)", fg="green")
        return
    if plan.direction == "baseline":
        echo(
            f"{label}recorded {n} migration(s) up to version {plan.target_version} as applied "
            "(baseline: nothing was run)",
            fg="green",
        )
        return
    versions = [int(r.version) for r in result.applied if r.version is not None]
    current = [int(plan.current_version)] if plan.current_version else []
    now = max(versions + current, default=None)
    after = f", now at version {now}" if now is not None else ""
    echo(f"{label}applied {n} {noun}{after} ({total_ms} ms)", fg="green")


def print_sql(result: RunResult, *, url: str) -> None:
    """The exact SQL of a dry run, highlighted on a terminal and plain otherwise, after a
    header in SQL comments (so the output is itself a valid script)."""
    plan = result.plan
    n = len(plan.steps)
    noun = "step" if n == 1 else "steps"
    header = [
        f"-- dbwarden dry run: {plan.direction} of database {result.database} ({url})",
        f"-- {n} {noun}; nothing was written",
    ]
    if plan.state == "ahead":
        header.append(
            f"-- the database is ahead of this code (version(s) {_versions(plan.ahead_versions)}"
            " applied by a newer release); nothing would run"
        )
    elif not plan.steps:
        header.append("-- up to date; nothing would run")
    text = "\n".join([*header, *result.sql])
    if is_terminal():
        from rich.syntax import Syntax

        console().print(Syntax(text, "sql", theme="ansi_dark", word_wrap=True))
    else:
        write(text)


def _clip(names: Sequence[str]) -> str:
    shown = list(names[:_LIST_LIMIT])
    if len(names) > _LIST_LIMIT:
        shown.append(f"… and {len(names) - _LIST_LIMIT} more")
    return "\n".join(shown)


def status_table(statuses: Sequence[Status | tuple[str, BaseException]], *, mask: Masker) -> None:
    """One row per database; problems in red. An entry may be ``(name, error)`` when the
    status of that database could not be read (``--all``)."""
    from rich.table import Table
    from rich.text import Text

    table = Table(title="dbwarden status", title_justify="left", show_lines=True)
    for column in ("database", "url", "state", "current", "applied", "pending"):
        table.add_column(column, overflow="fold")
    for column in ("mismatches", "missing", "ahead", "lock", "seeds"):
        table.add_column(column, overflow="fold")
    errors: list[Text] = []
    for entry in statuses:
        if isinstance(entry, tuple):
            name, exc = entry
            table.add_row(name, "", Text("error", style="bold red"), *([""] * 8))
            errors.append(Text(f"{name}: {mask(str(exc))}", style="red"))
            continue
        s = entry
        state_style = {
            "up_to_date": "green",
            "pending": "yellow",
            "ahead": "cyan",
        }.get(s.state, "bold red")
        table.add_row(
            s.database,
            s.url,
            Text(s.state, style=state_style),
            s.current_version or "-",
            str(len(s.applied)),
            Text(_clip([f.name for f in s.pending]) or "-", style="yellow" if s.pending else ""),
            Text(_clip([m.name for m in s.mismatches]) or "-", style="red" if s.mismatches else ""),
            Text(_clip([r.name for r in s.missing]) or "-", style="red" if s.missing else ""),
            Text(_clip([r.name for r in s.ahead]) or "-", style="cyan" if s.ahead else ""),
            s.lock_holder.describe() if s.lock_holder is not None else "free",
            _seeds_cell(s),
        )
        for message in s.errors:
            errors.append(Text(f"{s.database}: {message}", style="red"))
        if s.mismatches:
            errors.append(
                Text(
                    f"{s.database}: restore the edited file(s), or run `dbwarden repair` if the "
                    "edit was intended",
                    style="red",
                )
            )
    con = console()
    con.print(table)
    for line in errors:
        con.print(line)


def _seeds_cell(s: Status) -> Any:
    from rich.text import Text

    if not s.seeds_applied and not s.seeds_pending:
        return Text("-")
    parts = [f"at {s.seed_version}" if s.seed_version else "none applied"]
    if s.seeds_pending:
        parts.append(f"{len(s.seeds_pending)} pending")
    if s.seeds_changed:
        parts.append(f"{len(s.seeds_changed)} changed")
    style = "red" if s.seeds_changed else "yellow" if s.seeds_pending else ""
    return Text(", ".join(parts), style=style)


def history_table(database: str, rows: Sequence[AppliedRow]) -> None:
    from rich.table import Table

    if not rows:
        echo(f"{database}: no migration has been applied yet")
        return
    from datetime import UTC

    table = Table(title=f"dbwarden history: {database}", title_justify="left")
    for column in ("version", "name", "kind", "applied_at (UTC)", "ms", "applied_by"):
        table.add_column(column, justify="right" if column == "ms" else "left", overflow="fold")
    table.add_column("checksum", overflow="fold")
    for r in rows:
        table.add_row(
            r.version or "-",
            r.name,
            r.kind.value,
            r.applied_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
            str(r.duration_ms),
            f"{r.applied_by.removeprefix('baseline:')} (baseline)" if r.baselined else r.applied_by,
            r.checksum[:19],
        )
    console().print(table)
