"""The models of the golden tests: a base schema, and one change to it per operation."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy import (
    CheckConstraint,
    Column,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Sequence,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)


def base(
    *,
    users: Callable[[], list[sa.schema.SchemaItem]] = list,
    posts: Callable[[], list[sa.schema.SchemaItem]] = list,
    name: Column[str] | None = None,
    email_index: bool = True,
    ondelete: str = "CASCADE",
    with_posts: bool = True,
    posts_name: str = "posts",
    extra: Callable[[MetaData], object] = lambda md: None,
) -> MetaData:
    md = MetaData()
    Table(
        "users",
        md,
        Column("id", Integer, primary_key=True),
        Column("email", String(100), nullable=False),
        name if name is not None else Column("name", String(50)),
        *([Index("ix_users_email", "email")] if email_index else []),
        *users(),
    )
    if with_posts:
        Table(
            posts_name,
            md,
            Column("id", Integer, primary_key=True),
            Column("user_id", ForeignKey("users.id", ondelete=ondelete), nullable=False),
            Column("title", String(200)),
            *posts(),
        )
    extra(md)
    return md


def _tags(md: MetaData) -> None:
    Table(
        "tags",
        md,
        Column("id", Integer, primary_key=True),
        Column("label", String(40), nullable=False, unique=True),
    )


def _cycle(md: MetaData) -> None:
    Table(
        "teams",
        md,
        Column("id", Integer, primary_key=True),
        Column("captain_id", ForeignKey("players.id", use_alter=True, name="fk_teams_captain")),
    )
    Table(
        "players",
        md,
        Column("id", Integer, primary_key=True),
        Column("team_id", ForeignKey("teams.id", ondelete="SET NULL")),
        Column("user_id", ForeignKey("users.id"), nullable=False),
    )


def _mood(values: tuple[str, ...]) -> Callable[[], list[sa.schema.SchemaItem]]:
    return lambda: [Column("mood", Enum(*values, name="mood"))]


CASES: dict[str, Callable[[], MetaData]] = {
    "create_table": lambda: base(extra=_tags),
    "drop_table": lambda: base(with_posts=False),
    "create_tables_in_a_cycle": lambda: base(extra=_cycle),
    "add_column": lambda: base(users=lambda: [Column("age", Integer)]),
    "add_column_not_null": lambda: base(
        users=lambda: [Column("age", Integer, nullable=False, server_default="0")]
    ),
    "drop_column": lambda: _drop_title(),
    "alter_type": lambda: base(name=Column("name", Text)),
    "alter_nullable": lambda: base(name=Column("name", String(50), nullable=False)),
    "alter_default": lambda: base(name=Column("name", String(50), server_default="anon")),
    "alter_comment": lambda: base(name=Column("name", String(50), comment="display name")),
    "create_index": lambda: base(
        posts=lambda: [Index("ix_posts_user_title", "user_id", "title", unique=True)]
    ),
    "create_partial_index": lambda: base(
        posts=lambda: [
            Index(
                "ix_posts_titled",
                "user_id",
                postgresql_where=text("title IS NOT NULL"),
                sqlite_where=text("title IS NOT NULL"),
            )
        ]
    ),
    "drop_index": lambda: base(email_index=False),
    "add_unique": lambda: base(users=lambda: [UniqueConstraint("email", name="uq_users_email")]),
    "add_check": lambda: base(
        posts=lambda: [CheckConstraint("length(title) > 2", name="ck_title")]
    ),
    "foreign_key_on_delete": lambda: base(ondelete="RESTRICT"),
    "create_enum": lambda: base(users=_mood(("happy", "sad"))),
    "create_sequence": lambda: base(
        extra=lambda md: Sequence("invoice_no", start=1000, increment=10, metadata=md)
    ),
    "rename_hint": lambda: base(name=Column("full_name", String(50))),
    "rename_column": lambda: base(name=Column("full_name", String(50))),
    "rename_table": lambda: base(posts_name="articles"),
}


def _drop_title() -> MetaData:
    md = base(with_posts=False)
    Table(
        "posts",
        md,
        Column("id", Integer, primary_key=True),
        Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    )
    return md


RENAMES = {
    "rename_column": ("users.name:full_name",),
    "rename_table": ("posts:articles",),
}


# These cases start from enum_base() and sequence_base() instead of base().
def enum_base() -> MetaData:
    return base(users=_mood(("happy", "sad")))


ENUM_CASES: dict[str, Callable[[], MetaData]] = {
    "add_enum_value": lambda: base(users=_mood(("happy", "sad", "meh"))),
    "reorder_enum": lambda: base(users=_mood(("sad", "happy"))),
}


def sequence_base() -> MetaData:
    return base(extra=lambda md: Sequence("invoice_no", start=1000, metadata=md))


SEQUENCE_CASES: dict[str, Callable[[], MetaData]] = {
    "alter_sequence": lambda: base(
        extra=lambda md: Sequence("invoice_no", start=1000, increment=5, metadata=md)
    ),
    "drop_sequence": lambda: base(),
}
