"""``dbwarden squash --to N``: replace the migrations up to version N with one file.

The files up to N run in a scratch database (the drafting machinery's: an in-memory SQLite
database, or a temporary PostgreSQL database on the configured server); the schema they
produce is read back from the catalog and rendered (by the drafting renderer) as one file
that creates it from nothing: extensions, enum types, sequences, tables with their
constraints, indexes and comments, then the rows those migrations left in its tables
(reference data), on PostgreSQL the positions of its sequences, then views and functions in
the order they were created and triggers last, each as the database prints it. Its
rollback drops everything it creates (``DROP TABLE ... CASCADE`` on PostgreSQL, for the
views of repeatable files). Before anything is written the file is run in a second scratch
database and read back, and its rollback run there too: a squash that would not re-create
the same schema, or not undo it completely, is refused.

The file carries ``-- dbwarden: squashes=<versions>`` and version N. A new database runs
it like any migration and records version N; a database that applied the old files counts
it as applied (see ``plan.squashed_history``). The old files move to
``migrations/<database>/squashed/``, where discovery never looks.

Refused: a version that is not a file, one already squashed, fewer than two files, a file
marked ``no-transaction`` in the range (the squash runs in one transaction), and schemas
holding what is not re-created: on PostgreSQL rules, policies and row-level security,
domains, composite and range types, aggregates, materialized, partitioned, unlogged,
foreign or inherited tables, GRANTs and other schemas; on SQLite virtual tables.
``irreversible`` and ``postgres-only`` files in the range make the squash irreversible /
postgres-only too.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import DraftError, MigrationFailedError, SquashError, UnknownVersionError
from .model import Kind, MigrationFile
from .parse import parse_text
from .plan import normalise_version
from .sql import Dialect

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection

    from .config import DatabaseHandle
    from .draft.diff import Op
    from .draft.snapshot import Schema, Table

__all__ = ["SQUASHED_DIR", "SquashResult", "choose", "squash"]

SQUASHED_DIR = "squashed"
_ROWS_PER_INSERT = 100
_VERSION_PREFIX = re.compile(r"^(?:[A-Za-z0-9_]*?__)?[0-9]+")


@dataclass(frozen=True, slots=True)
class SquashResult:
    """What ``squash`` wrote (or, with ``write=False``, would write).

    ``squashed``: the names of the files replaced, in order. ``path``: the squash file
    (``None`` when nothing was written); ``moved_to``: where the old files went. ``rows``:
    the data rows the file re-inserts. ``notes``: what a reviewer should know."""

    database: str
    version: str
    squashed: tuple[str, ...]
    text: str
    path: Path | None = None
    moved_to: Path | None = None
    irreversible: bool = False
    postgres_only: bool = False
    rows: int = 0
    notes: tuple[str, ...] = ()


def choose(files: Sequence[MigrationFile], to: str | int) -> tuple[MigrationFile, ...]:
    """The versioned files a squash up to ``to`` replaces, or the error that forbids it."""
    target = normalise_version(to)
    versioned = sorted(
        (f for f in files if f.kind is Kind.VERSIONED), key=lambda f: int(f.version or 0)
    )
    by_version = {f.version: f for f in versioned}
    if target not in by_version:
        holder = next((f for f in versioned if target in f.squashes), None)
        if holder is not None:
            raise SquashError(
                f"version {target} is already squashed into {holder.path.name}; squash to "
                f"{holder.version} or a later version",
                version=target,
                path=holder.path,
            )
        last = versioned[-1].version if versioned else None
        beyond = last is None or int(target) > int(last)
        raise UnknownVersionError(
            f"no migration file has version {target}"
            + (f"; the last file is version {last}" if beyond and last else "")
            + "; `--to` takes the version of an existing file",
            version=target,
        )
    top = by_version[target]
    if top.squashes:
        raise SquashError(
            f"{top.path.name} already squashes versions up to {target}; squash to a later "
            "version to fold more files into it",
            version=target,
            path=top.path,
        )
    chosen = tuple(f for f in versioned if int(f.version or 0) <= int(target))
    if len(chosen) < 2:
        raise SquashError(
            f"version {target} is the first migration; there is nothing to squash into it",
            version=target,
            path=top.path,
        )
    for f in chosen:
        if f.no_transaction:
            raise SquashError(
                f"{f.path.name} is marked `-- dbwarden: no-transaction`, and a squash runs in "
                "one transaction; squash up to a version before it "
                f"(--to {_previous(chosen, f)}) or leave the range alone",
                version=f.version,
                path=f.path,
            )
    return chosen


def _previous(chosen: Sequence[MigrationFile], f: MigrationFile) -> str:
    before = [g.version for g in chosen if int(g.version or 0) < int(f.version or 0)]
    return (before[-1] if before else None) or "0"


async def squash(
    handle: DatabaseHandle,
    to: str | int,
    *,
    write: bool = True,
    now: datetime | None = None,
) -> SquashResult:
    """Replace ``handle``'s migrations up to version ``to`` with one squash file.

    Nothing touches the configured database: the work happens in scratch databases of its
    dialect. ``write=False`` returns the text without writing or moving anything."""
    from .runner import Runner

    files = Runner(handle, dev=False).load_files()
    chosen = choose(files, to)
    top = chosen[-1]
    assert top.version is not None
    url = handle.resolve(dev=False)
    if url.dialect not in ("postgresql", "sqlite"):
        raise SquashError(
            f"squash supports PostgreSQL and SQLite databases, not {url.redacted}",
            version=top.version,
        )
    dialect: Dialect = url.dialect

    from .draft import schema as scratch

    # One scratch database to build the squash in, then a new one to check it: each is a
    # whole database (extensions, for one, belong to a database, not to a schema).
    async with scratch.scratch_databases(url) as [(conn, scratch_url)]:
        built = await _build(handle, chosen, conn, scratch_url)
    text, path = _file(handle, chosen, built, dialect, now)
    async with scratch.scratch_databases(url) as [(check, _)]:
        await _verify(check, built, text, path, dialect, handle.name)
    irreversible = [f.path.name for f in chosen if f.irreversible]
    postgres_only = any("postgres-only" in f.directives for f in chosen)
    notes = list(built.notes)
    if irreversible:
        notes.append(
            f"the squash is irreversible because {', '.join(irreversible)} "
            f"{'is' if len(irreversible) == 1 else 'are'}"
        )
    result = SquashResult(
        database=handle.name,
        version=top.version,
        squashed=tuple(f.path.name for f in chosen),
        text=text,
        irreversible=bool(irreversible),
        postgres_only=postgres_only,
        rows=built.rows,
        notes=tuple(notes),
    )
    if not write:
        return result
    moved_to = _write(handle.migrations_dir, path, text, chosen)
    return replace(result, path=path, moved_to=moved_to)


def _file(
    handle: DatabaseHandle,
    chosen: Sequence[MigrationFile],
    built: _Built,
    dialect: Dialect,
    now: datetime | None,
) -> tuple[str, Path]:
    """The squash file's text and path (``<version as written>_squashed.sql``)."""
    top = chosen[-1]
    irreversible = [f.path.name for f in chosen if f.irreversible]
    postgres_only = any("postgres-only" in f.directives for f in chosen)
    versions = sorted({v for f in chosen for v in (*f.squashes, f.version) if v}, key=int)
    name = f"{_VERSION_PREFIX.match(top.path.name)[0]}_squashed.sql"  # type: ignore[index]
    text = _text(
        chosen=chosen,
        versions=versions,
        built=built,
        irreversible=irreversible,
        postgres_only=postgres_only,
        when=now or datetime.now(UTC),
        dialect=dialect,
    )
    path = handle.migrations_dir / name
    parse_text(text, path, dialect, database=handle.name)  # the squash must parse
    return text, path


# --- building the squash in a scratch database ---------------------------------------------


@dataclass(frozen=True, slots=True)
class _Built:
    schema: Schema
    inventory: tuple[str, ...]  # views, functions and triggers, which the Schema leaves out
    upgrade: tuple[str, ...]  # statements
    rollback: tuple[str, ...]
    counts: dict[str, int]  # rows per table
    rows: int
    notes: tuple[str, ...]


async def _build(
    handle: DatabaseHandle,
    chosen: Sequence[MigrationFile],
    conn: AsyncConnection,
    scratch_url: str,
) -> _Built:
    from .draft import schema as scratch
    from .draft.diff import diff
    from .draft.render import render
    from .draft.snapshot import Schema

    with tempfile.TemporaryDirectory(prefix="dbwarden_squash_") as tmp:
        # Only the versioned files of the range: repeatable files are not squashed (they
        # run after it, as before), so what they create must not end up in the squash.
        for f in chosen:
            shutil.copyfile(f.path, Path(tmp) / f.path.name)
        before = await _inventory(conn)
        await conn.commit()  # the runner begins its own transactions
        try:
            await scratch.apply_migrations(
                replace(handle, migrations_dir=Path(tmp)), conn, scratch_url
            )
        except MigrationFailedError as exc:
            raise _relocated(exc, handle.migrations_dir) from None
        except DraftError as exc:
            # Drafting wraps the runner's failure; point at the real file, not the copy.
            if isinstance(exc.__cause__, MigrationFailedError):
                raise _relocated(exc.__cause__, handle.migrations_dir) from None
            raise
        after = await _inventory(conn)
        ours = {f"schema {handle.schema}"} if handle.schema else set()  # the tracking table's
        problems = sorted(set(after.problems) - set(before.problems) - ours)
        if problems:
            raise SquashError(
                "the migrations up to version "
                f"{chosen[-1].version} create what a squash cannot re-create: "
                f"{'; '.join(problems)}. Move these objects to a repeatable file "
                "(ROC__<name>.sql, which squash leaves alone), or squash up to a version "
                "before they appear",
                version=chosen[-1].version,
            )
        schema = await scratch.reflect(conn)
        extensions = [e for e in after.extensions if e not in before.extensions]
        routines = await _routines(conn, schema)
        data, counts = await _data(conn, schema)
        sequences = await _sequence_positions(conn, schema)

    empty = Schema(schema.dialect, {})
    create = _statements(render(diff(empty, schema), empty, schema, keep=empty))
    drop = _statements(render(diff(schema, empty), schema, empty, keep=schema))
    if schema.dialect == "postgresql":
        # The rollback runs once every later migration is rolled back; what still depends
        # on these tables and types then comes from repeatable files (a reporting view...),
        # which PostgreSQL would not drop without CASCADE. SQLite drops tables under views.
        drop = [s + " CASCADE" if re.match(r"DROP (?:TABLE|TYPE) ", s) else s for s in drop]
    q = _quote(schema.dialect)
    # Functions and views after the tables and their rows, in the order they were created
    # (each can use the ones before it); triggers last, so that loading rows fires none.
    upgrade = [f"CREATE EXTENSION IF NOT EXISTS {q(e)}" for e in extensions]
    upgrade += create + data + sequences
    upgrade += [r.create for r in routines if r.kind != "trigger"]
    upgrade += [r.create for r in routines if r.kind == "trigger"]
    rollback = [r.drop for r in reversed(routines) if r.drop is not None]
    rollback += drop + [f"DROP EXTENSION IF EXISTS {q(e)}" for e in reversed(extensions)]
    notes: list[str] = []
    if extensions:
        notes.append(f"it creates the extension(s) {', '.join(extensions)}")
    return _Built(
        schema=schema,
        inventory=tuple(sorted(f"{r.kind} {r.name}" for r in routines)),
        upgrade=tuple(upgrade),
        rollback=tuple(rollback),
        counts=counts,
        rows=sum(counts.values()),
        notes=tuple(notes),
    )


def _statements(blocks: Sequence[object]) -> list[str]:
    from .draft.render import Block

    return [s for b in blocks if isinstance(b, Block) for s in b.statements]


def _quote(dialect: str) -> Callable[[str], str]:
    from .draft import postgres, sqlite

    return postgres.quote if dialect == "postgresql" else sqlite.quote


def _relocated(exc: MigrationFailedError, directory: Path) -> MigrationFailedError:
    """The error of a file run from the scratch copy, pointing at the real file."""
    path = directory / exc.path.name if exc.path is not None else None
    return MigrationFailedError(
        path=path,
        line=exc.line,
        version=exc.version,
        statement=exc.statement,
        db_message=f"(while squashing, in a scratch database) {exc.db_message}",
        applied_statements=exc.applied_statements,
        transactional=exc.transactional,
    )


@dataclass(frozen=True, slots=True)
class _Inventory:
    problems: tuple[str, ...]
    extensions: tuple[str, ...]


# PostgreSQL objects the catalog reader does not re-create, in the current schema (and
# other schemas altogether), leaving out what belongs to an extension.
_NOT_EXTENSION = (
    "NOT EXISTS (SELECT 1 FROM pg_depend x WHERE x.classid = '{catalog}'::regclass "
    "AND x.objid = {oid} AND x.deptype = 'e')"
)
_PG_PROBLEMS = f"""
SELECT CASE p.prokind WHEN 'a' THEN 'aggregate ' ELSE 'window function ' END || p.proname
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = current_schema() AND p.prokind IN ('a', 'w')
  AND {_NOT_EXTENSION.format(catalog="pg_proc", oid="p.oid")}
UNION ALL
SELECT 'rule ' || r.rulename || ' on ' || c.relname FROM pg_rewrite r
JOIN pg_class c ON c.oid = r.ev_class JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE r.rulename <> '_RETURN' AND n.nspname = current_schema()
UNION ALL
SELECT 'policy ' || p.polname || ' on ' || c.relname FROM pg_policy p
JOIN pg_class c ON c.oid = p.polrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema()
UNION ALL
SELECT CASE c.relkind WHEN 'm' THEN 'materialized view ' WHEN 'p' THEN 'partitioned table '
       WHEN 'f' THEN 'foreign table ' ELSE 'table ' END || c.relname
       || CASE WHEN c.relrowsecurity THEN ' (row-level security)'
               WHEN c.relpersistence = 'u' THEN ' (unlogged)'
               WHEN c.relispartition THEN ' (a partition)'
               WHEN c.relacl IS NOT NULL THEN ' (GRANTs)' ELSE '' END
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema()
  AND {_NOT_EXTENSION.format(catalog="pg_class", oid="c.oid")}
  AND (c.relkind IN ('m', 'p', 'f')
       OR (c.relkind IN ('r', 'v') AND (c.relrowsecurity OR c.relpersistence = 'u'
                                        OR c.relispartition OR c.relacl IS NOT NULL)))
UNION ALL
SELECT 'inherited table ' || c.relname FROM pg_inherits i
JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema()
UNION ALL
SELECT CASE t.typtype WHEN 'd' THEN 'domain ' WHEN 'r' THEN 'range type '
       ELSE 'composite type ' END || t.typname
FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
WHERE n.nspname = current_schema() AND {_NOT_EXTENSION.format(catalog="pg_type", oid="t.oid")}
  AND (t.typtype IN ('d', 'r')
       OR (t.typtype = 'c' AND (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c'))
UNION ALL
SELECT 'schema ' || nspname FROM pg_namespace
WHERE nspname NOT LIKE 'pg\\_%' AND nspname NOT IN ('information_schema', current_schema())
"""
_PG_EXTENSIONS = "SELECT extname::text FROM pg_extension WHERE extname <> 'plpgsql' ORDER BY oid"
_SQLITE_PROBLEMS = (
    "SELECT 'virtual table ' || name FROM sqlite_master "
    "WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%'"
)


async def _inventory(conn: AsyncConnection) -> _Inventory:
    if conn.dialect.name == "postgresql":
        problems = tuple(str(r[0]) for r in (await conn.exec_driver_sql(_PG_PROBLEMS)).all())
        extensions = tuple(str(r[0]) for r in (await conn.exec_driver_sql(_PG_EXTENSIONS)).all())
        return _Inventory(problems, extensions)
    problems = tuple(str(r[0]) for r in (await conn.exec_driver_sql(_SQLITE_PROBLEMS)).all())
    return _Inventory(problems, ())


@dataclass(frozen=True, slots=True)
class _Routine:
    """A view, function, procedure or trigger, as the database itself writes it out."""

    kind: str  # "view" | "function" | "trigger"
    name: str
    create: str
    drop: str | None  # None: goes with its table


# Views, functions, procedures and triggers of the current schema in creation order, each
# with its definition as the server prints it (and how to drop it).
_PG_ROUTINES = f"""
SELECT c.oid::bigint, 'view', c.relname::text, pg_get_viewdef(c.oid, true), NULL
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND c.relkind = 'v'
  AND {_NOT_EXTENSION.format(catalog="pg_class", oid="c.oid")}
UNION ALL
SELECT p.oid::bigint, CASE p.prokind WHEN 'p' THEN 'procedure' ELSE 'function' END,
       p.proname::text, pg_get_functiondef(p.oid), pg_get_function_identity_arguments(p.oid)
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = current_schema() AND p.prokind IN ('f', 'p')
  AND {_NOT_EXTENSION.format(catalog="pg_proc", oid="p.oid")}
UNION ALL
SELECT t.oid::bigint, 'trigger', t.tgname::text || ' on ' || c.relname::text,
       pg_get_triggerdef(t.oid, true), NULL
FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE NOT t.tgisinternal AND n.nspname = current_schema()
ORDER BY 1
"""


async def _routines(conn: AsyncConnection, schema: Schema) -> list[_Routine]:
    """Views, functions and triggers, which the schema snapshot does not describe."""
    if schema.dialect == "sqlite":
        from .draft.sqlite import quote as q

        # SQLite keeps each one's text exactly as its migration wrote it.
        return [
            _Routine("view", v.name, v.sql, f"DROP VIEW IF EXISTS {q(v.name)}")
            for v in schema.views
        ] + [_Routine("trigger", f"{t.name} on {t.table}", t.sql, None) for t in schema.triggers]
    from .draft.postgres import quote

    (current,) = (await conn.exec_driver_sql("SELECT current_schema()")).one()
    # pg_get_functiondef names the schema; the squash, like the files it replaces, does not.
    qualified = re.compile(
        rf"^(CREATE OR REPLACE (?:FUNCTION|PROCEDURE) ){re.escape(quote(str(current)))}\."
    )
    found: list[_Routine] = []
    for row in (await conn.exec_driver_sql(_PG_ROUTINES)).all():
        _, kind, name, definition, arguments = tuple(row)
        text = qualified.sub(r"\1", str(definition).strip().rstrip(";").rstrip())
        if kind == "view":
            found.append(
                _Routine(
                    "view",
                    str(name),
                    f"CREATE VIEW {quote(str(name))} AS\n{text}",
                    f"DROP VIEW IF EXISTS {quote(str(name))}",
                )
            )
        elif kind == "trigger":
            found.append(_Routine("trigger", str(name), text, None))
        else:
            # CASCADE: a column default or a trigger of a table still there may use it.
            found.append(
                _Routine(
                    str(kind),
                    f"{name}({arguments})",
                    text,
                    f"DROP {str(kind).upper()} IF EXISTS {quote(str(name))}({arguments}) CASCADE",
                )
            )
    return found


def _insert_order(schema: Schema) -> list[Table]:
    """Tables with parents before children (then by name), for the data."""
    remaining = dict(schema.tables)
    order: list[Table] = []
    while remaining:
        ready = [
            n
            for n in sorted(remaining)
            if not (remaining[n].referenced_tables() - {n}) & remaining.keys()
        ]
        name = ready[0] if ready else sorted(remaining)[0]
        order.append(remaining.pop(name))
    return order


async def _data(conn: AsyncConnection, schema: Schema) -> tuple[list[str], dict[str, int]]:
    """INSERT statements for the rows the migrations left (reference data)."""
    q = _quote(schema.dialect)
    pg = schema.dialect == "postgresql"
    statements: list[str] = []
    counts: dict[str, int] = {}
    for table in _insert_order(schema):
        columns = [c for c in table.columns if c.generated is None]
        if not columns:
            continue
        keys = table.primary_key.columns if table.primary_key is not None else ()
        order = ", ".join(q(c) for c in keys) or ", ".join(q(c.name) for c in columns)
        select = ", ".join(f"{q(c.name)}::text" if pg else q(c.name) for c in columns)
        rows = (
            await conn.exec_driver_sql(f"SELECT {select} FROM {q(table.name)} ORDER BY {order}")
        ).all()
        counts[table.name] = len(rows)
        if not rows:
            continue
        always = pg and any((c.identity or "").startswith("ALWAYS") for c in columns)
        head = (
            f"INSERT INTO {q(table.name)} ({', '.join(q(c.name) for c in columns)})"
            + (" OVERRIDING SYSTEM VALUE" if always else "")
            + " VALUES"
        )
        types = [c.type.lower() for c in columns]
        for start in range(0, len(rows), _ROWS_PER_INSERT):
            values = ",\n".join(
                "    ("
                + ", ".join(_literal(v, pg, t) for v, t in zip(row, types, strict=True))
                + ")"
                for row in rows[start : start + _ROWS_PER_INSERT]
            )
            statements.append(f"{head}\n{values}")
    return statements, counts


_PG_NUMBERS = re.compile(r"^(?:smallint|integer|bigint|numeric|real|double precision)\b")
_NUMBER = re.compile(r"^-?[0-9]+(?:\.[0-9]+)?$")


def _literal(value: object, pg: bool, type_: str = "") -> str:
    """A SQL literal. On PostgreSQL every value was read as text, and the column's type
    reads it back (arrays, JSON, enums, bytea, intervals alike); numbers and booleans are
    written bare, for the reader."""
    if value is None:
        return "NULL"
    if pg and isinstance(value, str):
        if _PG_NUMBERS.match(type_) and _NUMBER.match(value):
            return value
        if type_ == "boolean" and value in ("true", "false"):
            return value.upper()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "NULL"
        if math.isinf(value):
            return "9e999" if value > 0 else "-9e999"
        return repr(value)
    if isinstance(value, bytes | bytearray | memoryview):
        data = bytes(value).hex()
        return f"'\\x{data}'" if pg else f"X'{data}'"
    return "'" + str(value).replace("'", "''") + "'"


async def _sequence_positions(conn: AsyncConnection, schema: Schema) -> list[str]:
    """PostgreSQL: ``setval`` for every sequence the migrations advanced, so that the next
    generated id is the same as on a database that ran them."""
    if schema.dialect != "postgresql":
        return []
    from .draft.postgres import quote

    out: list[str] = []
    for table in sorted(schema.tables.values(), key=lambda t: t.name):
        for column in table.columns:
            if column.serial is None and column.identity is None:
                continue
            owner = _string(quote(table.name))
            (sequence,) = (
                await conn.exec_driver_sql(
                    f"SELECT pg_get_serial_sequence({owner}, {_string(column.name)})"
                )
            ).one()
            if sequence is None:  # pragma: no cover - serial and identity columns own one
                continue
            value = await _position(conn, str(sequence))
            if value is not None:
                out.append(
                    f"SELECT setval(pg_get_serial_sequence({owner}, {_string(column.name)}), "
                    f"{value})"
                )
    for name in sorted(schema.sequences):
        value = await _position(conn, quote(name))
        if value is not None:
            out.append(f"SELECT setval({_string(quote(name))}, {value})")
    return out


async def _position(conn: AsyncConnection, sequence: str) -> int | None:
    row = (await conn.exec_driver_sql(f"SELECT last_value, is_called FROM {sequence}")).one()
    last, called = _pair(row)
    return int(str(last)) if called else None


def _pair(row: Sequence[object]) -> tuple[object, object]:
    first, second = tuple(row)
    return first, second


def _string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# --- the file --------------------------------------------------------------------------------


def _spans(versions: Sequence[str]) -> str:
    spans: list[list[int]] = []
    for v in sorted(int(v) for v in versions):
        if spans and v == spans[-1][1] + 1:
            spans[-1][1] = v
        else:
            spans.append([v, v])
    return ",".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)


def _text(
    *,
    chosen: Sequence[MigrationFile],
    versions: Sequence[str],
    built: _Built,
    irreversible: Sequence[str],
    postgres_only: bool,
    when: datetime,
    dialect: str,
) -> str:
    top = chosen[-1]
    what = "PostgreSQL" if dialect == "postgresql" else "SQLite"
    lines = [
        f"-- The migrations up to version {top.version}, squashed by "
        f"`dbwarden squash --to {top.version}` on {when:%Y-%m-%d}:",
        f"-- the schema and the rows they produce, read back from a scratch {what} database.",
        "-- A new database runs this file; a database that applied the files it replaces",
        f"-- counts it as applied. Those files are in {SQUASHED_DIR}/ (and in version control):",
        *(f"--   {f.path.name}" for f in chosen),
    ]
    directives = [f"squashes={_spans(versions)}"]
    if irreversible:
        directives.append("irreversible")
    if postgres_only:
        directives.append("postgres-only")
    lines.append(f"-- dbwarden: {', '.join(directives)}")
    lines.append("-- upgrade")
    lines.append("\n\n".join(s + ";" for s in built.upgrade))
    lines += ["", "-- rollback"]
    if irreversible:
        lines.append(
            f"-- Irreversible, as {', '.join(irreversible)} "
            f"{'is' if len(irreversible) == 1 else 'are'}. Dropping what this file creates "
            "would take:"
        )
        for statement in built.rollback:
            lines.extend(f"-- {line}" for line in (statement + ";").split("\n"))
    else:
        lines.append("\n".join(s + ";" for s in built.rollback))
    return "\n".join(lines) + "\n"


async def _verify(
    conn: AsyncConnection, built: _Built, text: str, path: Path, dialect: Dialect, database: str
) -> None:
    """Run the squash (and its rollback) in a fresh scratch database: it must re-create the
    schema and the rows exactly, and its rollback must leave nothing behind."""
    from .draft import schema as scratch
    from .draft.diff import changes, diff

    parsed = parse_text(text, path, dialect, database=database)
    try:
        await scratch.execute(conn, [s.text for s in parsed.upgrade.statements])
    except Exception as exc:
        raise SquashError(
            f"the squash file does not run on a fresh database ({_first_line(exc)}); "
            "squash up to an earlier version, and please report this",
            version=parsed.version,
        ) from None
    again = await scratch.reflect(conn)
    found = [c.summary() for c in changes(_respelled_checks_left_out(diff(built.schema, again)))]
    inventory = tuple(sorted(f"{r.kind} {r.name}" for r in await _routines(conn, again)))
    found += [f"{what} is missing" for what in sorted(set(built.inventory) - set(inventory))]
    if found:
        raise SquashError(
            "the squash file would not re-create the schema of the migrations it replaces "
            f"({'; '.join(found[:5])}); please report this",
            version=parsed.version,
        )
    for table, count in built.counts.items():
        q = _quote(dialect)
        (n,) = (await conn.exec_driver_sql(f"SELECT count(*) FROM {q(table)}")).one()
        if n != count:  # pragma: no cover - a rendering bug
            raise SquashError(
                f"the squash file re-creates {n} rows of {table}, not {count}",
                version=parsed.version,
            )
    if parsed.rollback is not None and parsed.rollback.statements:
        await scratch.execute(conn, [s.text for s in parsed.rollback.statements])
        left = await scratch.reflect(conn)
        names = [*left.tables, *left.enums, *left.sequences]
        names += [r.name for r in await _routines(conn, left)]
        if names:
            raise SquashError(  # pragma: no cover - a rendering bug
                f"the squash file's rollback leaves {', '.join(sorted(names))} behind",
                version=parsed.version,
            )


def _respelled_checks_left_out(ops: Sequence[Op]) -> list[Op]:
    """PostgreSQL prints some CHECK expressions in a form it reads back differently
    (``x = ANY ((ARRAY[...])::text[])`` becomes ``x = ANY (ARRAY[(...)::text, ...])``):
    the same constraint, respelled, as pg_dump would produce it too. A drop and an add of
    one check constraint of one table are that, not a difference."""
    from .draft.diff import AddConstraint, DropConstraint

    def key(op: AddConstraint | DropConstraint) -> tuple[str, str | None]:
        return (op.table, op.constraint.name)

    dropped = {
        key(op) for op in ops if isinstance(op, DropConstraint) and op.constraint.kind == "check"
    }
    added = {
        key(op) for op in ops if isinstance(op, AddConstraint) and op.constraint.kind == "check"
    }
    same = dropped & added
    return [
        op
        for op in ops
        if not (
            isinstance(op, AddConstraint | DropConstraint)
            and op.constraint.kind == "check"
            and key(op) in same
        )
    ]


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    return str(orig if orig is not None else exc).strip().split("\n")[0]


def _write(directory: Path, path: Path, text: str, chosen: Sequence[MigrationFile]) -> Path:
    """Write the squash file and move the files it replaces to ``squashed/``: checked
    first, then the new file under a hidden name, the moves, and the rename into place."""
    target = directory / SQUASHED_DIR
    clashes = [f.path.name for f in chosen if (target / f.path.name).exists()]
    if clashes:
        raise SquashError(
            f"{target} already holds {', '.join(clashes)}; move those files away first",
            path=target,
        )
    if path.exists():
        raise SquashError(f"{path.name} already exists; rename or remove it first", path=path)
    hidden = directory / f".{path.name}.tmp"
    hidden.write_text(text, encoding="utf-8")
    try:
        target.mkdir(exist_ok=True)
        for f in chosen:
            os.replace(f.path, target / f.path.name)
        os.replace(hidden, path)
    finally:
        if hidden.exists():
            hidden.unlink()
    return target
