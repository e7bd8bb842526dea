"""A schema as the database itself describes it: frozen dataclasses, compared by the diff.

Both sides of every comparison are snapshots of a real database of the same dialect (the
schema the migrations produce, the schema the models produce, or the live database), so
types, defaults and constraint expressions are compared in the server's own spelling:
``CHECK ((price > (0)::numeric))`` on PostgreSQL whether a migration wrote ``price > 0`` or
SQLAlchemy did. ``key`` fields hold that canonical text; ``sql`` fields hold what the draft
renders.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "TRACKING_TABLES",
    "Column",
    "Constraint",
    "ConstraintKind",
    "Index",
    "Schema",
    "Sequence",
    "Table",
    "View",
]

TRACKING_TABLES = frozenset({"dbwarden_migrations", "dbwarden_seeds", "dbwarden_lock"})
"""dbwarden's own tables: never part of a diff."""

ConstraintKind = Literal["primary_key", "unique", "check", "foreign_key", "exclude"]


@dataclass(frozen=True, slots=True)
class Column:
    """One column. ``type`` is the database's spelling (``character varying(50)`` on
    PostgreSQL, the declared type upper-cased on SQLite); ``default`` the default expression
    as the database reports it; ``serial`` the sequence a PostgreSQL ``serial`` column owns
    (its ``nextval`` default is compared as "serial", whatever the sequence is called)."""

    name: str
    type: str
    nullable: bool
    default: str | None = None
    comment: str | None = None
    collation: str | None = None
    identity: str | None = None  # "ALWAYS" / "BY DEFAULT" plus non-default options
    generated: str | None = None  # the expression of a generated column, "... STORED"
    serial: str | None = field(default=None, compare=False)
    definition: str | None = field(default=None, compare=False)  # SQLite: as written
    affinity: str | None = field(default=None, compare=False)  # SQLite: see type_key

    @property
    def type_key(self) -> str:
        """The type as compared: on SQLite, the kind of type SQLAlchemy reads the declared
        type as, with its length or precision (``TIMESTAMP`` and ``DATETIME`` are one type,
        ``INT`` and ``BIGINT`` too: SQLite stores them alike); elsewhere the type itself."""
        return self.affinity or self.type

    @property
    def default_key(self) -> str | None:
        return "serial" if self.serial is not None else self.default

    def key(self) -> tuple[object, ...]:
        """Everything a diff compares."""
        return (
            self.type_key,
            self.collation,
            self.nullable,
            self.default_key,
            self.comment,
            self.identity,
            self.generated,
        )

    def describe(self) -> str:
        """``character varying(50) NOT NULL DEFAULT 'x'``: the column at a glance."""
        parts = ["serial" if self.serial is not None else self.type]
        if self.collation:
            parts.append(f"COLLATE {self.collation}")
        if self.identity:
            parts.append(f"GENERATED {self.identity} AS IDENTITY")
        if self.generated:
            parts.append(f"GENERATED ALWAYS AS {self.generated}")
        if not self.nullable:
            parts.append("NOT NULL")
        if self.default is not None and self.serial is None:
            parts.append(f"DEFAULT {self.default}")
        return " ".join(parts)


@dataclass(frozen=True, slots=True)
class Constraint:
    """A primary key, unique, check, foreign-key or exclusion constraint.

    ``definition`` is the constraint without its name, as SQL (``FOREIGN KEY (user_id)
    REFERENCES users(id) ON DELETE CASCADE``); ``key`` its canonical form for comparison
    (the same text on PostgreSQL, where the server canonicalises it)."""

    kind: ConstraintKind
    name: str | None
    columns: tuple[str, ...]
    definition: str
    key: str
    referred_table: str | None = None

    def same(self, other: Constraint) -> bool:
        return self.kind == other.kind and self.name == other.name and self.key == other.key


@dataclass(frozen=True, slots=True)
class Index:
    """An index that backs no constraint. ``sql`` is its complete ``CREATE INDEX``;
    ``key`` the canonical definition without the name (to recognise a renamed index)."""

    name: str
    table: str
    unique: bool
    columns: tuple[str, ...]
    key: str
    sql: str = field(compare=False)

    def same(self, other: Index) -> bool:
        return self.name == other.name and self.key == other.key


@dataclass(frozen=True, slots=True)
class Table:
    """A table. ``sql`` is SQLite's stored ``CREATE TABLE`` (what a rebuild re-runs);
    ``autoincrement`` SQLite's ``AUTOINCREMENT`` keyword."""

    name: str
    columns: tuple[Column, ...]
    primary_key: Constraint | None = None
    constraints: tuple[Constraint, ...] = ()
    indexes: tuple[Index, ...] = ()
    comment: str | None = None
    sql: str | None = field(default=None, compare=False)
    autoincrement: bool = False

    def column(self, name: str) -> Column | None:
        for c in self.columns:
            if c.name == name:
                return c
        return None

    @property
    def foreign_keys(self) -> tuple[Constraint, ...]:
        return tuple(c for c in self.constraints if c.kind == "foreign_key")

    def referenced_tables(self) -> set[str]:
        return {c.referred_table for c in self.foreign_keys if c.referred_table}


@dataclass(frozen=True, slots=True)
class Sequence:
    """A PostgreSQL sequence that no column owns (owned ones come with their column)."""

    name: str
    type: str
    start: int
    increment: int
    minvalue: int
    maxvalue: int
    cache: int
    cycle: bool


@dataclass(frozen=True, slots=True)
class View:
    """A SQLite view or trigger (``table``: the table it fires on), kept so that a table
    rebuild can drop and re-create it. Neither is diffed: models do not describe them."""

    name: str
    sql: str
    table: str | None = None


@dataclass(frozen=True)
class Schema:
    """Every table, enum and sequence of one schema of one database."""

    dialect: str
    tables: Mapping[str, Table]
    enums: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    sequences: Mapping[str, Sequence] = field(default_factory=dict)
    views: tuple[View, ...] = ()  # SQLite views, in creation order
    triggers: tuple[View, ...] = ()  # SQLite triggers, in creation order
