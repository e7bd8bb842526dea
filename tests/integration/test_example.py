"""The example project (``migrations_example/``) migrates, rolls back and migrates again, on
SQLite and PostgreSQL, through the Python API and through the CLI as the README runs it."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path
from types import ModuleType

import pytest

from dbwarden import DatabaseHandle, Kind, database_config
from helpers import query, tables

pytestmark = pytest.mark.anyio

EXAMPLE = Path(__file__).resolve().parents[2] / "migrations_example"
TRACKING = {"dbwarden_migrations", "dbwarden_lock"}  # dbwarden_lock: SQLite only
TABLES = {"users", "posts", "tags", "post_tags"}
VIEW = "user_post_counts"
VERSIONS = ["1", "2", "3", "4", "5", "6"]


@pytest.fixture
def example(tmp_path: Path) -> Path:
    """A private copy of the example project (never its committed files, nor a stray .db)."""
    dest = tmp_path / "example"
    shutil.copytree(
        EXAMPLE,
        dest,
        ignore=shutil.ignore_patterns("*.db", "*.db-*", "__pycache__", ".*_cache"),
    )
    return dest


def configure(example: Path, url: str) -> DatabaseHandle:
    # The same options as migrations_example/app/database.py, rooted at the copy.
    return database_config(
        database_name="primary",
        default=True,
        database_url=url,
        migrations_dir="migrations/primary",
        seeds_dir="seeds/primary",
        model_paths=["app.models"],
        base_dir=example,
    )


def load_module(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[name]
    return module


async def user_objects(url: str) -> set[str]:
    return await tables(url) - TRACKING


# Existing data, written after the posts table has its slug column but before the
# backfill (0005) and the tags migration (0006) run: what a production database would hold.
SAMPLE_DATA = [
    "INSERT INTO users (id, email, display_name) VALUES "
    "(1, 'ada@example.com', 'Ada'), (2, 'grace@example.com', 'Grace'), "
    "(3, 'linus@example.com', 'Linus')",
    "INSERT INTO posts (id, author_id, title, body, published_at) VALUES "
    "(1, 1, 'Hello World', 'first', '2024-01-02 10:00:00'), "
    "(2, 1, 'Notes on Engines', 'second', NULL), "
    "(3, 2, 'Compilers', 'third', '2024-02-03 09:30:00')",
]


async def insert_sample_data(url: str) -> None:
    for statement in SAMPLE_DATA:
        await query(url, statement)  # sqlite3's connection context manager commits


async def test_upgrade_backfill_rollback_and_upgrade_again(
    example: Path, database_url: str
) -> None:
    runner = configure(example, database_url).runner

    # Up to the slug column, then data arrives, then the rest (backfill, tags, the view).
    first = await runner.upgrade(target="4")
    assert [s.name for s in first.applied] == [
        "0001_create_users",
        "0002_create_posts",
        "0003_index_posts_author",
        "0004_add_posts_slug",
    ]
    assert VIEW not in await tables(database_url)  # repeatables run only on reaching head
    await insert_sample_data(database_url)

    second = await runner.upgrade()
    assert [s.name for s in second.applied] == [
        "0005_backfill_posts_slug",
        "0006_create_tags",
        "RA__user_post_counts",
    ]
    assert await user_objects(database_url) == TABLES | {VIEW}

    # 0005 backfilled the slugs from titles and ids.
    assert await query(database_url, "SELECT id, slug FROM posts ORDER BY id") == [
        (1, "hello-world-1"),
        (2, "notes-on-engines-2"),
        (3, "compilers-3"),
    ]
    # 0006 created the reference tags and filed every existing post under "general".
    assert await query(database_url, "SELECT id, name FROM tags ORDER BY id") == [
        (1, "general"),
        (2, "news"),
        (3, "howto"),
    ]
    assert await query(database_url, "SELECT post_id, tag_id FROM post_tags ORDER BY post_id") == [
        (1, 1),
        (2, 1),
        (3, 1),
    ]
    # The RA__ view counts per user (a user without posts still appears, with zeros).
    assert await query(
        database_url,
        "SELECT user_id, email, post_count, published_count, tag_count "
        "FROM user_post_counts ORDER BY user_id",
    ) == [
        (1, "ada@example.com", 2, 1, 1),
        (2, "grace@example.com", 1, 1, 1),
        (3, "linus@example.com", 0, 0, 0),
    ]

    history = await runner.history()
    assert len(history) == 7
    assert [r.version for r in history if r.kind is Kind.VERSIONED] == VERSIONS
    assert [r.name for r in history if r.kind is Kind.RUNS_ALWAYS] == ["RA__user_post_counts"]
    status = await runner.status()
    assert status.ok
    assert status.state == "up_to_date"
    assert status.current_version == "6"
    assert status.pending == ()

    # A second migrate applies no versioned file; only the view is recreated.
    again = await runner.upgrade()
    assert [s.name for s in again.applied] == ["RA__user_post_counts"]

    # Roll everything back: only the tracking tables remain. Repeatables are never rolled
    # back, so the view's history row stays (its file runs again on the next migrate).
    down = await runner.rollback(to=0)
    assert [s.version for s in down.applied] == list(reversed(VERSIONS))
    assert await user_objects(database_url) == set()
    assert "dbwarden_migrations" in await tables(database_url)
    rows = await runner.history()
    assert [(r.name, r.kind) for r in rows] == [("RA__user_post_counts", Kind.RUNS_ALWAYS)]
    status = await runner.status()
    assert status.state == "pending"
    assert status.current_version is None
    assert [f.version for f in status.pending] == VERSIONS

    # And forward again, from nothing: the schema and the reference data come back.
    up = await runner.upgrade()
    assert len(up.applied) == 7
    assert await user_objects(database_url) == TABLES | {VIEW}
    assert await query(database_url, "SELECT COUNT(*) FROM tags") == [(3,)]
    assert await query(database_url, "SELECT COUNT(*) FROM user_post_counts") == [(0,)]
    status = await runner.status()
    assert status.state == "up_to_date"
    assert status.current_version == "6"
    assert len(status.applied) == 7


async def test_rollback_one_step_drops_the_view_and_migrate_restores_it(
    example: Path, database_url: str
) -> None:
    runner = configure(example, database_url).runner
    await runner.upgrade()

    down = await runner.rollback()
    assert [s.name for s in down.applied] == ["0006_create_tags"]
    assert await user_objects(database_url) == {"users", "posts"}
    assert [f.name for f in (await runner.status()).pending] == ["0006_create_tags"]

    up = await runner.upgrade()
    assert [s.name for s in up.applied] == ["0006_create_tags", "RA__user_post_counts"]
    assert await user_objects(database_url) == TABLES | {VIEW}


async def test_dry_run_prints_the_sql_and_writes_nothing(example: Path, database_url: str) -> None:
    runner = configure(example, database_url).runner

    result = await runner.upgrade(dry_run=True)

    assert result.dry_run
    assert [s.file.name for s in result.plan.steps][-1] == "RA__user_post_counts"
    sql = "\n".join(result.sql)
    assert "CREATE TABLE users" in sql
    assert "CREATE VIEW user_post_counts" in sql
    assert "INSERT INTO dbwarden_migrations" in sql
    assert await tables(database_url) == set()


async def test_models_match_the_migrated_schema(example: Path, database_url: str) -> None:
    """app/models.py describes what the migrations build: same tables, columns, indexes."""
    from sqlalchemy import inspect
    from sqlalchemy.engine import Connection
    from sqlalchemy.ext.asyncio import create_async_engine

    handle = configure(example, database_url)
    await handle.runner.upgrade()
    models = load_module(example / "app" / "models.py", "_dbwarden_example_models")
    metadata = models.Base.metadata

    def reflect(conn: Connection) -> dict[str, tuple[set[str], set[str]]]:
        inspector = inspect(conn)
        return {
            name: (
                {c["name"] for c in inspector.get_columns(name)},
                {i["name"] for i in inspector.get_indexes(name) if i["name"]},
            )
            for name in TABLES
        }

    engine = create_async_engine(handle.async_url())
    try:
        async with engine.connect() as conn:
            reflected = await conn.run_sync(reflect)
    finally:
        await engine.dispose()

    assert set(metadata.tables) == TABLES
    for name, table in metadata.tables.items():
        columns, indexes = reflected[name]
        assert {c.name for c in table.columns} == columns, name
        assert {i.name for i in table.indexes} <= indexes, name


def test_config_module_resolves_paths_against_the_project_root(
    example: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    config = load_module(example / "app" / "database.py", "_dbwarden_example_config")

    primary: DatabaseHandle = config.primary
    assert primary.name == "primary"
    assert primary.default
    assert primary.base_dir == example.resolve()
    assert primary.migrations_dir == example.resolve() / "migrations" / "primary"
    assert primary.async_url() == f"sqlite+aiosqlite:///{example.resolve() / 'example.db'}"
    assert primary.model_paths == ("app.models",)


def _dbwarden_command() -> list[str]:
    """The installed ``dbwarden`` script next to this interpreter, as the README runs it."""
    script = Path(sys.executable).with_name("dbwarden")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "dbwarden"]


@pytest.mark.slow
def test_readme_commands_migrate_the_example(example: Path) -> None:
    """The README's first command, from `cd migrations_example` on: `dbwarden migrate`
    then `dbwarden status`, with the configuration found through pyproject.toml."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBWARDEN", "DATABASE_URL"))}
    env.pop("ENVIRONMENT", None)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*_dbwarden_command(), *args],
            cwd=example,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    migrated = run("migrate")
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    assert run("status").returncode == 0

    database = example / "example.db"
    assert database.is_file()
    with closing(sqlite3.connect(database)) as conn:
        names = {
            row[0]
            for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') "
                "AND name NOT LIKE 'sqlite_%'"
            )
        }
        versions = [
            row[0]
            for row in conn.execute(
                "SELECT version FROM dbwarden_migrations WHERE version IS NOT NULL ORDER BY id"
            )
        ]
    assert names == TABLES | {VIEW} | TRACKING
    assert versions == VERSIONS

    status = run("status", "--json")
    assert status.returncode == 0, status.stderr
    doc = json.loads(status.stdout)
    assert doc["state"] == "up_to_date"
    assert doc["current_version"] == "6"
