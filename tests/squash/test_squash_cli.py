"""`dbwarden squash` through the CLI: the file it writes, --dry-run, --json, each bad input
a clear error with exit code 2, and a squashed PostgreSQL project still running in dev mode
on SQLite."""

from __future__ import annotations

import json
import shutil
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from dbwarden.cli.app import app
from dbwarden.cli.loader import MODULE_NAME

EXAMPLE = Path(__file__).resolve().parents[2] / "migrations_example" / "migrations" / "primary"


def make(root: Path, url: str, dev_url: str | None = None) -> Path:
    shutil.copytree(EXAMPLE, root / "migrations" / "primary")
    (root / "pyproject.toml").write_text('[tool.dbwarden]\nconfig = "database.py"\n')
    dev = f"    dev_database_url={dev_url!r},\n" if dev_url else ""
    (root / "database.py").write_text(
        "from dbwarden import database_config\n"
        f'primary = database_config("primary", default=True, database_url={url!r},\n{dev})\n'
    )
    return root / "migrations" / "primary"


@pytest.fixture
def migrations(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    root = tmp_path / "proj"
    found = make(root, f"sqlite:///{root / 'app.db'}")
    monkeypatch.chdir(root)
    monkeypatch.delenv("DBWARDEN_CONFIG", raising=False)
    monkeypatch.delenv("ENVIRONMENT", raising=False)
    monkeypatch.setenv("DBWARDEN_CACHE_DIR", "")
    path = list(sys.path)
    yield found
    sys.path[:] = path
    sys.modules.pop(MODULE_NAME, None)


def cli(*args: str) -> Result:
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def flat(text: str) -> str:
    for ch in "│╭╮╰╯─":
        text = text.replace(ch, " ")
    return " ".join(text.split())


def test_squash_writes_the_file_and_moves_the_old_ones(migrations: Path) -> None:
    assert cli("migrate").exit_code == 0
    result = cli("squash", "--to", "0006")
    assert result.exit_code == 0, result.output
    assert (
        "primary: squashed 6 migrations up to version 6 into "
        "migrations/primary/0006_squashed.sql, with 3 row(s) of data" in result.stdout
    )
    assert "migrations/primary/squashed/" in result.stdout
    assert sorted(p.name for p in migrations.iterdir()) == [
        "0006_squashed.sql",
        "RA__user_post_counts.sql",
        "squashed",
    ]
    text = (migrations / "0006_squashed.sql").read_text()
    assert "-- dbwarden: squashes=1-6\n" in text
    assert "--   0001_create_users.sql\n" in text

    # The database that ran the old files has nothing to do and verifies.
    result = cli("migrate")
    assert result.exit_code == 0, result.output
    assert "applied 1 migration" in result.stdout  # the runs-always view, as every time
    assert cli("verify").exit_code == 0
    status = json.loads(cli("status", "--json").stdout)
    assert (status["state"], status["missing"], status["mismatches"]) == ("up_to_date", [], [])

    # Squashing again up to the same version is refused.
    result = cli("squash", "--to", "6")
    assert result.exit_code == 2
    assert "0006_squashed.sql already squashes versions up to 6" in flat(result.stderr)


def test_dry_run_prints_the_file_and_changes_nothing(migrations: Path) -> None:
    before = sorted(p.name for p in migrations.iterdir())
    result = cli("squash", "--to", "4", "--dry-run")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("-- The migrations up to version 4, squashed by")
    assert "-- dbwarden: squashes=1-4\n-- upgrade\n" in result.stdout
    assert "CREATE TABLE posts (" in result.stdout
    assert sorted(p.name for p in migrations.iterdir()) == before
    assert not (migrations.parent.parent / "app.db").exists()  # the database is never used

    doc = json.loads(cli("squash", "--to", "4", "--dry-run", "--json").stdout)
    assert doc["ok"] is True
    assert doc["path"] is None
    assert doc["squashed"] == [
        "0001_create_users.sql",
        "0002_create_posts.sql",
        "0003_index_posts_author.sql",
        "0004_add_posts_slug.sql",
    ]
    assert doc["text"] == result.stdout


@pytest.mark.parametrize(
    ("to", "message"),
    [
        ("six", "'six' is not a version; versions are whole numbers"),
        ("9", "no migration file has version 9; the last file is version 6"),
        ("1", "version 1 is the first migration; there is nothing to squash into it"),
    ],
)
def test_bad_versions_are_clear_errors(migrations: Path, to: str, message: str) -> None:
    result = cli("squash", "--to", to)
    assert result.exit_code == 2
    assert message in flat(result.stderr)
    doc = json.loads(cli("squash", "--to", to, "--json").stdout)
    assert doc["ok"] is False
    assert message in doc["error"]["message"]


def test_a_no_transaction_file_in_the_range_is_refused(migrations: Path) -> None:
    index = migrations / "0003_index_posts_author.sql"
    index.write_text(
        index.read_text().replace("-- upgrade", "-- dbwarden: no-transaction\n-- upgrade")
    )
    result = cli("squash", "--to", "6")
    assert result.exit_code == 2
    err = flat(result.stderr)
    assert "0003_index_posts_author.sql is marked `-- dbwarden: no-transaction`" in err
    assert "--to 2" in err
    assert not (migrations / "squashed").exists()
    # Up to the version before it works.
    assert cli("squash", "--to", "2").exit_code == 0


def test_a_version_inside_a_squash(migrations: Path) -> None:
    assert cli("squash", "--to", "5").exit_code == 0
    result = cli("squash", "--to", "3")
    assert result.exit_code == 2
    assert "version 3 is already squashed into 0005_squashed.sql" in flat(result.stderr)
    result = cli("migrate", "--to", "3")
    assert result.exit_code == 2
    assert "version 3 was squashed into 0005_squashed.sql (versions 1-5)" in flat(result.stderr)
    # A later squash folds the earlier one in.
    assert cli("squash", "--to", "6").exit_code == 0
    assert "-- dbwarden: squashes=1-6\n" in (migrations / "0006_squashed.sql").read_text()
    assert (migrations / "squashed" / "0005_squashed.sql").exists()


@pytest.mark.postgres
def test_a_squashed_postgres_project_still_runs_in_dev_mode_on_sqlite(
    tmp_path: Path, pg_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "proj"
    migrations = make(root, pg_database, dev_url="sqlite:///dev.db")
    (migrations / "0007_extras.sql").write_text(
        "-- dbwarden: postgres-only\n-- upgrade\n"
        "CREATE TYPE mood AS ENUM ('sad', 'happy');\n"
        "CREATE TABLE notes (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
        "mood mood NOT NULL DEFAULT 'happy', body text NOT NULL, tags text[] NOT NULL "
        "DEFAULT '{}', CHECK (mood IN ('sad', 'happy')));\n"
        "INSERT INTO notes (body) VALUES ('first');\n"
        "CREATE FUNCTION shout(t text) RETURNS text LANGUAGE sql AS $$ SELECT upper(t) $$;\n"
        "-- rollback\nDROP FUNCTION shout(text);\nDROP TABLE notes;\nDROP TYPE mood;\n"
    )
    monkeypatch.chdir(root)
    monkeypatch.delenv("DBWARDEN_CONFIG", raising=False)
    monkeypatch.delenv("ENVIRONMENT", raising=False)
    monkeypatch.setenv("DBWARDEN_CACHE_DIR", "")
    path = list(sys.path)
    try:
        result = cli("squash", "--to", "7")
        assert result.exit_code == 0, result.output
        text = (migrations / "0007_squashed.sql").read_text()
        assert "-- dbwarden: squashes=1-7, postgres-only\n" in text
        assert "CREATE OR REPLACE FUNCTION shout(t text)" in text

        result = cli("migrate", "--dev")
        assert result.exit_code == 0, result.output
        assert "skipped in dev mode (postgres-only; a PostgreSQL function)" in result.stderr
        with closing(sqlite3.connect(root / "dev.db")) as db:
            assert db.execute("SELECT id, mood, body FROM notes").fetchall() == [
                (1, "happy", "first")
            ]
            db.execute("INSERT INTO notes (body) VALUES ('second')")
            assert db.execute("SELECT max(id) FROM notes").fetchone() == (2,)
            assert db.execute("SELECT count(*) FROM tags").fetchone() == (3,)

        result = cli("migrate")  # and production runs the squash as written
        assert result.exit_code == 0, result.output
    finally:
        sys.path[:] = path
        sys.modules.pop(MODULE_NAME, None)
