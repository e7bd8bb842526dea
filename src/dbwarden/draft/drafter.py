"""``make_migration``, ``check_models`` and ``check_live``: scratch databases in, results out.

Each returns a frozen result; the CLI renders it. Drafting writes one file at most and
never executes anything against the configured database.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import anyio

from ..errors import DraftError
from . import schema as scratch
from .diff import Change, Op, RenameColumn, RenameTable, changes, diff
from .models import check_models as validate_models
from .models import load_metadata
from .render import Block, comment_lines, irreversible, render, sql_text
from .snapshot import Schema

if TYPE_CHECKING:
    from sqlalchemy import MetaData

    from ..config import DatabaseHandle, ResolvedURL

__all__ = ["CheckResult", "DraftResult", "check_live", "check_models", "make_migration"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class DraftResult:
    """A drafted migration. ``path`` is the file written (``None`` when nothing was
    written: no differences, or ``write=False``); ``text`` its content (``None`` when
    there are no differences); ``upgrade``/``rollback`` the statements of each section
    (``rollback`` is what undoing would take, commented out in the file when
    ``irreversible`` says why it cannot be)."""

    database: str
    changes: tuple[Change, ...]
    path: Path | None = None
    text: str | None = None
    upgrade: tuple[str, ...] = ()
    rollback: tuple[str, ...] = ()
    irreversible: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not self.changes


@dataclass(frozen=True, slots=True)
class CheckResult:
    """The differences between the schema the migrations produce and the models
    (``against="models"``) or the live database (``against="live"``). ``version`` is the
    migration version the comparison was made at; ``notes`` what the reader should know
    (pending migrations, versions without files)."""

    database: str
    against: str
    changes: tuple[Change, ...]
    version: str | None = None
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.changes

    @property
    def labels(self) -> tuple[str, str]:
        """How ``Change.difference`` names the two sides."""
        return ("migrations", "models" if self.against == "models" else "database")


@dataclass(frozen=True, slots=True)
class _Diff:
    current: Schema  # what the migrations produce (after any --rename)
    target: Schema
    renames: tuple[Op, ...]
    reverse_renames: tuple[Op, ...]
    version: str | None


async def make_migration(
    handle: DatabaseHandle,
    message: str,
    *,
    metadata: MetaData | Iterable[MetaData] | None = None,
    renames: Sequence[str] = (),
    dev: bool | None = None,
    write: bool = True,
    now: datetime | None = None,
) -> DraftResult:
    """Draft the migration that brings the schema the migrations produce to the models.

    ``metadata``: the models (default: import ``handle.model_paths``). ``renames``:
    ``"old:new"`` specs (``"table.old:new"`` for a column, ``"old_table:new_table"``)
    drafted as renames instead of a drop and an add. ``write=False`` returns the text
    without writing it. Nothing is written when the models match.
    """
    if not message.strip():
        raise DraftError("a migration needs a message (-m): it names the file")
    found = await _diff(handle, metadata, renames, dev)
    up = diff(found.current, found.target)
    found_changes = changes(found.renames) + changes(up)
    if not found_changes:
        return DraftResult(handle.name, ())
    down = diff(found.target, found.current, hints=False)
    keep = found.current
    up_blocks = render(found.renames, found.current, found.current, keep=keep)
    up_blocks += render(up, found.current, found.target, keep=keep)
    down_blocks = render(down, found.target, found.current, keep=keep, exact=True, notes=False)
    down_blocks += render(found.reverse_renames, found.current, found.current, keep=keep)
    reasons = irreversible(up)
    text = _file_text(message, up_blocks, down_blocks, reasons)
    notes = tuple(c for b in up_blocks for c in b.comments if c.startswith("NOTE: "))
    result = DraftResult(
        database=handle.name,
        changes=found_changes,
        text=text,
        upgrade=_statements(up_blocks),
        rollback=_statements(down_blocks),
        irreversible=reasons,
        notes=tuple(n.removeprefix("NOTE: ") for n in notes),
    )
    if not write:
        return result
    return replace(result, path=_write(handle, message, text, now or datetime.now(UTC)))


async def check_models(
    handle: DatabaseHandle,
    *,
    metadata: MetaData | Iterable[MetaData] | None = None,
    dev: bool | None = None,
) -> CheckResult:
    """Compare the models with the schema the migrations produce (nothing is written)."""
    found = await _diff(handle, metadata, (), dev)
    return CheckResult(
        handle.name, "models", changes(diff(found.current, found.target)), found.version
    )


async def check_live(handle: DatabaseHandle, *, dev: bool | None = None) -> CheckResult:
    """Compare the live database with the schema its applied migrations produce: what
    differs was changed by hand (drift). Reads the database; writes nothing to it."""
    from ..model import Kind
    from ..runner import Runner

    url = _resolve(handle, dev)
    runner = Runner(handle, dev=dev)
    files = runner.load_files() if handle.migrations_dir.is_dir() else ()
    rows = await runner.history()
    applied = {r.version for r in rows if r.kind is Kind.VERSIONED and r.version is not None}
    known = {f.version for f in files if f.version is not None}
    notes: list[str] = []
    at = max(applied & known, key=int, default=None)
    if applied - known:
        notes.append(
            "the database has versions with no file here ("
            + ", ".join(sorted(applied - known, key=int))
            + "): it was migrated by newer code; compared at version "
            + (at or "0")
        )
    gaps = sorted((v for v in known - applied if at is not None and int(v) < int(at)), key=int)
    if gaps:
        notes.append(
            f"versions {', '.join(gaps)} are not applied but lie below version {at}: their "
            "changes show as differences"
        )
    pending = sorted((v for v in known - applied if at is None or int(v) > int(at)), key=int)
    if pending:
        notes.append(
            f"{len(pending)} migration(s) pending ({', '.join(pending)}): not part of the "
            "comparison"
        )
    async with scratch.scratch_databases(url) as [(conn, scratch_url)]:
        if at is not None:
            await scratch.apply_migrations(handle, conn, scratch_url, target=at)
        current = await scratch.reflect(conn)
    async with scratch.live_database(url) as live:
        live_schema = await scratch.reflect(live) if live is not None else Schema(url.dialect, {})
    return CheckResult(handle.name, "live", changes(diff(current, live_schema)), at, tuple(notes))


# --- internals ---------------------------------------------------------------------------


async def _diff(
    handle: DatabaseHandle,
    metadata: MetaData | Iterable[MetaData] | None,
    renames: Sequence[str],
    dev: bool | None,
) -> _Diff:
    from sqlalchemy import MetaData

    if metadata is None:
        metadatas = load_metadata(handle)
    else:
        metadatas = (metadata,) if isinstance(metadata, MetaData) else tuple(metadata)
        validate_models(metadatas)
    url = _resolve(handle, dev)
    if handle.migrations_dir.is_dir():
        from ..discover import load_directory

        load_directory(handle.migrations_dir, dialect=url.dialect, database=handle.name)

    async with scratch.scratch_databases(url, 2) as [(current_conn, current_url), (target_conn, _)]:
        if url.dialect == "postgresql":
            # The models' schema sits next to the migrations' one, which is on its search
            # path: types and functions the migrations' extensions add must exist first.
            run = await scratch.apply_migrations(handle, current_conn, current_url)
            await scratch.create_models(target_conn, metadatas)
        else:
            run, _ = await _both(
                lambda: scratch.apply_migrations(handle, current_conn, current_url),
                lambda: scratch.create_models(target_conn, metadatas),
            )
        applied = run.applied if run is not None else ()
        version = max((s.version for s in applied if s.version is not None), key=int, default=None)
        current = await scratch.reflect(current_conn)
        target = await scratch.reflect(target_conn)
        forward, backward = _renames(renames, current, target)
        if forward:
            statements = [
                s for b in render(forward, current, current, keep=current) for s in b.statements
            ]
            await scratch.execute(current_conn, statements)
            current = await scratch.reflect(current_conn)
    return _Diff(current, target, tuple(forward), tuple(backward), version)


def _resolve(handle: DatabaseHandle, dev: bool | None) -> ResolvedURL:
    url = handle.resolve(dev=dev)
    if handle.is_dev(dev) and url.dialect != handle.resolve(dev=False).dialect:
        raise DraftError(
            f"database {handle.name!r}: dev_database_url is {url.dialect} but database_url "
            "is not; drafting works in the dialect the migrations are written for, so run it "
            "without dev mode (or with a dev database of the same kind)"
        )
    return url


async def _both(
    first: Callable[[], Awaitable[T]], second: Callable[[], Awaitable[object]]
) -> tuple[T, object]:
    """Run two coroutines concurrently; a failure is raised as itself, not as a group."""
    results: dict[int, object] = {}

    async def run(i: int, fn: Callable[[], Awaitable[object]]) -> None:
        results[i] = await fn()

    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(run, 0, first)
            tg.start_soon(run, 1, second)
    except BaseExceptionGroup as group:
        raise group.exceptions[0] from None
    return results[0], results[1]  # type: ignore[return-value]


def _renames(specs: Sequence[str], current: Schema, target: Schema) -> tuple[list[Op], list[Op]]:
    """``--rename`` specs → (rename operations, the operations undoing them)."""
    tables: list[RenameTable] = []
    columns: list[RenameColumn] = []
    table_map: dict[str, str] = {}  # target name -> current name
    column_specs: list[tuple[str, str]] = []
    for spec in specs:
        old, sep, new = spec.partition(":")
        old, new = old.strip(), new.strip()
        if not sep or not old or not new:
            raise DraftError(f"--rename {spec!r}: write it old:new (table.old:new for a column)")
        if (
            old in current.tables
            and old not in target.tables
            and new in target.tables
            and new not in current.tables
        ):
            tables.append(RenameTable(old, new))
            table_map[new] = old
        else:
            column_specs.append((old, new))
    for old, new in column_specs:
        if "." in old:
            table, column = old.split(".", 1)
            candidates = [table]
        else:
            column = old
            candidates = sorted(target.tables)
        new_column = new.rsplit(".", 1)[-1]
        found: list[str] = []
        for name in candidates:
            in_target = target.tables.get(name) or target.tables.get(
                next((t for t, o in table_map.items() if o == name), "")
            )
            source = current.tables.get(table_map.get(name, name))
            if in_target is None or source is None:
                continue
            if (
                source.column(column) is not None
                and in_target.column(column) is None
                and in_target.column(new_column) is not None
                and source.column(new_column) is None
            ):
                found.append(in_target.name)
        if not found:
            raise DraftError(
                f"--rename {old}:{new}: no table has a column {column!r} that the models no "
                f"longer have and a column {new_column!r} that only the models have"
            )
        if len(found) > 1:
            raise DraftError(
                f"--rename {old}:{new}: the column is renamed in several tables "
                f"({', '.join(found)}); write table.{column}:{new_column}"
            )
        columns.append(RenameColumn(found[0], column, new_column))
    forward: list[Op] = [*tables, *columns]
    backward: list[Op] = [RenameColumn(c.table, c.new, c.old) for c in reversed(columns)]
    backward += [RenameTable(t.new, t.old) for t in reversed(tables)]
    return forward, backward


def _statements(blocks: Iterable[Block]) -> tuple[str, ...]:
    return tuple(s for b in blocks for s in b.statements)


def _file_text(message: str, up: list[Block], down: list[Block], reasons: tuple[str, ...]) -> str:
    from ..naming import template

    header = template(message).split("\n-- upgrade\n", 1)[0]
    lines = [
        header,
        "-- drafted by `dbwarden make-migrations` from the models: review it, then `dbwarden "
        "migrate`",
    ]
    if reasons:
        lines.append("-- dbwarden: irreversible")
    lines += ["-- upgrade", sql_text(up), "", "-- rollback"]
    if reasons:
        for reason in reasons:
            lines += comment_lines(f"irreversible: {reason}.")
        lines += comment_lines("If no row uses what the upgrade added, this would undo it by hand:")
        lines.append(sql_text(down, commented=True))
    else:
        lines.append(sql_text(down))
    return "\n".join(lines) + "\n"


def _write(handle: DatabaseHandle, message: str, text: str, now: datetime) -> Path:
    from ..naming import next_version, slugify
    from ..parse import parse_text

    directory = handle.migrations_dir
    directory.mkdir(parents=True, exist_ok=True)
    names = [p.name for p in directory.iterdir() if p.is_file()]
    path = directory / f"{next_version(names, now)}_{slugify(message)}.sql"
    parse_text(text, path, handle.dialect(), database=handle.name)  # the draft must parse
    with open(path, "x", encoding="utf-8") as fh:
        fh.write(text)
    return path
