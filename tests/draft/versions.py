"""A history of model versions: each step changes the models the way teams do, and
together they cover every operation the drafter knows (tables, columns, types,
nullability, defaults, comments, indexes, constraints, foreign keys, enums, sequences,
identity and generated columns, renames)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Computed,
    DateTime,
    Enum,
    ForeignKey,
    Identity,
    Index,
    Integer,
    MetaData,
    Numeric,
    Sequence,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)


@dataclass(frozen=True)
class Step:
    name: str
    build: Callable[[], MetaData]
    renames: tuple[str, ...] = ()
    by_hand: dict[str, tuple[str, str]] = field(default_factory=dict)  # dialect -> (up, down)
    irreversible_on: frozenset[str] = frozenset()


def _users(md: MetaData, v: int) -> Table:
    mood = (
        Enum("happy", "sad", name="mood")
        if v < 10
        else Enum("sad", "happy", "meh", name="mood")
        if v < 12
        else Enum("sad", "happy", "meh", "angry", name="mood")
    )
    cols: list[sa.schema.SchemaItem] = [
        Column("id", Integer, primary_key=True),
        Column("email", String(100), nullable=False, comment="login" if v >= 4 else None),
        Column(
            "full_name" if v >= 11 else "name",
            String(50) if v < 3 else String(120),
            nullable=v < 4,
        ),
        Column("mood", mood),
    ]
    if v >= 2:
        age_type = Integer if v < 3 else BigInteger
        default = None if v < 4 else "0" if v < 10 else "18"
        cols.append(Column("age", age_type, server_default=default))
        cols.append(Column("active", Boolean, nullable=False, server_default=sa.true()))
    if v >= 9:
        cols.append(Column("bio", Text if v < 13 else String(500)))
    if v < 5:
        cols.append(Index("ix_users_email", "email", unique=True))
    else:
        cols.append(UniqueConstraint("email", name="uq_users_email"))
        name_col = "full_name" if v >= 11 else "name"
        cols.append(
            Index(
                f"ix_users_{name_col}_active",
                name_col,
                postgresql_where=text("active"),
                sqlite_where=text("active"),
            )
        )
    if 6 <= v < 10:
        cols.append(CheckConstraint("age >= 0", name="ck_users_age"))
    return Table("users", md, *cols, comment="people" if v >= 4 else None)


def _posts(md: MetaData, v: int) -> Table:
    name = "articles" if v >= 11 else "posts"
    cols: list[sa.schema.SchemaItem] = [
        Column("id", Integer, primary_key=True),
        Column(
            "user_id",
            ForeignKey("users.id", ondelete="CASCADE" if v < 6 else "SET NULL"),
            nullable=v >= 6,
        ),
        Column("title", String(200), nullable=False),
    ]
    if v < 3:
        cols.append(Column("body", Text))
    if v >= 2:
        cols.append(Column("created_at", DateTime(timezone=True), server_default=func.now()))
    if v >= 5:
        cols.append(Index(f"ix_{name}_user_created", "user_id", "created_at"))
    if v >= 9:
        cols.append(Column("title_length", Integer, Computed("length(title)", persisted=True)))
    if v >= 12:
        cols.append(Column("score", Numeric(10, 2), nullable=False, server_default="0"))
    return Table(name, md, *cols)


def version(v: int) -> MetaData:
    md = MetaData()
    _users(md, v)
    posts = _posts(md, v)
    if v in (7,):
        Table(
            "tags",
            md,
            Column("id", Integer, Identity(start=10), primary_key=True),
            Column("label", String(40), nullable=False, unique=True),
        )
        Table(
            "post_tags",
            md,
            Column("post_id", ForeignKey(f"{posts.name}.id", ondelete="CASCADE"), primary_key=True),
            Column("tag_id", ForeignKey("tags.id"), primary_key=True),
        )
    if v >= 7:
        Table(
            "comments",
            md,
            Column("id", Integer, primary_key=True),
            Column("post_id", ForeignKey(f"{posts.name}.id"), nullable=False),
            Column("body", Text, nullable=False),
        )
    if 9 <= v < 12:
        Sequence("invoice_no", start=1000, increment=1 if v < 10 else 5, metadata=md)
    return md


VIEW = {
    "sqlite": (
        "CREATE VIEW user_emails AS SELECT id, email FROM users;\n"
        "CREATE TRIGGER users_touch AFTER UPDATE OF email ON users BEGIN\n"
        "  UPDATE users SET active = 1 WHERE id = new.id;\nEND;",
        "DROP TRIGGER users_touch;\nDROP VIEW user_emails;",
    ),
    "postgresql": (
        "CREATE VIEW user_emails AS SELECT id, email FROM users;",
        "DROP VIEW user_emails;",
    ),
}

STEPS: tuple[Step, ...] = (
    Step("create users and posts (enum, unique index, foreign key)", lambda: version(1)),
    Step("add columns with server defaults", lambda: version(2)),
    Step("drop a column, change types", lambda: version(3)),
    Step("nullability, default and comments", lambda: version(4)),
    Step("multi-column and partial indexes, a unique constraint", lambda: version(5)),
    Step("check constraint, foreign key ON DELETE SET NULL", lambda: version(6)),
    Step("new tables: parents first, identity column", lambda: version(7)),
    Step("drop tables: children first", lambda: version(8)),
    Step("sequence, generated column, new column", lambda: version(9)),
    Step("reorder an enum, alter a sequence and a default, drop a check", lambda: version(10)),
    Step(
        "rename a table and a column",
        lambda: version(11),
        renames=("posts:articles", "users.name:full_name"),
    ),
    Step(
        "add an enum value, drop a sequence, add a NOT NULL column with a default",
        lambda: version(12),
        irreversible_on=frozenset({"postgresql"}),
    ),
    Step("rebuild a table under a view and a trigger", lambda: version(13), by_hand=VIEW),
)
