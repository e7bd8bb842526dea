"""The pure parts of drafting: SQLite DDL parsing, canonical spellings, the diff's hints,
descriptions of changes, the public surface. No database."""

from __future__ import annotations

from pathlib import Path

import pytest

import dbwarden.draft
from dbwarden.draft.diff import Change, DropColumn, changes, diff
from dbwarden.draft.drafter import _renames
from dbwarden.draft.snapshot import Column, Schema, Table
from dbwarden.draft.sqlite import canon, parse_create_table, quote, rename_table_sql
from dbwarden.errors import DraftError
from dbwarden.parse import parse_text

GOLDEN = Path(__file__).parent / "golden"


def test_public_surface() -> None:
    assert sorted(dbwarden.draft.__all__) == [
        "Change",
        "CheckResult",
        "DraftResult",
        "check_live",
        "check_models",
        "make_migration",
    ]
    for name in dbwarden.draft.__all__:
        assert getattr(dbwarden.draft, name) is not None


def test_parse_create_table_reads_inline_and_table_constraints() -> None:
    parsed = parse_create_table(
        'CREATE TABLE "order items" (\n'
        "  id integer primary key autoincrement, -- a comment, with a comma\n"
        "  sku text not null collate nocase unique,\n"
        "  qty int constraint qty_positive check (qty > 0) default (1),\n"
        "  total real generated always as (qty * 2.5) stored,\n"
        '  "Order" int references orders on delete cascade,\n'
        "  CONSTRAINT uq_pair UNIQUE (sku, qty),\n"
        "  CHECK (total >= 0),\n"
        '  CONSTRAINT fk_o FOREIGN KEY ("Order") REFERENCES orders (id) '
        "DEFERRABLE INITIALLY DEFERRED\n"
        ")"
    )
    assert parsed.autoincrement
    assert list(parsed.columns) == ["id", "sku", "qty", "total", "order"]
    assert parsed.columns["sku"].collation == "NOCASE"
    assert parsed.columns["total"].generated == "(QTY*2.5) STORED"
    assert parsed.columns["qty"].definition == (
        "qty int constraint qty_positive check (qty > 0) default (1)"
    )
    assert parsed.uniques == [(None, ("sku",)), ("uq_pair", ("sku", "qty"))]
    assert parsed.checks == [("qty_positive", "qty > 0"), (None, "total >= 0")]
    assert [(f.name, f.columns, f.table, f.deferrable) for f in parsed.foreign_keys] == [
        (None, ("Order",), "orders", ""),
        ("fk_o", ("Order",), "orders", "DEFERRABLE INITIALLY DEFERRED"),
    ]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("price>0", "( price > 0 )"),
        ('"Price" > 0', "price > 0"),
        ("CURRENT_TIMESTAMP", "current_timestamp"),
        ("[a] + `b`", "a + b"),
    ],
)
def test_canon_ignores_spelling(a: str, b: str) -> None:
    assert canon(a, strip_parens=True) == canon(b, strip_parens=True)


def test_canon_keeps_strings() -> None:
    assert canon("'Ab  c'") == "'Ab  c'"
    assert canon("'a'") != canon("'A'")


def test_rename_table_sql_and_quoting() -> None:
    assert rename_table_sql('CREATE TABLE "users" (id int)', "_new") == "CREATE TABLE _new (id int)"
    assert rename_table_sql("create table if not exists [t x](a)", "t2") == (
        "create table if not exists t2(a)"
    )
    assert quote("order") == '"order"'
    assert quote("Mixed Case") == '"Mixed Case"'
    assert quote("plain_name") == "plain_name"


def _schema(**tables: list[Column]) -> Schema:
    return Schema("sqlite", {n: Table(n, tuple(cols)) for n, cols in tables.items()})


def test_a_rename_is_only_hinted() -> None:
    old = _schema(users=[Column("id", "INTEGER", False), Column("email", "TEXT", True)])
    new = _schema(users=[Column("id", "INTEGER", False), Column("mail", "TEXT", True)])
    ops = diff(old, new)
    drop = next(op for op in ops if isinstance(op, DropColumn))
    assert drop.rename_hint == "mail"
    assert [c.summary() for c in changes(ops)] == [
        "add column users.mail: TEXT",
        "drop column users.email: TEXT (renamed to mail? draft with --rename users.email:mail "
        "to keep its data)",
    ]
    # Two candidates of one type: no guess at all.
    new2 = _schema(
        users=[
            Column("id", "INTEGER", False),
            Column("mail", "TEXT", True),
            Column("mail2", "TEXT", True),
        ]
    )
    assert all(getattr(op, "rename_hint", None) is None for op in diff(old, new2))


def test_rename_specs() -> None:
    old = _schema(a=[Column("x", "TEXT", True)], b=[Column("x", "TEXT", True)])
    new = _schema(a=[Column("y", "TEXT", True)], b=[Column("y", "TEXT", True)])
    with pytest.raises(DraftError, match=r"several tables \(a, b\); write table.x:y"):
        _renames(["x:y"], old, new)
    forward, backward = _renames(["a.x:y"], old, new)
    assert [repr(op) for op in forward] == ["RenameColumn(table='a', old='x', new='y')"]
    assert [repr(op) for op in backward] == ["RenameColumn(table='a', old='y', new='x')"]
    with pytest.raises(DraftError, match="write it old:new"):
        _renames(["nocolon"], old, new)
    with pytest.raises(DraftError, match="no table has a column 'z'"):
        _renames(["z:y"], old, new)


def test_change_wording() -> None:
    change = Change("alter_column_type", "users", "email", "VARCHAR(50)", "TEXT")
    assert change.summary() == "alter column users.email type: VARCHAR(50) → TEXT"
    assert change.difference("migrations", "models") == (
        "column users.email type: VARCHAR(50) in the migrations, TEXT in the models"
    )
    index = Change("create_index", "posts", "ix_posts_title", None, "ON posts (title)")
    assert index.difference("migrations", "database") == (
        "index ix_posts_title on posts: only in the database (ON posts (title))"
    )
    unnamed = Change("drop_unique_constraint", "users", None, "UNIQUE (email)", None)
    assert unnamed.summary() == "drop unique constraint on users: UNIQUE (email)"


@pytest.mark.parametrize(
    "path", sorted(GOLDEN.glob("*/*.sql")), ids=lambda p: f"{p.parent.name}/{p.name}"
)
def test_every_golden_file_is_a_valid_migration(path: Path) -> None:
    dialect = path.parent.name
    parsed = parse_text(path.read_text(encoding="utf-8"), f"0002_{path.stem}.sql", dialect)  # type: ignore[arg-type]
    assert parsed.upgrade.statements
    assert parsed.irreversible == (path.stem == "add_enum_value")
    if not parsed.irreversible:
        assert parsed.rollback is not None and parsed.rollback.statements


@pytest.mark.anyio
async def test_sqlite_reflection_leaves_out_what_models_do_not_describe() -> None:
    from sqlalchemy.ext.asyncio import create_async_engine

    from dbwarden.draft.sqlite import reflect

    engine = create_async_engine("sqlite+aiosqlite://")
    try:
        async with engine.connect() as conn:
            for statement in (
                "CREATE VIRTUAL TABLE docs USING fts5(body)",
                "CREATE TABLE dbwarden_migrations (id INTEGER PRIMARY KEY)",
                "CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT)",
                "CREATE VIEW v AS SELECT v FROM t",
                "CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END",
            ):
                await conn.exec_driver_sql(statement)
            schema = await reflect(conn)
    finally:
        await engine.dispose()
    assert sorted(schema.tables) == ["t"]  # no FTS shadow tables, no sqlite_sequence
    assert schema.tables["t"].autoincrement
    assert [v.name for v in schema.views] == ["v"]
    assert [(t.name, t.table) for t in schema.triggers] == [("tr", "t")]
