"""``dbwarden make-migrations`` and ``dbwarden check``: model diffing on the command line.

The commands register themselves on the ``app`` of ``dbwarden.cli.app`` when this module is
imported (at the end of that module). SQLAlchemy and the drafter are imported inside the
commands, so ``dbwarden --help`` still pays for typer alone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from dbwarden.cli import render
from dbwarden.cli.app import DatabaseOpt, DevOpt, JsonOpt, app
from dbwarden.cli.plumbing import CommandExit, configure, guard, handle_of, run

if TYPE_CHECKING:
    from dbwarden.draft import Change, CheckResult, DraftResult

__all__ = ["check", "make_migrations"]

_MAKE_HELP = """\
Draft the next migration from the SQLAlchemy models (model_paths): the difference
between the schema the existing migrations produce and the models, as a new numbered file
with an -- upgrade and a matching -- rollback section. Review it, then `dbwarden migrate`.

The migrations are applied to a throwaway database (in-memory SQLite, or a temporary
database on the PostgreSQL server, dropped afterwards); the configured database is never
touched. Nothing is written when the models match. A dropped and an added column of one
type are drafted as a drop and an add, with a hint: pass --rename to keep the data.

\b
JSON (--json): {"database": str, "ok": true, "written": bool, "path": str|null,
  "changes": [{"kind": str, "table": str|null, "name": str|null, "old": str|null,
               "new": str|null, "hint": str|null, "summary": str}],
  "irreversible": [str], "notes": [str], "upgrade": [str], "rollback": [str],
  "text": str|null}
"""

_CHECK_HELP = """\
Check that the models match the schema the migrations produce: exit 0 when they do, 1
listing the differences (a model changed without a migration). With --live, compare the
live database with the schema its applied migrations produce instead, reporting drift
(changes made by hand). Nothing is written; --live only reads the database.

\b
JSON (--json): {"database": str, "ok": bool, "against": "models"|"live",
  "version": str|null, "changes": [<change, as in make-migrations --json>],
  "notes": [str]}
"""


@app.command("make-migrations", help=_MAKE_HELP)
def make_migrations(
    message: Annotated[
        str, typer.Option("-m", "--message", help="What the migration does (its header).")
    ],
    database: DatabaseOpt = None,
    rename: Annotated[
        list[str] | None,
        typer.Option(
            "--rename",
            metavar="OLD:NEW",
            help="Draft a rename, not a drop and an add: table.old:new for a column, "
            "old_table:new_table for a table (repeatable).",
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the draft instead of writing it.")
    ] = False,
    json_output: JsonOpt = False,
    dev: DevOpt = False,
) -> None:
    with guard(json_output=json_output):
        configure()
        handle = handle_of(database)
        from dbwarden.draft import make_migration

        result = run(
            lambda: make_migration(
                handle,
                message,
                renames=tuple(rename or ()),
                dev=True if dev else None,
                write=not dry_run,
            )
        )
        if json_output:
            render.dump_json(_draft_json(result))
        else:
            _show_draft(result, dry_run=dry_run)


def _show_draft(result: DraftResult, *, dry_run: bool) -> None:
    if result.is_empty:
        render.echo(
            f"{result.database}: the models match the schema the migrations produce; "
            "nothing to draft",
            fg="green",
        )
        return
    if dry_run:
        assert result.text is not None
        typer.echo(result.text, nl=False)
        render.echo(f"{result.database}: dry run, nothing written", err=True)
    else:
        assert result.path is not None
        typer.echo(render.display_path(result.path))
    out = dry_run  # with --dry-run stdout carries the draft itself
    for change in result.changes:
        render.echo(f"  {_sign(change)} {change.summary()}", err=out)
    for note in result.notes:
        render.echo(f"note: {note}", err=True, fg="yellow")
    for reason in result.irreversible:
        render.echo(
            f"irreversible: {reason}; the file is marked `-- dbwarden: irreversible`",
            err=True,
            fg="yellow",
        )


@app.command(help=_CHECK_HELP)
def check(
    database: DatabaseOpt = None,
    live: Annotated[
        bool,
        typer.Option(
            "--live",
            help="Compare the live database with its migrations (drift) instead of the models.",
        ),
    ] = False,
    json_output: JsonOpt = False,
    dev: DevOpt = False,
) -> None:
    with guard(json_output=json_output):
        configure()
        handle = handle_of(database)
        from dbwarden.draft import check_live, check_models

        dev_mode = True if dev else None
        if live:
            result = run(lambda: check_live(handle, dev=dev_mode))
        else:
            result = run(lambda: check_models(handle, dev=dev_mode))
        if json_output:
            render.dump_json(_check_json(result))
        else:
            _show_check(result)
        if not result.ok:
            raise CommandExit(1)


def _show_check(result: CheckResult) -> None:
    at = f" (version {result.version})" if result.version else ""
    old, new = result.labels
    if result.ok:
        what = "the models match" if result.against == "models" else "the live database matches"
        render.echo(f"{result.database}: {what} the schema the migrations produce{at}", fg="green")
    else:
        n = len(result.changes)
        if result.against == "models":
            head = f"the models differ from the schema the migrations produce{at}"
        else:
            head = f"the live database has drifted from the schema its migrations produce{at}"
        render.echo(f"{result.database}: {head}: {n} difference{'s' if n != 1 else ''}", fg="red")
        for change in result.changes:
            render.echo(f"  {_sign(change)} {change.difference(old, new)}")
    for note in result.notes:
        render.echo(f"note: {note}", err=True, fg="yellow")
    if not result.ok and result.against == "models":
        render.echo(
            f'draft the missing migration with: dbwarden make-migrations -d {result.database} -m "..."',
            err=True,
        )


def _sign(change: Change) -> str:
    verb = change.kind.partition("_")[0]
    return {"create": "+", "add": "+", "drop": "-"}.get(verb, "~")


def _change_json(change: Change) -> dict[str, Any]:
    return {
        "kind": change.kind,
        "table": change.table,
        "name": change.name,
        "old": change.old,
        "new": change.new,
        "hint": change.hint,
        "summary": change.summary(),
    }


def _draft_json(result: DraftResult) -> dict[str, Any]:
    return {
        "database": result.database,
        "ok": True,
        "written": result.path is not None,
        "path": str(result.path) if result.path is not None else None,
        "changes": [_change_json(c) for c in result.changes],
        "irreversible": list(result.irreversible),
        "notes": list(result.notes),
        "upgrade": list(result.upgrade),
        "rollback": list(result.rollback),
        "text": result.text,
    }


def _check_json(result: CheckResult) -> dict[str, Any]:
    return {
        "database": result.database,
        "ok": result.ok,
        "against": result.against,
        "version": result.version,
        "changes": [_change_json(c) for c in result.changes],
        "notes": list(result.notes),
    }
