"""``dbwarden squash``: replace the migrations up to a version with one file.

Registered on ``dbwarden.cli.app.app`` by importing this module (the last line of
``cli/app.py``). The squash machinery (SQLAlchemy, the drafting catalog readers) is imported
inside the command, so ``dbwarden --help`` pays for none of it.
"""

from __future__ import annotations

from typing import Annotated

import typer

from dbwarden.cli import render
from dbwarden.cli.app import DatabaseOpt, JsonOpt, app
from dbwarden.cli.plumbing import configure, guard, handle_of, run

__all__ = ["squash"]


@app.command()
def squash(
    to: Annotated[
        str,
        typer.Option(
            "--to",
            metavar="VERSION",
            help="Squash every migration up to and including this version.",
        ),
    ],
    database: DatabaseOpt = None,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Print the squash file; write and move nothing."),
    ] = False,
    json_output: JsonOpt = False,
) -> None:
    """Replace the migrations up to --to VERSION with one file that creates the schema
    (and the rows) they produce, read back from a scratch database of the same kind.

    A new database runs the squash file; a database that applied the old files counts it
    as applied. The old files move to migrations/<database>/squashed/. The configured
    database is never touched (on PostgreSQL a temporary database is created on its
    server). Refused for a version that is not a file or already squashed, and for a range
    holding a no-transaction file or objects a squash cannot re-create (rules, policies,
    domains on PostgreSQL, ...): exit 2.

    \b
    JSON (--json): {"database": str, "ok": true, "version": str, "path": str|null,
                    "moved_to": str|null, "squashed": [file name], "rows": int,
                    "irreversible": bool, "postgres_only": bool, "notes": [str],
                    "text": str}
    """
    with guard(json_output=json_output):
        configure()
        handle = handle_of(database)
        from dbwarden.squash import squash as make_squash

        result = run(lambda: make_squash(handle, to, write=not dry_run))
        if json_output:
            render.dump_json(
                {
                    "database": result.database,
                    "ok": True,
                    "version": result.version,
                    "path": str(result.path) if result.path else None,
                    "moved_to": str(result.moved_to) if result.moved_to else None,
                    "squashed": list(result.squashed),
                    "rows": result.rows,
                    "irreversible": result.irreversible,
                    "postgres_only": result.postgres_only,
                    "notes": list(result.notes),
                    "text": result.text,
                }
            )
            return
        for note in result.notes:
            render.warn(f"{result.database}: {note}")
        if dry_run:
            typer.echo(result.text, nl=False)
            return
        assert result.path is not None
        assert result.moved_to is not None
        n = len(result.squashed)
        rows = f", with {result.rows} row(s) of data" if result.rows else ""
        render.echo(
            f"{result.database}: squashed {n} migrations up to version {result.version} into "
            f"{render.display_path(result.path)}{rows}",
            fg="green",
        )
        render.echo(f"  the replaced files are in {render.display_path(result.moved_to)}/")
        render.echo(
            "  review the file, run `dbwarden migrate` (databases that applied the old files "
            "have nothing to do), then commit"
        )
