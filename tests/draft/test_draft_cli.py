"""`dbwarden make-migrations` and `dbwarden check` through the CLI (typer's CliRunner)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

from .conftest import DraftProject, Invoke


def _flat(text: str) -> str:
    for ch in "│╭╮╰╯─":
        text = text.replace(ch, " ")
    return " ".join(text.split())


def test_draft_migrate_check(cli: Invoke, project: DraftProject) -> None:
    result = cli("check")
    assert result.exit_code == 1, result.output
    assert "table users: only in the models" in result.stdout
    assert "dbwarden make-migrations" in result.stderr

    result = cli("make-migrations", "-m", "create users and posts")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "migrations/primary/0001_create_users_and_posts.sql"
    assert "  + create table users: id, email" in lines
    assert "  + create table posts: id, user_id, title" in lines
    text = (project.root / lines[0]).read_text(encoding="utf-8")
    assert text.startswith("-- create users and posts\n")
    assert text.index("CREATE TABLE users") < text.index("CREATE TABLE posts")  # parents first
    rollback = text[text.index("-- rollback") :]
    assert rollback.index("DROP TABLE posts") < rollback.index("DROP TABLE users")  # children first

    assert cli("migrate").exit_code == 0
    result = cli("check")
    assert result.exit_code == 0, result.output
    assert (
        "primary: the models match the schema the migrations produce (version 1)" in result.stdout
    )
    result = cli("check", "--live")
    assert result.exit_code == 0, result.output
    assert "the live database matches" in result.stdout

    result = cli("make-migrations", "-m", "again")
    assert result.exit_code == 0, result.output
    assert "nothing to draft" in result.stdout
    assert project.files() == ["0001_create_users_and_posts.sql"]

    project.models(user_extra="    age: Mapped[int | None]\n")
    result = cli("check", "--json")
    assert result.exit_code == 1, result.output
    doc = json.loads(result.stdout)
    assert doc["ok"] is False
    assert doc["against"] == "models"
    assert doc["version"] == "1"
    assert [(c["kind"], c["table"], c["name"]) for c in doc["changes"]] == [
        ("add_column", "users", "age")
    ]

    result = cli("make-migrations", "-m", "add users.age", "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["written"] is True
    assert doc["path"].endswith("0002_add_users_age.sql")
    assert doc["upgrade"] == [
        "ALTER TABLE users ADD COLUMN age INTEGER"
        if project.url.startswith("sqlite")
        else "ALTER TABLE users ADD COLUMN age integer"
    ]
    assert cli("migrate").exit_code == 0
    assert cli("check").exit_code == 0
    assert cli("rollback").exit_code == 0
    assert cli("check", "--live").exit_code == 0  # compared at version 1 again


def test_live_drift(cli: Invoke, sqlite_project: DraftProject) -> None:
    assert cli("make-migrations", "-m", "start").exit_code == 0
    assert cli("migrate").exit_code == 0
    with closing(sqlite3.connect(sqlite_project.root / "app.db")) as conn:
        conn.execute("ALTER TABLE users ADD COLUMN nickname TEXT")
        conn.execute("CREATE INDEX ix_by_hand ON posts (title)")
        conn.commit()
    result = cli("check", "--live")
    assert result.exit_code == 1, result.output
    assert "drifted" in result.stdout
    assert "+ column users.nickname: only in the database (TEXT)" in result.stdout
    assert "+ index ix_by_hand on posts: only in the database" in result.stdout
    assert cli("check").exit_code == 0  # the models still match the migrations


def test_dry_run_writes_nothing(cli: Invoke, sqlite_project: DraftProject) -> None:
    result = cli("make-migrations", "-m", "start", "--dry-run")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("-- start\n")
    assert "-- upgrade\nCREATE TABLE users" in result.stdout
    assert "dry run, nothing written" in result.stderr
    assert sqlite_project.files() == []


def test_rename_option(cli: Invoke, sqlite_project: DraftProject) -> None:
    assert cli("make-migrations", "-m", "start").exit_code == 0
    assert cli("migrate").exit_code == 0
    sqlite_project.models(
        text=(sqlite_project.root / "app" / "models.py")
        .read_text()
        .replace(
            "email: Mapped[str] = mapped_column(String(100), unique=True)",
            "login: Mapped[str] = mapped_column(String(100), unique=True)",
        )
    )
    result = cli("make-migrations", "-m", "guess", "--dry-run")
    assert "draft again with --rename users.email:login" in result.stdout
    result = cli("make-migrations", "-m", "rename email", "--rename", "users.email:login")
    assert result.exit_code == 0, result.output
    assert "  ~ rename column users.login: email → login" in result.stdout
    text = (sqlite_project.root / result.stdout.splitlines()[0]).read_text()
    assert "ALTER TABLE users RENAME COLUMN email TO login;" in text
    assert cli("migrate").exit_code == 0
    assert cli("check").exit_code == 0

    result = cli("make-migrations", "-m", "x", "--rename", "nope:nothing")
    assert result.exit_code == 2, result.output
    assert "--rename nope:nothing" in _flat(result.stderr)


@pytest.mark.parametrize(
    ("setup", "args", "expected"),
    [
        (
            lambda p: p.models(text="import does_not_exist_anywhere\n"),
            ("make-migrations", "-m", "x"),
            "cannot import model module 'app.models' (model_paths of database 'primary', "
            "imported from",
        ),
        (
            lambda p: p.models(text="raise RuntimeError('boom in models')\n"),
            ("check",),
            "RuntimeError: boom in models",
        ),
        (
            lambda p: p.models(
                text="from sqlalchemy.orm import DeclarativeBase\n\n"
                "class Base(DeclarativeBase):\n    pass\n"
            ),
            ("make-migrations", "-m", "x"),
            "app.models define no tables",
        ),
        (
            lambda p: p.config(),
            ("make-migrations", "-m", "x"),
            "database 'primary' has no model_paths",
        ),
        (
            lambda p: None,
            ("make-migrations", "-d", "nope", "-m", "x"),
            "unknown database 'nope'; configured: primary",
        ),
        (
            lambda p: None,
            ("check", "-d", "nope"),
            "unknown database 'nope'",
        ),
    ],
    ids=[
        "import-error",
        "raising-module",
        "no-tables",
        "no-model-paths",
        "unknown-db",
        "check-unknown-db",
    ],
)
def test_bad_input_exits_2_and_writes_nothing(
    cli: Invoke, sqlite_project: DraftProject, setup: object, args: tuple[str, ...], expected: str
) -> None:
    setup(sqlite_project)  # type: ignore[operator]
    result = cli(*args)
    assert result.exit_code == 2, result.output
    assert expected in _flat(result.stderr)
    assert sqlite_project.files() == []
    assert not (sqlite_project.root / "app.db").exists()


def test_json_error_document(cli: Invoke, sqlite_project: DraftProject) -> None:
    sqlite_project.models(text="import does_not_exist_anywhere\n")
    result = cli("make-migrations", "-m", "x", "--json")
    assert result.exit_code == 2
    doc = json.loads(result.stdout)
    assert doc["ok"] is False
    assert doc["error"]["type"] == "ModelImportError"
    assert "No module named 'does_not_exist_anywhere'" in doc["error"]["message"]


@pytest.mark.slow
@pytest.mark.parametrize("command", ["make-migrations", "check"])
def test_help_imports_no_sqlalchemy(command: str, tmp_path: Path) -> None:
    """The draft commands live in their own module; their help, like `dbwarden --help`,
    must not pay for SQLAlchemy."""
    probe = (
        "import sys\n"
        f"sys.argv = ['dbwarden', {command!r}, '--help']\n"
        "from dbwarden.cli.app import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('LOADED', sorted({m.split('.')[0] for m in sys.modules}))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert "Usage: dbwarden" in proc.stdout, proc.stderr
    loaded = proc.stdout.rsplit("LOADED", 1)[1]
    assert "'sqlalchemy'" not in loaded
    assert "'rich'" not in loaded


def test_a_migration_that_does_not_build_from_scratch(
    cli: Invoke, sqlite_project: DraftProject
) -> None:
    sqlite_project.migrations.mkdir(parents=True)
    (sqlite_project.migrations / "0001_broken.sql").write_text(
        "-- upgrade\nCREATE TABLE users (id INTEGER PRIMARY KEY);\n"
        "INSERT INTO nowhere VALUES (1);\n-- rollback\nDROP TABLE users;\n",
        encoding="utf-8",
    )
    result = cli("make-migrations", "-m", "x")
    assert result.exit_code == 2, result.output
    message = _flat(result.stderr)
    assert "the existing migrations do not build on an empty sqlite database" in message
    assert "0001_broken.sql:3: no such table: nowhere" in message
    assert sqlite_project.files() == ["0001_broken.sql"]


def test_dev_database_of_another_kind_is_refused(cli: Invoke, sqlite_project: DraftProject) -> None:
    sqlite_project.url = "postgresql://postgres@127.0.0.1:1/never"
    sqlite_project.config(model_paths=["app.models"], dev_database_url="sqlite:///dev.db")
    for args in (("make-migrations", "-m", "x", "--dev"), ("check", "--live", "--dev")):
        result = cli(*args)
        assert result.exit_code == 2, result.output
        assert "dev_database_url is sqlite but database_url is not" in _flat(result.stderr)
    assert sqlite_project.files() == []
