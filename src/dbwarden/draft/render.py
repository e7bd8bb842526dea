"""Operations → SQL text for one dialect, in an order the database accepts.

Statements are grouped in phases so that every reference resolves: new types and
sequences first; foreign keys, then indexes and other constraints that are going away;
new tables, parents before children; column changes; dropped tables, children first; new
indexes and constraints; new foreign keys; finally the types and sequences nothing uses
any more.

SQLite can add, drop and rename a column and create or drop an index in place; anything
else (a column's type, nullability or default, any constraint) is done by rebuilding the
table inside the migration: create the new shape under a temporary name, copy the rows,
drop the old table, rename the new one, re-create its indexes and triggers (and the views,
which SQLite re-checks on rename). The text re-created is SQLite's own stored text, so a
rollback restores a table exactly as its migration wrote it.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable, Iterable, Sequence, Set
from dataclasses import dataclass

from . import postgres, sqlite
from .diff import (
    AddColumn,
    AddConstraint,
    AddEnumValue,
    AlterColumn,
    AlterSequence,
    CommentTable,
    CreateEnum,
    CreateIndex,
    CreateSequence,
    CreateTable,
    DropColumn,
    DropConstraint,
    DropEnum,
    DropIndex,
    DropSequence,
    DropTable,
    Op,
    RebuildEnum,
    RebuildTable,
    RenameColumn,
    RenameConstraint,
    RenameIndex,
    RenameTable,
    table_of,
)
from .snapshot import Column, Constraint, Schema, Table
from .snapshot import Sequence as Seq

__all__ = ["Block", "comment_lines", "irreversible", "render", "sql_text"]

_TEMP_PREFIX = "_dbwarden_new_"
_Quote = Callable[[str], str]


@dataclass(frozen=True, slots=True)
class Block:
    """Statements that belong together, with the comments a reviewer should read first."""

    statements: tuple[str, ...]
    comments: tuple[str, ...] = ()


def irreversible(ops: Iterable[Op]) -> tuple[str, ...]:
    """Why these operations cannot be undone (empty when they can)."""
    return tuple(
        f"PostgreSQL cannot remove a value from an enum type ({op.name}: {op.value!r})"
        for op in ops
        if isinstance(op, AddEnumValue)
    )


def render(
    ops: Sequence[Op],
    old: Schema,
    new: Schema,
    *,
    keep: Schema,
    exact: bool = False,
    notes: bool = True,
) -> list[Block]:
    """SQL blocks for ``ops`` (the diff from ``old`` to ``new``), ordered by phase.

    ``keep`` is the schema the migrations produce: the views and triggers a SQLite rebuild
    must re-create come from it, in either direction. ``exact`` (rollbacks): on SQLite,
    rebuild a table rather than leave a re-added column at the end, so that the table
    comes back exactly as it was (PostgreSQL cannot place a column). ``notes=False``
    (rollbacks) leaves out the ``NOTE:`` comments meant for reviewing an upgrade.
    """
    dialect = new.dialect
    planned = list(_sqlite_plan(ops, old, new, exact)) if dialect == "sqlite" else list(ops)
    q = sqlite.quote if dialect == "sqlite" else postgres.quote

    creates = [op.table for op in planned if isinstance(op, CreateTable)]
    drops = [op.table for op in planned if isinstance(op, DropTable)]
    create_order, deferred = _creation_order(creates, defer=dialect == "postgresql")
    drop_order, cycle_fks = _drop_order(drops, dialect)
    planned += [AddConstraint(table, fk) for table, fk in deferred]
    planned += [DropConstraint(table, fk) for table, fk in cycle_fks]

    created_at = {name: i for i, name in enumerate(create_order)}
    dropped_at = {name: i for i, name in enumerate(drop_order)}

    def position(op: Op) -> tuple[int, int, str, int]:
        phase = _phase(op)
        if isinstance(op, CreateTable):
            return (phase, created_at[op.table.name], "", 0)
        if isinstance(op, DropTable):
            return (phase, dropped_at[op.table.name], "", 0)
        within = {AddColumn: 0, AlterColumn: 1, DropColumn: 2}.get(type(op), 3)
        return (phase, 0, table_of(op) or "", within)

    ordered = sorted(planned, key=position)  # stable: the diff's order breaks ties
    deferred_names = {(t, fk.name) for t, fk in deferred}
    blocks: list[Block] = []
    rebuilds = [op for op in ordered if isinstance(op, RebuildTable)]
    pre, post = _rebuild_guards(rebuilds, keep) if rebuilds else ([], [])
    for op in ordered:
        if rebuilds and op is rebuilds[0]:
            blocks.extend(pre)
        if isinstance(op, CreateTable):
            skip = {name for t, name in deferred_names if t == op.table.name}
            blocks.append(_create_table(op.table, dialect, q, skip))
        else:
            blocks.append(_render(op, dialect, q, old.enums.keys() | new.enums.keys()))
        if rebuilds and op is rebuilds[-1]:
            blocks.extend(post)
    if not notes:
        blocks = [
            Block(b.statements, tuple(c for c in b.comments if not c.startswith("NOTE:")))
            for b in blocks
        ]
    return [b for b in blocks if b.statements or b.comments]


def comment_lines(text: str) -> list[str]:
    """``text`` as ``--`` comment lines of at most 92 characters."""
    return textwrap.wrap(
        text, width=92, initial_indent="-- ", subsequent_indent="--   ", break_on_hyphens=False
    )


def sql_text(blocks: Iterable[Block], *, commented: bool = False) -> str:
    """Blocks as a section of a migration file; ``commented`` turns the SQL into comments."""
    parts: list[str] = []
    for block in blocks:
        lines = [line for c in block.comments for line in comment_lines(c)]
        for statement in block.statements:
            text = statement + ";"
            if commented:
                text = "\n".join(f"-- {line}" if line else "--" for line in text.split("\n"))
            lines.append(text)
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


# --- ordering ----------------------------------------------------------------------------


def _phase(op: Op) -> int:
    if isinstance(op, RenameTable | RenameColumn):
        return 0
    if isinstance(op, CreateEnum | CreateSequence | AddEnumValue | AlterSequence):
        return 1
    if isinstance(op, RebuildEnum):
        return 2
    if isinstance(op, DropConstraint):
        return 3 if op.constraint.kind == "foreign_key" else 4
    if isinstance(op, DropIndex):
        return 4
    if isinstance(op, RenameIndex | RenameConstraint):
        return 5
    if isinstance(op, CreateTable):
        return 6
    if isinstance(op, AddColumn | AlterColumn | DropColumn | CommentTable | RebuildTable):
        return 7
    if isinstance(op, DropTable):
        return 8
    if isinstance(op, CreateIndex):
        return 9
    if isinstance(op, AddConstraint):
        return 10 if op.constraint.kind == "foreign_key" else 9
    if isinstance(op, DropEnum | DropSequence):
        return 11
    raise TypeError(f"unknown operation {op!r}")  # pragma: no cover


def _creation_order(
    tables: list[Table], *, defer: bool
) -> tuple[list[str], list[tuple[str, Constraint]]]:
    """Parents before children; in a cycle, the foreign keys that point forward are
    ``deferred`` (added once every table exists) when ``defer``."""
    names = {t.name for t in tables}
    remaining = {t.name: t for t in tables}
    order: list[str] = []
    deferred: list[tuple[str, Constraint]] = []
    while remaining:
        ready = [
            n
            for n in sorted(remaining)
            if not (remaining[n].referenced_tables() & names) - {n} - set(order)
        ]
        name = ready[0] if ready else sorted(remaining)[0]
        table = remaining.pop(name)
        order.append(name)
        if defer:
            for fk in table.foreign_keys:
                ref = fk.referred_table
                if ref in names and ref != name and ref not in order:
                    deferred.append((name, fk))
    return order, deferred


def _drop_order(
    tables: list[Table], dialect: str
) -> tuple[list[str], list[tuple[str, Constraint]]]:
    """Children before parents; on PostgreSQL, a foreign key between dropped tables that
    would still point at an already dropped table is dropped first."""
    order, _ = _creation_order(tables, defer=False)
    order.reverse()
    cycle: list[tuple[str, Constraint]] = []
    if dialect == "postgresql":
        by_name = {t.name: t for t in tables}
        for i, name in enumerate(order):
            for later in order[i + 1 :]:
                for fk in by_name[later].foreign_keys:
                    if fk.referred_table == name:
                        cycle.append((later, fk))
    return order, cycle


# --- SQLite: what can be done in place ----------------------------------------------------


def _mentions(text: str | None, name: str) -> bool:
    if not text:
        return False
    wanted = name.upper()
    return any(t.name.upper() == wanted for t in sqlite.tokens(text) if t.kind in ("word", "ident"))


def _sqlite_plan(ops: Sequence[Op], old: Schema, new: Schema, exact: bool) -> list[Op]:
    out: list[Op] = []
    per_table: dict[str, list[Op]] = {}
    for op in ops:
        name = table_of(op)
        if (
            name is not None
            and name in old.tables
            and name in new.tables
            and not isinstance(op, RenameTable | RenameColumn)
        ):
            per_table.setdefault(name, []).append(op)
        else:
            out.append(op)
    for name, table_ops in per_table.items():
        reasons = _rebuild_reasons(table_ops, old.tables[name], new.tables[name], exact)
        if reasons:
            hints = tuple(
                f"{name}.{op.column.name} is dropped and {name}.{op.rename_hint} added with "
                f"the same type: if it was renamed, draft again with "
                f"--rename {name}.{op.column.name}:{op.rename_hint} to keep its data"
                for op in table_ops
                if isinstance(op, DropColumn) and op.rename_hint
            )
            out.append(RebuildTable(old.tables[name], new.tables[name], reasons, hints))
        else:
            out.extend(table_ops)
    return out


def _rebuild_reasons(ops: list[Op], old: Table, new: Table, exact: bool) -> tuple[str, ...]:
    reasons: list[str] = []
    if exact:
        dropped = {op.column.name for op in ops if isinstance(op, DropColumn)}
        added = [op.column.name for op in ops if isinstance(op, AddColumn)]
        kept = [c.name for c in old.columns if c.name not in dropped]
        if kept + added != [c.name for c in new.columns]:
            reasons.append("put a column back in its place")
    dropped_indexes = {op.index.name for op in ops if isinstance(op, DropIndex)}
    for op in ops:
        if isinstance(op, AlterColumn):
            what = ", ".join(op.what) or "generated expression"
            reasons.append(f"change column {op.new.name} ({what})")
        elif isinstance(op, AddConstraint | DropConstraint | RenameConstraint):
            c = op.new if isinstance(op, RenameConstraint) else op.constraint
            verb = {AddConstraint: "add", DropConstraint: "drop"}.get(type(op), "rename")
            reasons.append(f"{verb} a {_CONSTRAINT_NOUN[c.kind]}")
        elif isinstance(op, RebuildTable):
            reasons.extend(op.reasons)
        elif isinstance(op, AddColumn):
            reason = _add_column_blocker(op.column, new)
            if reason:
                reasons.append(reason)
        elif isinstance(op, DropColumn):
            reason = _drop_column_blocker(op.column, old, dropped_indexes)
            if reason:
                reasons.append(reason)
    for noun in _CONSTRAINT_NOUN.values():
        if f"add a {noun}" in reasons and f"drop a {noun}" in reasons:
            at = reasons.index(f"drop a {noun}")
            reasons = [r for r in reasons if r != f"add a {noun}"]
            reasons[at] = f"change a {noun}"
    return tuple(dict.fromkeys(reasons))


_CONSTRAINT_NOUN = {
    "primary_key": "primary key",
    "unique": "unique constraint",
    "check": "check constraint",
    "foreign_key": "foreign key",
    "exclude": "exclusion constraint",
}


def _add_column_blocker(column: Column, table: Table) -> str | None:
    name = column.name
    if table.primary_key and name in table.primary_key.columns:
        return f"add primary-key column {name}"
    if column.generated and column.generated.endswith("STORED"):
        return f"add stored generated column {name}"
    if not column.nullable and column.default is None:
        return f"add NOT NULL column {name} without a default"
    if column.default is not None and (
        column.default in ("CURRENT_TIME", "CURRENT_DATE", "CURRENT_TIMESTAMP")
        or re.search(r"\bDEFAULT\s*\(", column.definition or "", re.I)
    ):
        return f"add column {name} with a non-constant default"
    return None


def _drop_column_blocker(column: Column, table: Table, dropped_indexes: set[str]) -> str | None:
    name = column.name
    constrained = [*table.constraints, *((table.primary_key,) if table.primary_key else ())]
    for c in constrained:
        if name in c.columns or (c.kind == "check" and _mentions(c.definition, name)):
            return f"drop column {name}, used by a {_CONSTRAINT_NOUN[c.kind]}"
    for index in table.indexes:
        if index.name not in dropped_indexes and _mentions(index.sql.split(" ON ", 1)[-1], name):
            return f"drop column {name}, used by index {index.name}"
    for other in table.columns:
        if other.name != name and _mentions(other.generated, name):
            return f"drop column {name}, used by generated column {other.name}"
    return None


def _rebuild_guards(rebuilds: list[RebuildTable], keep: Schema) -> tuple[list[Block], list[Block]]:
    """Views, and triggers that mention a rebuilt table, are dropped before the rebuilds and
    re-created after them: SQLite re-checks every view and trigger when a table is renamed.
    Triggers on a rebuilt table go with it and are re-created too."""
    rebuilt = {op.new.name for op in rebuilds} | {op.old.name for op in rebuilds}
    q = sqlite.quote
    triggers_on = [t for t in keep.triggers if t.table in rebuilt]
    triggers_about = [
        t
        for t in keep.triggers
        if t.table not in rebuilt and any(_mentions(t.sql, name) for name in rebuilt)
    ]
    pre: list[Block] = []
    post: list[Block] = []
    if keep.views or triggers_about:
        pre.append(
            Block(
                tuple(f"DROP VIEW {q(v.name)}" for v in reversed(keep.views))
                + tuple(f"DROP TRIGGER {q(t.name)}" for t in triggers_about),
                (
                    "SQLite re-checks views and triggers when a table is renamed: drop them "
                    "for the rebuild, re-create them after it",
                ),
            )
        )
    recreate = [*triggers_on, *triggers_about]
    if recreate or keep.views:
        post.append(
            Block(
                tuple(t.sql for t in recreate) + tuple(v.sql for v in keep.views),
                ("re-create the triggers and views the rebuild removed",),
            )
        )
    return pre, post


# --- statements --------------------------------------------------------------------------


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _comment(value: str | None) -> str:
    return "NULL" if value is None else _literal(value)


def _pg_column(c: Column) -> str:
    q = postgres.quote
    if c.serial is not None and not c.nullable and c.default is not None:
        return f"{q(c.name)} {postgres.serial_type(c.type)} NOT NULL"
    parts = [q(c.name), c.type]
    if c.collation:
        parts.append(f"COLLATE {q(c.collation)}")
    if c.generated:
        parts.append(f"GENERATED ALWAYS AS {c.generated}")
    if c.identity:
        kind, _, options = c.identity.partition(" (")
        parts.append(f"GENERATED {kind} AS IDENTITY" + (f" ({options}" if options else ""))
    if c.default is not None:
        parts.append(f"DEFAULT {c.default}")
    if not c.nullable:
        parts.append("NOT NULL")
    return " ".join(parts)


def _not_null_note(table: str, c: Column) -> tuple[str, ...]:
    if c.nullable or c.default is not None or c.identity or c.generated or c.serial:
        return ()
    return (
        f"NOTE: {table}.{c.name} is NOT NULL without a default: this fails if {table} has "
        "rows; give it a server_default, or add it nullable, fill it, then make it NOT NULL",
    )


def _tidy(sql: str) -> str:
    """SQLAlchemy's ``CREATE TABLE`` layout without its tabs and trailing spaces."""
    return re.sub(r"[ \t]+$", "", re.sub(r"^\t", "    ", sql, flags=re.M), flags=re.M)


def _create_table(table: Table, dialect: str, q: _Quote, skip: set[str | None]) -> Block:
    if dialect == "sqlite":
        assert table.sql is not None
        return Block((_tidy(table.sql), *(i.sql for i in table.indexes)))
    lines = [_pg_column(c) for c in table.columns]
    constraints = [*((table.primary_key,) if table.primary_key else ()), *table.constraints]
    lines += [
        f"CONSTRAINT {q(c.name or '')} {c.definition}" for c in constraints if c.name not in skip
    ]
    statements = ["CREATE TABLE " + q(table.name) + " (\n    " + ",\n    ".join(lines) + "\n)"]
    if table.comment is not None:
        statements.append(f"COMMENT ON TABLE {q(table.name)} IS {_comment(table.comment)}")
    for c in table.columns:
        if c.comment is not None:
            statements.append(
                f"COMMENT ON COLUMN {q(table.name)}.{q(c.name)} IS {_comment(c.comment)}"
            )
    statements += [i.sql for i in table.indexes]
    return Block(tuple(statements))


def _render(op: Op, dialect: str, q: _Quote, enums: Set[str] = frozenset()) -> Block:
    pg = dialect == "postgresql"
    match op:
        case RenameTable(old, new):
            return Block((f"ALTER TABLE {q(old)} RENAME TO {q(new)}",))
        case RenameColumn(table, old, new):
            return Block((f"ALTER TABLE {q(table)} RENAME COLUMN {q(old)} TO {q(new)}",))
        case CreateEnum(name, labels):
            values = ", ".join(_literal(v) for v in labels)
            return Block((f"CREATE TYPE {q(name)} AS ENUM ({values})",))
        case DropEnum(name):
            return Block((f"DROP TYPE {q(name)}",))
        case AddEnumValue(name, value, before, after):
            where = f" BEFORE {_literal(before)}" if before else ""
            where = f" AFTER {_literal(after)}" if after else where
            return Block(
                (f"ALTER TYPE {q(name)} ADD VALUE {_literal(value)}{where}",),
                (
                    "irreversible: PostgreSQL cannot remove a value from an enum type, and a "
                    "value added in a transaction cannot be used before it commits",
                ),
            )
        case RebuildEnum():
            return _rebuild_enum(op, q)
        case CreateSequence(seq):
            return Block((f"CREATE SEQUENCE {q(seq.name)}{_sequence_options(seq, None)}",))
        case DropSequence(seq):
            return Block((f"DROP SEQUENCE {q(seq.name)}",))
        case AlterSequence(old, new):
            return Block((f"ALTER SEQUENCE {q(new.name)}{_sequence_options(new, old)}",))
        case DropTable(table, hint):
            if hint:
                note = (
                    f"NOTE: table {table.name} is dropped and {hint} created with the same "
                    f"columns: if it was renamed, draft again with --rename {table.name}:{hint} "
                    "to keep its rows"
                )
            else:
                note = (
                    f"NOTE: drops table {table.name} and its rows: if it still has a model, "
                    "the module defining it is missing from model_paths"
                )
            return Block((f"DROP TABLE {q(table.name)}",), (note,))
        case AddColumn(table, column):
            definition = column.definition if not pg else _pg_column(column)
            statements = [f"ALTER TABLE {q(table)} ADD COLUMN {definition}"]
            if pg and column.comment is not None:
                statements.append(
                    f"COMMENT ON COLUMN {q(table)}.{q(column.name)} IS {_comment(column.comment)}"
                )
            return Block(tuple(statements), _not_null_note(table, column))
        case DropColumn(table, column, hint):
            hinted = (
                (
                    f"NOTE: {table}.{column.name} is dropped and {table}.{hint} added with the "
                    f"same type: if it was renamed, draft again with "
                    f"--rename {table}.{column.name}:{hint} to keep its data",
                )
                if hint
                else ()
            )
            return Block((f"ALTER TABLE {q(table)} DROP COLUMN {q(column.name)}",), hinted)
        case AlterColumn():
            return _alter_column(op, q, enums)
        case AddConstraint(table, c):
            name = f"CONSTRAINT {q(c.name)} " if c.name else ""
            return Block((f"ALTER TABLE {q(table)} ADD {name}{c.definition}",))
        case DropConstraint(table, c):
            return Block((f"ALTER TABLE {q(table)} DROP CONSTRAINT {q(c.name or '')}",))
        case RenameConstraint(table, old, new):
            return Block(
                (
                    f"ALTER TABLE {q(table)} RENAME CONSTRAINT {q(old.name or '')} "
                    f"TO {q(new.name or '')}",
                )
            )
        case CreateIndex(index):
            return Block((index.sql,))
        case DropIndex(index):
            return Block((f"DROP INDEX {q(index.name)}",))
        case RenameIndex(old, new):
            return Block((f"ALTER INDEX {q(old.name)} RENAME TO {q(new.name)}",))
        case CommentTable(table, _, new):
            return Block((f"COMMENT ON TABLE {q(table)} IS {_comment(new)}",))
        case RebuildTable():
            return _rebuild_table(op)
    raise TypeError(f"cannot render {op!r} for {dialect}")  # pragma: no cover


def _base_type(type_: str) -> str:
    return re.sub(r"\([^)]*\)", "", type_).strip()


def _alter_column(op: AlterColumn, q: _Quote, enums: Set[str]) -> Block:
    table, o, n = op.table, op.old, op.new
    prefix = f"ALTER TABLE {q(table)} ALTER COLUMN {q(n.name)}"
    what = op.what
    statements: list[str] = []
    notes: list[str] = []
    type_change = "type" in what
    default_change = "default" in what
    if "identity" in what and o.identity:
        statements.append(f"{prefix} DROP IDENTITY")
    if (type_change or default_change) and o.default is not None:
        statements.append(f"{prefix} DROP DEFAULT")
    if type_change:
        collate = f" COLLATE {q(n.collation)}" if n.collation else ""
        # There is no cast between two enum types, nor from an enum to most others: go
        # through text.
        via = ""
        if o.type.removesuffix("[]") in enums:
            via = "::text[]" if o.type.endswith("[]") else "::text"
        using = ""
        if _base_type(o.type) != _base_type(n.type):
            using = f" USING {q(n.name)}{via}::{n.type}"
        statements.append(f"{prefix} TYPE {n.type}{collate}{using}")
        if o.serial and n.serial:
            statements.append(f"ALTER SEQUENCE {q(o.serial)} AS {n.type}")
    if default_change and o.serial and not n.serial:
        statements.append(f"DROP SEQUENCE {q(o.serial)}")
    default = o.default if (o.serial and n.serial) else n.default
    if default is not None and (type_change or default_change):
        if n.serial and not o.serial:
            statements.append(
                f"CREATE SEQUENCE {q(n.serial)} AS {n.type} OWNED BY {q(table)}.{q(n.name)}"
            )
        statements.append(f"{prefix} SET DEFAULT {default}")
    if "nullable" in what:
        statements.append(f"{prefix} {'DROP' if n.nullable else 'SET'} NOT NULL")
        if not n.nullable:
            notes.append(
                f"NOTE: SET NOT NULL fails if {table}.{n.name} holds NULLs; fill them first"
            )
    if "identity" in what and n.identity:
        kind, _, options = n.identity.partition(" (")
        statements.append(
            f"{prefix} ADD GENERATED {kind} AS IDENTITY" + (f" ({options}" if options else "")
        )
    if "comment" in what:
        statements.append(f"COMMENT ON COLUMN {q(table)}.{q(n.name)} IS {_comment(n.comment)}")
    return Block(tuple(statements), tuple(notes))


def _rebuild_enum(op: RebuildEnum, q: _Quote) -> Block:
    temp = q(f"_dbwarden_old_{op.name}")
    values = ", ".join(_literal(v) for v in op.new)
    statements = [
        f"ALTER TYPE {q(op.name)} RENAME TO {temp}",
        f"CREATE TYPE {q(op.name)} AS ENUM ({values})",
    ]
    for table, column in op.usages:
        prefix = f"ALTER TABLE {q(table)} ALTER COLUMN {q(column.name)}"
        if column.default is not None:
            statements.append(f"{prefix} DROP DEFAULT")
        via = "text[]" if column.type.endswith("[]") else "text"
        statements.append(
            f"{prefix} TYPE {column.type} USING {q(column.name)}::{via}::{column.type}"
        )
        if column.default is not None:
            statements.append(f"{prefix} SET DEFAULT {column.default}")
    statements.append(f"DROP TYPE {temp}")
    return Block(
        tuple(statements),
        (
            f"PostgreSQL cannot remove or reorder enum values: {op.name} is re-created and its "
            "columns converted through text (this fails if a row holds a removed value)",
        ),
    )


def _sequence_options(seq: Seq, old: Seq | None) -> str:
    limit = {"smallint": 32767, "integer": 2147483647}.get(seq.type, 9223372036854775807)
    ascending = seq.increment > 0
    defaults = Seq(
        seq.name,
        "bigint",
        1 if ascending else -1,
        1,
        1 if ascending else -limit - 1,
        limit if ascending else -1,
        1,
        False,
    )
    base = old if old is not None else defaults
    parts: list[str] = []
    if seq.type != base.type:
        parts.append(f"AS {seq.type}")
    if seq.start != (base.start if old else (seq.minvalue if ascending else seq.maxvalue)):
        parts.append(f"START WITH {seq.start}")
    if seq.increment != base.increment:
        parts.append(f"INCREMENT BY {seq.increment}")
    if seq.minvalue != base.minvalue:
        parts.append(f"MINVALUE {seq.minvalue}")
    if seq.maxvalue != base.maxvalue:
        parts.append(f"MAXVALUE {seq.maxvalue}")
    if seq.cache != base.cache:
        parts.append(f"CACHE {seq.cache}")
    if seq.cycle != base.cycle:
        parts.append("CYCLE" if seq.cycle else "NO CYCLE")
    return "".join(f" {p}" for p in parts)


def _rebuild_table(op: RebuildTable) -> Block:
    q = sqlite.quote
    old, new = op.old, op.new
    assert new.sql is not None
    temp = f"{_TEMP_PREFIX}{new.name}"
    copied = [
        c.name
        for c in new.columns
        if not c.generated and (o := old.column(c.name)) is not None and not o.generated
    ]
    statements = [_tidy(sqlite.rename_table_sql(new.sql, temp))]
    if copied:
        cols = ", ".join(q(c) for c in copied)
        statements.append(f"INSERT INTO {q(temp)} ({cols}) SELECT {cols} FROM {q(old.name)}")
    statements += [
        f"DROP TABLE {q(old.name)}",
        f"ALTER TABLE {q(temp)} RENAME TO {q(new.name)}",
        *(i.sql for i in new.indexes),
    ]
    comments = [
        f"rebuild {new.name}: SQLite cannot {'; '.join(op.reasons)} in place, so the table is "
        "re-created and its rows copied (with foreign_keys off, as dbwarden runs it)",
        *(f"NOTE: {h}" for h in op.hints),
    ]
    for c in new.columns:
        if old.column(c.name) is None:
            comments.extend(_not_null_note(new.name, c))
    return Block(tuple(statements), tuple(comments))
