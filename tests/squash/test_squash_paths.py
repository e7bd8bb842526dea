"""`dbwarden squash` on real SQLite and PostgreSQL databases: a database that applied the
old files and a new one that runs the squash end at the same schema, the same rows and the
same sequence positions; both migrate on, verify, and roll back to nothing."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import create_pg_database, drop_pg_database, pg_url
from dbwarden import DatabaseHandle, Runner, database_config
from dbwarden.errors import PlanError, SquashError
from dbwarden.squash import squash
from helpers import query, tables

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "migrations_example" / "migrations" / "primary"

EXTRAS = {
    "postgresql": """\
-- PostgreSQL objects of every kind a squash carries
-- upgrade
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE TABLE documents (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title text NOT NULL,
    mood mood NOT NULL DEFAULT 'ok',
    tags text[] NOT NULL DEFAULT '{}',
    meta jsonb,
    blob bytea,
    price numeric(10, 2) CHECK (price > 0),
    kind varchar(10) NOT NULL DEFAULT 'page' CHECK (kind IN ('page', 'note')),
    slug text GENERATED ALWAYS AS (lower(title)) STORED,
    parent_id bigint REFERENCES documents (id),
    updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON COLUMN documents.title IS 'shown in lists';
CREATE INDEX documents_title ON documents (lower(title)) WHERE parent_id IS NULL;
CREATE SEQUENCE invoice_numbers START 1000;
SELECT nextval('invoice_numbers');
INSERT INTO documents (title, mood, tags, meta, blob, price, updated_at)
VALUES ('It''s here', 'happy', '{a,"b c"}', '{"k": [1, "x"]}', '\\x00ff', 9.99, '2026-01-01');
INSERT INTO documents (title, parent_id, updated_at) VALUES ('Child', 1, '2026-01-02');
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END;
$$;
CREATE TRIGGER documents_touch BEFORE UPDATE ON documents
    FOR EACH ROW EXECUTE FUNCTION touch();
CREATE VIEW happy_documents AS
    SELECT id, title FROM documents WHERE mood = 'happy' AND kind IN ('page', 'note');

-- rollback
DROP VIEW happy_documents;
DROP TABLE documents;
DROP FUNCTION touch();
DROP SEQUENCE invoice_numbers;
DROP TYPE mood;
""",
    "sqlite": """\
-- SQLite objects of every kind a squash carries
-- upgrade
CREATE TABLE documents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL CHECK (title <> ''),
    blob BLOB,
    price REAL,
    parent_id INTEGER REFERENCES documents (id),
    updated_at TEXT
);
CREATE INDEX documents_title ON documents (lower(title)) WHERE parent_id IS NULL;
INSERT INTO documents (title, blob, price) VALUES ('It''s here', X'00FF', 9.99);
INSERT INTO documents (title, parent_id) VALUES ('Child', 1);
CREATE TRIGGER documents_touch AFTER UPDATE OF title ON documents
BEGIN
    UPDATE documents SET updated_at = 'touched' WHERE id = NEW.id;
END;
CREATE VIEW child_documents AS SELECT id, title FROM documents WHERE parent_id IS NOT NULL;

-- rollback
DROP VIEW child_documents;
DROP TABLE documents;
""",
}
LATER = """\
-- a migration written after the squash
-- upgrade
CREATE TABLE later (id INTEGER PRIMARY KEY, note TEXT);
INSERT INTO later (id, note) VALUES (1, 'after');

-- rollback
DROP TABLE later;
"""


def dialect_of(url: str) -> str:
    return "postgresql" if url.startswith("postgresql") else "sqlite"


@pytest.fixture
def second_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """Another empty database of the same kind as ``database_url``."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'second.db'}"
        return
    name = create_pg_database()
    try:
        yield pg_url(name)
    finally:
        drop_pg_database(name)


def project(root: Path, url: str) -> DatabaseHandle:
    migrations = root / "migrations" / "primary"
    if not migrations.exists():
        shutil.copytree(EXAMPLE, migrations)
        (migrations / "0007_extras.sql").write_text(EXTRAS[dialect_of(url)])
    return database_config("primary", default=True, database_url=url, base_dir=root)


def respelled(schema: Any) -> Any:
    """The schema with CHECK expressions blanked: PostgreSQL reads some of its own printed
    CHECK expressions back in another spelling (see ``squash._respelled_checks_left_out``);
    the test checks that they still refuse the same rows instead."""
    from dataclasses import replace

    tables = {
        name: replace(
            table,
            constraints=tuple(
                replace(c, definition="CHECK", key="CHECK") if c.kind == "check" else c
                for c in table.constraints
            ),
        )
        for name, table in schema.tables.items()
    }
    return replace(schema, tables=tables)


async def refuses(url: str, sql: str) -> bool:
    """Whether the database at ``url`` rejects ``sql``."""
    try:
        await query(url, sql)
    except Exception:
        return True
    return False


async def snapshot(url: str) -> dict[str, Any]:
    """Everything a squash must keep: the schema (as the drafting reader sees it), views,
    functions and triggers, every row of every table, and the next value of each sequence."""
    from sqlalchemy.ext.asyncio import create_async_engine

    from dbwarden.draft import schema as scratch
    from dbwarden.squash import _routines

    engine = create_async_engine(
        url.replace("://", "+aiosqlite://", 1)
        if url.startswith("sqlite")
        else url.replace("postgresql://", "postgresql+asyncpg://", 1)
    )
    try:
        async with engine.connect() as conn:
            schema = await scratch.reflect(conn)
            routines = []
            for r in await _routines(conn, schema):
                if r.kind == "view":  # PostgreSQL respells views too: compare what they show
                    result = await conn.exec_driver_sql(f'SELECT * FROM "{r.name}"')
                    routines.append((r.kind, r.name, str(sorted(map(tuple, result.all())))))
                else:
                    routines.append((r.kind, r.name, r.create))
            routines.sort()
            rows = {}
            for name in sorted(schema.tables):
                cast = "::text" if schema.dialect == "postgresql" else ""
                columns = ", ".join(f'"{c.name}"{cast}' for c in schema.tables[name].columns)
                result = await conn.exec_driver_sql(f'SELECT {columns} FROM "{name}"')
                rows[name] = sorted(tuple(str(v) for v in r) for r in result.all())
            nextvals = {}
            if schema.dialect == "postgresql":
                result = await conn.exec_driver_sql(
                    "SELECT c.relname FROM pg_class c WHERE c.relkind = 'S' "
                    "AND c.relnamespace = 'public'::regnamespace "
                    "AND c.relname NOT LIKE 'dbwarden%' ORDER BY 1"
                )
                for (sequence,) in result.all():
                    value = await conn.exec_driver_sql(f"SELECT nextval('{sequence}')")
                    nextvals[sequence] = value.scalar()
            return {
                "schema": respelled(schema),
                "routines": routines,
                "rows": rows,
                "next": nextvals,
            }
    finally:
        await engine.dispose()


async def test_old_and_new_databases_end_at_the_same_schema_and_data(
    tmp_path: Path, database_url: str, second_url: str
) -> None:
    root = tmp_path / "project"
    old = project(root, database_url)
    await old.runner.upgrade()  # before the squash, with files 1-7

    result = await squash(old, 7)
    migrations = root / "migrations" / "primary"
    assert result.path == migrations / "0007_squashed.sql"
    assert result.moved_to == migrations / "squashed"
    assert sorted(p.name for p in migrations.glob("*.sql")) == [
        "0007_squashed.sql",
        "RA__user_post_counts.sql",
    ]
    assert len(list((migrations / "squashed").glob("*.sql"))) == 7
    assert result.rows == 5  # 3 tags, 2 documents
    assert "-- dbwarden: squashes=1-7\n" in result.text
    (migrations / "0008_later.sql").write_text(LATER)

    old = project(root, database_url)
    applied = await Runner(old).upgrade()
    assert [s.name for s in applied.applied] == ["0008_later", "RA__user_post_counts"]
    new = project(root, second_url)
    applied = await Runner(new).upgrade()
    assert [s.name for s in applied.applied] == [
        "0007_squashed",
        "0008_later",
        "RA__user_post_counts",
    ]

    before, after = await snapshot(database_url), await snapshot(second_url)
    assert before["rows"]["documents"]  # the data came along
    for key in before:
        assert before[key] == after[key], key
    for url in (database_url, second_url):  # the CHECK constraints still refuse bad rows
        assert await refuses(url, "INSERT INTO documents (title) VALUES ('')") or (
            dialect_of(url) == "postgresql"
        )
        if dialect_of(url) == "postgresql":
            assert await refuses(url, "INSERT INTO documents (title, kind) VALUES ('x', 'bad')")
            assert await refuses(url, "INSERT INTO documents (title, price) VALUES ('x', -1)")

    for handle in (old, project(root, second_url)):
        status = await Runner(handle).status()
        assert (status.state, status.current_version, status.missing) == ("up_to_date", "8", ())
        await Runner(handle).verify()

    # History tells the two apart, and each rolls back all the way.
    old_rows = [r.name for r in await Runner(old).history()]
    assert old_rows[:7] == [f.removesuffix(".sql") for f in result.squashed]
    new_rows = [r.name for r in await Runner(new).history()]
    assert new_rows == ["0007_squashed", "0008_later", "RA__user_post_counts"]
    for handle in (old, new):
        runner = Runner(handle)
        await runner.rollback(to=0)
        assert [r.name for r in await runner.history()] == ["RA__user_post_counts"]
        left = await tables(handle.url) - {"dbwarden_migrations", "dbwarden_lock"}
        # The view of the runs-always file reads the squashed tables: SQLite leaves it
        # (broken until the next migrate re-creates it); PostgreSQL drops it with them.
        assert left == ({"user_post_counts"} if dialect_of(handle.url) == "sqlite" else set())

    # Rolled back to nothing, the old database now migrates through the squash as well.
    for handle in (old, new):
        await Runner(handle).upgrade()
    assert await snapshot(database_url) == await snapshot(second_url)
    assert "0007_squashed" in {r.name for r in await Runner(old).history()}


async def test_a_database_that_ran_only_some_squashed_files_is_stopped(
    tmp_path: Path, database_url: str
) -> None:
    root = tmp_path / "project"
    behind = project(root, database_url)
    await behind.runner.upgrade(target=3)
    await squash(behind, 7)
    with pytest.raises(PlanError, match=r"applied version\(s\) 1, 2, 3 .* but not version 7"):
        await Runner(project(root, database_url)).upgrade()


async def test_dry_run_and_irreversible_files(tmp_path: Path, sqlite_url: str) -> None:
    root = tmp_path / "project"
    handle = project(root, sqlite_url)
    data = root / "migrations" / "primary" / "0005_backfill_posts_slug.sql"
    text = data.read_text().replace("-- upgrade", "-- dbwarden: irreversible\n-- upgrade")
    data.write_text(text[: text.index("-- rollback")])
    result = await squash(handle, 6, write=False)
    assert result.path is None
    assert result.irreversible
    assert "-- dbwarden: squashes=1-6, irreversible\n" in result.text
    assert "-- DROP TABLE post_tags;" in result.text  # what undoing it would take, commented
    assert not (root / "migrations" / "primary" / "squashed").exists()
    assert (root / "migrations" / "primary" / "0006_create_tags.sql").exists()


@pytest.mark.postgres
async def test_objects_a_squash_cannot_re_create_are_refused(
    tmp_path: Path, pg_database: str
) -> None:
    root = tmp_path / "project"
    handle = project(root, pg_database)
    (root / "migrations" / "primary" / "0008_rules.sql").write_text(
        "-- upgrade\nCREATE TABLE audit (id int);\n"
        "CREATE RULE no_delete AS ON DELETE TO audit DO INSTEAD NOTHING;\n"
        "CREATE DOMAIN positive AS integer CHECK (VALUE > 0);\n"
        "-- rollback\nDROP TABLE audit;\nDROP DOMAIN positive;\n"
    )
    with pytest.raises(SquashError) as info:
        await squash(handle, 8)
    message = str(info.value)
    assert "domain positive; rule no_delete on audit" in message
    assert "repeatable file" in message
    assert (root / "migrations" / "primary" / "0008_rules.sql").exists()  # nothing moved


async def test_a_migration_failing_in_the_scratch_database_names_the_real_file(
    tmp_path: Path, sqlite_url: str
) -> None:
    from dbwarden.errors import MigrationFailedError

    root = tmp_path / "project"
    handle = project(root, sqlite_url)
    broken = root / "migrations" / "primary" / "0008_broken.sql"
    broken.write_text("-- upgrade\nSELECT * FROM nowhere;\n-- rollback\nSELECT 1;\n")
    with pytest.raises(MigrationFailedError) as info:
        await squash(handle, 8)
    assert info.value.path == broken
    assert info.value.line == 2
    assert "no such table: nowhere" in str(info.value)
