"""Two snapshots of one dialect → the operations that turn the first into the second.

Pure: no connection, no SQL text produced here (that is ``render``). The rollback of a
draft is the diff taken the other way round, so every operation only has to be rendered in
one direction to be undone. A rename is never guessed: a dropped and an added column of
the same type come out as a drop and an add, with the rename noted as a hint.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .snapshot import Column, Constraint, Index, Schema, Sequence, Table

__all__ = [
    "AddColumn",
    "AddConstraint",
    "AddEnumValue",
    "AlterColumn",
    "AlterSequence",
    "Change",
    "CommentTable",
    "CreateEnum",
    "CreateIndex",
    "CreateSequence",
    "CreateTable",
    "DropColumn",
    "DropConstraint",
    "DropEnum",
    "DropIndex",
    "DropSequence",
    "DropTable",
    "Op",
    "RebuildEnum",
    "RebuildTable",
    "RenameColumn",
    "RenameConstraint",
    "RenameIndex",
    "RenameTable",
    "changes",
    "diff",
    "table_of",
]


class Op:
    """One schema operation (``table_of`` names the table it belongs to)."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class CreateEnum(Op):
    name: str
    labels: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DropEnum(Op):
    name: str
    labels: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AddEnumValue(Op):
    """``ALTER TYPE ... ADD VALUE``: PostgreSQL cannot take a value out again."""

    name: str
    value: str
    before: str | None = None
    after: str | None = None


@dataclass(frozen=True, slots=True)
class RebuildEnum(Op):
    """Values removed or reordered: a new type replaces the old one, and every column of
    the type is converted through text."""

    name: str
    old: tuple[str, ...]
    new: tuple[str, ...]
    usages: tuple[tuple[str, Column], ...]  # (table, column) of the type, before


@dataclass(frozen=True, slots=True)
class CreateSequence(Op):
    sequence: Sequence


@dataclass(frozen=True, slots=True)
class DropSequence(Op):
    sequence: Sequence


@dataclass(frozen=True, slots=True)
class AlterSequence(Op):
    old: Sequence
    new: Sequence


@dataclass(frozen=True, slots=True)
class CreateTable(Op):
    table: Table
    deferred: tuple[Constraint, ...] = ()  # foreign keys added after the other tables


@dataclass(frozen=True, slots=True)
class DropTable(Op):
    table: Table
    rename_hint: str | None = None


@dataclass(frozen=True, slots=True)
class AddColumn(Op):
    table: str
    column: Column


@dataclass(frozen=True, slots=True)
class DropColumn(Op):
    table: str
    column: Column
    rename_hint: str | None = None


@dataclass(frozen=True, slots=True)
class AlterColumn(Op):
    table: str
    old: Column
    new: Column

    @property
    def what(self) -> tuple[str, ...]:
        """Which aspects change: type, nullable, default, comment, identity."""
        o, n = self.old, self.new
        found = []
        if (o.type_key, o.collation) != (n.type_key, n.collation):
            found.append("type")
        if o.nullable != n.nullable:
            found.append("nullable")
        if o.default_key != n.default_key:
            found.append("default")
        if o.identity != n.identity:
            found.append("identity")
        if o.comment != n.comment:
            found.append("comment")
        return tuple(found)


@dataclass(frozen=True, slots=True)
class AddConstraint(Op):
    table: str
    constraint: Constraint


@dataclass(frozen=True, slots=True)
class DropConstraint(Op):
    table: str
    constraint: Constraint


@dataclass(frozen=True, slots=True)
class RenameConstraint(Op):
    table: str
    old: Constraint
    new: Constraint


@dataclass(frozen=True, slots=True)
class CreateIndex(Op):
    index: Index


@dataclass(frozen=True, slots=True)
class DropIndex(Op):
    index: Index


@dataclass(frozen=True, slots=True)
class RenameIndex(Op):
    old: Index
    new: Index


@dataclass(frozen=True, slots=True)
class CommentTable(Op):
    table: str
    old: str | None
    new: str | None


@dataclass(frozen=True, slots=True)
class RebuildTable(Op):
    """SQLite: create the new shape under a temporary name, copy the rows, drop the old
    table, rename the new one (https://sqlite.org/lang_altertable.html#otheralter)."""

    old: Table
    new: Table
    reasons: tuple[str, ...] = ()
    hints: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RenameTable(Op):
    old: str
    new: str


@dataclass(frozen=True, slots=True)
class RenameColumn(Op):
    table: str
    old: str
    new: str


def table_of(op: Op) -> str | None:
    """The table an operation belongs to (``None`` for enum types and sequences)."""
    match op:
        case CreateTable(table) | DropTable(table):
            return table.name
        case RebuildTable(_, new):
            return new.name
        case CreateIndex(index) | DropIndex(index):
            return index.table
        case RenameIndex(_, new):
            return new.table
        case RenameTable(_, new):
            return new
        case (
            AddColumn(table)
            | DropColumn(table)
            | AlterColumn(table)
            | AddConstraint(table)
            | DropConstraint(table)
            | RenameConstraint(table)
            | CommentTable(table)
            | RenameColumn(table)
        ):
            return table
    return None


# --- the diff ----------------------------------------------------------------------------


def diff(old: Schema, new: Schema, *, hints: bool = True) -> list[Op]:
    """The operations that turn ``old`` into ``new``, unordered (``render`` orders them).
    ``hints``: note a dropped and an added table or column that look like a rename."""
    ops: list[Op] = []
    # A type or sequence one side uses without having it (the models use it with
    # create_type=False: it lives next to them, outside their schema) is not theirs to
    # create or drop.
    for name in sorted(new.enums.keys() - old.enums.keys()):
        if not _uses_type(old, name):
            ops.append(CreateEnum(name, new.enums[name]))
    for name in sorted(old.enums.keys() - new.enums.keys()):
        if not _uses_type(new, name):
            ops.append(DropEnum(name, old.enums[name]))
    for name in sorted(old.enums.keys() & new.enums.keys()):
        ops.extend(_diff_enum(name, old.enums[name], new.enums[name], old))

    for name in sorted(new.sequences.keys() - old.sequences.keys()):
        if not _uses_sequence(old, name):
            ops.append(CreateSequence(new.sequences[name]))
    for name in sorted(old.sequences.keys() - new.sequences.keys()):
        if not _uses_sequence(new, name):
            ops.append(DropSequence(old.sequences[name]))
    for name in sorted(old.sequences.keys() & new.sequences.keys()):
        if old.sequences[name] != new.sequences[name]:
            ops.append(AlterSequence(old.sequences[name], new.sequences[name]))

    added = sorted(new.tables.keys() - old.tables.keys())
    dropped = sorted(old.tables.keys() - new.tables.keys())
    renamed = (
        _table_rename_hints([old.tables[n] for n in dropped], [new.tables[n] for n in added])
        if hints
        else {}
    )
    for name in added:
        ops.append(CreateTable(new.tables[name]))
    for name in dropped:
        ops.append(DropTable(old.tables[name], rename_hint=renamed.get(name)))
    for name in sorted(old.tables.keys() & new.tables.keys()):
        ops.extend(_diff_table(old.tables[name], new.tables[name], new.dialect, hints))
    return ops


def _uses_type(schema: Schema, name: str) -> bool:
    return any(c.type in (name, f"{name}[]") for t in schema.tables.values() for c in t.columns)


def _uses_sequence(schema: Schema, name: str) -> bool:
    return any(
        c.default is not None and f"'{name}'" in c.default
        for t in schema.tables.values()
        for c in t.columns
    )


def _diff_enum(name: str, old: tuple[str, ...], new: tuple[str, ...], schema: Schema) -> list[Op]:
    if old == new:
        return []
    if set(old) <= set(new) and tuple(v for v in new if v in old) == old:
        ops: list[Op] = []
        for i, value in enumerate(new):
            if value in old:
                continue
            if i == len(new) - 1:
                ops.append(AddEnumValue(name, value))
            elif i == 0:
                ops.append(AddEnumValue(name, value, before=new[1]))
            else:
                ops.append(AddEnumValue(name, value, after=new[i - 1]))
        return ops
    usages = tuple(
        (table.name, column)
        for table in schema.tables.values()
        for column in table.columns
        if column.type in (name, f"{name}[]")
    )
    return [RebuildEnum(name, old, new, usages)]


def _table_rename_hints(dropped: list[Table], added: list[Table]) -> dict[str, str]:
    def shape(t: Table) -> frozenset[tuple[str, str]]:
        return frozenset((c.name, c.type_key) for c in t.columns)

    hints: dict[str, str] = {}
    for d in dropped:
        same = [a for a in added if shape(a) == shape(d)]
        if len(same) == 1 and sum(shape(x) == shape(d) for x in dropped) == 1:
            hints[d.name] = same[0].name
    return hints


def _diff_table(old: Table, new: Table, dialect: str, hints: bool) -> list[Op]:
    ops: list[Op] = []
    name = new.name
    if old.comment != new.comment:
        ops.append(CommentTable(name, old.comment, new.comment))

    old_cols = {c.name: c for c in old.columns}
    new_cols = {c.name: c for c in new.columns}
    added = [c for c in new.columns if c.name not in old_cols]
    dropped = [c for c in old.columns if c.name not in new_cols]
    for column in added:
        ops.append(AddColumn(name, column))
    for column in dropped:
        hint = _column_rename_hint(column, dropped, added) if hints else None
        ops.append(DropColumn(name, column, rename_hint=hint))
    for column in old.columns:
        other = new_cols.get(column.name)
        if other is None or column.key() == other.key():
            continue
        if column.generated != other.generated and dialect == "postgresql":
            # PostgreSQL cannot change a generated column's expression in place.
            ops.append(DropColumn(name, column))
            ops.append(AddColumn(name, other))
        elif AlterColumn(name, column, other).what or column.generated != other.generated:
            ops.append(AlterColumn(name, column, other))

    old_pk = (old.primary_key,) if old.primary_key else ()
    new_pk = (new.primary_key,) if new.primary_key else ()
    ops.extend(_match_constraints(name, old_pk, new_pk, dialect))
    ops.extend(_match_constraints(name, old.constraints, new.constraints, dialect))
    ops.extend(_match_indexes(old.indexes, new.indexes, dialect))
    if old.autoincrement != new.autoincrement:
        ops.append(RebuildTable(old, new, ("AUTOINCREMENT",)))
    return ops


def _column_rename_hint(column: Column, dropped: list[Column], added: list[Column]) -> str | None:
    def same(a: Column, b: Column) -> bool:
        return (a.type_key, a.collation) == (b.type_key, b.collation)

    candidates = [a for a in added if same(a, column)]
    if len(candidates) == 1 and sum(same(d, column) for d in dropped) == 1:
        return candidates[0].name
    return None


def _match_constraints(
    table: str,
    old: Iterable[Constraint],
    new: Iterable[Constraint],
    dialect: str,
) -> list[Op]:
    left = list(old)
    right = list(new)
    for c in list(left):
        match = next((r for r in right if r.same(c)), None)
        if match is not None:
            left.remove(c)
            right.remove(match)
    ops: list[Op] = []
    if dialect == "postgresql":
        for c in list(left):
            match = next((r for r in right if r.kind == c.kind and r.key == c.key), None)
            if match is not None and c.name and match.name:
                left.remove(c)
                right.remove(match)
                ops.append(RenameConstraint(table, c, match))
    ops.extend(DropConstraint(table, c) for c in left)
    ops.extend(AddConstraint(table, c) for c in right)
    return ops


def _match_indexes(old: Iterable[Index], new: Iterable[Index], dialect: str) -> list[Op]:
    left = list(old)
    right = list(new)
    for i in list(left):
        match = next((r for r in right if r.same(i)), None)
        if match is not None:
            left.remove(i)
            right.remove(match)
    ops: list[Op] = []
    if dialect == "postgresql":
        for i in list(left):
            match = next((r for r in right if r.key == i.key), None)
            if match is not None:
                left.remove(i)
                right.remove(match)
                ops.append(RenameIndex(i, match))
    ops.extend(DropIndex(i) for i in left)
    ops.extend(CreateIndex(i) for i in right)
    return ops


# --- a readable account of the operations -------------------------------------------------


@dataclass(frozen=True, slots=True)
class Change:
    """One difference, for people: ``kind`` (``add_column``, ``alter_column``, ...), the
    ``table`` and object ``name`` concerned, and what the object is on each side (``old``:
    the schema the migrations produce; ``new``: the models, or the live database)."""

    kind: str
    table: str | None
    name: str | None
    old: str | None
    new: str | None
    hint: str | None = None

    @property
    def subject(self) -> str:
        """``column users.email type``, ``index ix_users_email on users``, ``table posts``."""
        noun = self.kind.partition("_")[2]
        if noun.startswith("column"):
            aspect = noun.removeprefix("column").replace("_", " ")
            return f"column {self.table}.{self.name}{aspect}"
        if noun.startswith("table"):
            aspect = noun.removeprefix("table").replace("_", " ")
            return f"table {self.name}{aspect}"
        what = noun.replace("_", " ")
        name = f" {self.name}" if self.name else ""
        where = f" on {self.table}" if self.table else ""
        return f"{what}{name}{where}"

    def summary(self) -> str:
        """``alter column users.email type: VARCHAR(50) → VARCHAR(100)`` (imperative, for a
        drafted migration)."""
        text = f"{self.kind.partition('_')[0]} {self.subject}"
        if self.old is not None and self.new is not None:
            text += f": {self.old} → {self.new}"
        elif self.new is not None or self.old is not None:
            text += f": {self.new if self.new is not None else self.old}"
        if self.hint:
            text += f" ({self.hint})"
        return text

    def difference(self, old_label: str, new_label: str) -> str:
        """``column users.email: only in the models (character varying(50))`` (for
        ``check``: which side has what)."""
        if self.old is not None and self.new is not None:
            text = f"{self.subject}: {self.old} in the {old_label}, {self.new} in the {new_label}"
        elif self.old is None:
            detail = f" ({self.new})" if self.new else ""
            text = f"{self.subject}: only in the {new_label}{detail}"
        else:
            detail = f" ({self.old})" if self.old else ""
            text = f"{self.subject}: only in the {old_label}{detail}"
        if self.hint:
            text += f" ({self.hint})"
        return text


def _rename_hint(old: str, new: str) -> str:
    return f"renamed to {new}? draft with --rename {old}:{new} to keep its data"


def changes(ops: Iterable[Op]) -> tuple[Change, ...]:
    """The operations as ``Change`` records, in a stable order."""
    found: list[Change] = []
    for op in ops:
        found.extend(_change(op))
    return tuple(found)


def _change(op: Op) -> list[Change]:
    match op:
        case CreateEnum(name, labels):
            return [Change("create_enum", None, name, None, ", ".join(labels))]
        case DropEnum(name, labels):
            return [Change("drop_enum", None, name, ", ".join(labels), None)]
        case AddEnumValue(name, value):
            return [Change("add_enum_value", None, name, None, repr(value))]
        case RebuildEnum(name, old, new):
            return [Change("alter_enum", None, name, ", ".join(old), ", ".join(new))]
        case CreateSequence(seq):
            return [Change("create_sequence", None, seq.name, None, _seq(seq))]
        case DropSequence(seq):
            return [Change("drop_sequence", None, seq.name, _seq(seq), None)]
        case AlterSequence(old, new):
            return [Change("alter_sequence", None, new.name, _seq(old), _seq(new))]
        case CreateTable(table):
            return [Change("create_table", table.name, table.name, None, _columns(table))]
        case DropTable(table, hint):
            return [
                Change(
                    "drop_table",
                    table.name,
                    table.name,
                    _columns(table),
                    None,
                    _rename_hint(table.name, hint) if hint else None,
                )
            ]
        case AddColumn(table, column):
            return [Change("add_column", table, column.name, None, column.describe())]
        case DropColumn(table, column, hint):
            return [
                Change(
                    "drop_column",
                    table,
                    column.name,
                    column.describe(),
                    None,
                    _rename_hint(f"{table}.{column.name}", hint) if hint else None,
                )
            ]
        case AlterColumn(table, old, new):
            return [_alter_change(table, old, new, what) for what in op.what] or [
                Change("alter_column", table, new.name, old.describe(), new.describe())
            ]
        case AddConstraint(table, c):
            return [Change(f"add_{_noun(c)}", table, c.name, None, c.definition)]
        case DropConstraint(table, c):
            return [Change(f"drop_{_noun(c)}", table, c.name, c.definition, None)]
        case RenameConstraint(table, old, new):
            return [Change(f"rename_{_noun(new)}", table, new.name, old.name, new.name)]
        case CreateIndex(index):
            return [Change("create_index", index.table, index.name, None, _index(index))]
        case DropIndex(index):
            return [Change("drop_index", index.table, index.name, _index(index), None)]
        case RenameIndex(old, new):
            return [Change("rename_index", new.table, new.name, old.name, new.name)]
        case CommentTable(table, old, new):
            return [Change("alter_table_comment", table, table, repr(old), repr(new))]
        case RebuildTable(old, new, reasons):
            return [Change("rebuild_table", new.name, new.name, None, ", ".join(reasons))]
        case RenameTable(old, new):
            return [Change("rename_table", new, new, old, new)]
        case RenameColumn(table, old, new):
            return [Change("rename_column", table, new, old, new)]
    raise TypeError(f"unknown operation {op!r}")  # pragma: no cover


def _alter_change(table: str, old: Column, new: Column, what: str) -> Change:
    if what == "type":
        values = (
            f"{old.type}{f' COLLATE {old.collation}' if old.collation else ''}",
            f"{new.type}{f' COLLATE {new.collation}' if new.collation else ''}",
        )
    elif what == "nullable":
        values = ("NULL" if old.nullable else "NOT NULL", "NULL" if new.nullable else "NOT NULL")
    elif what == "default":
        values = (
            "serial" if old.serial else str(old.default),
            "serial" if new.serial else str(new.default),
        )
    elif what == "identity":
        values = (str(old.identity), str(new.identity))
    else:
        values = (repr(old.comment), repr(new.comment))
    noun = {"nullable": "nullability"}.get(what, what)
    return Change(f"alter_column_{noun}", table, new.name, values[0], values[1])


def _noun(c: Constraint) -> str:
    return {
        "primary_key": "primary_key",
        "unique": "unique_constraint",
        "check": "check_constraint",
        "foreign_key": "foreign_key",
        "exclude": "exclusion_constraint",
    }[c.kind]


def _seq(seq: Sequence) -> str:
    return (
        f"{seq.type} start {seq.start} increment {seq.increment} "
        f"min {seq.minvalue} max {seq.maxvalue} cache {seq.cache}" + (" cycle" if seq.cycle else "")
    )


def _columns(table: Table) -> str:
    return ", ".join(c.name for c in table.columns)


def _index(index: Index) -> str:
    """``ON posts (title)``, ``unique ON posts USING btree (user_id, title)``."""
    at = index.sql.find(" ON ")
    body = index.sql[at + 1 :] if at >= 0 else index.sql
    return ("unique " if index.unique else "") + body
