"""`dbwarden init` and `dbwarden new`."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dbwarden.cli.app import next_version, slugify

from .cli_helpers import Invoke, Project, data, flat


@pytest.fixture
def empty_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "newproj"
    root.mkdir()
    monkeypatch.chdir(root)
    return root


def test_init_then_new_migrate_status(cli: Invoke, empty_dir: Path) -> None:
    result = cli("init")
    assert result.exit_code == 0, result.output
    config = empty_dir / "app" / "database.py"
    assert config.is_file()
    assert (empty_dir / "app" / "__init__.py").is_file()
    assert (empty_dir / "migrations" / "primary").is_dir()
    assert (empty_dir / "seeds" / "primary").is_dir()
    text = config.read_text()
    assert 'database_name="primary"' in text
    assert "default=True" in text
    assert 'database_url="sqlite:///app.db"' in text
    assert 'migrations_dir="migrations/primary"' in text
    assert 'seeds_dir="seeds/primary"' in text
    assert "primary = database_config(" in text
    pyproject = tomllib.loads((empty_dir / "pyproject.toml").read_text())
    assert pyproject["tool"]["dbwarden"]["config"] == "app/database.py"
    assert "Next steps" in result.stdout
    assert "dbwarden new" in result.stdout

    result = cli("new", "-m", "Create users")
    assert result.exit_code == 0, result.output
    path = empty_dir / result.stdout.strip()
    assert path == empty_dir / "migrations" / "primary" / "0001_create_users.sql"
    path.write_text(
        "-- Create users\n-- upgrade\nCREATE TABLE users (id integer PRIMARY KEY);\n"
        "-- rollback\nDROP TABLE users;\n"
    )
    result = cli("migrate")
    assert result.exit_code == 0, result.output
    assert "0001_create_users" in result.stdout
    assert (empty_dir / "app.db").is_file()  # relative SQLite paths resolve at the root

    status = data(cli("status", "--json"))
    assert status["state"] == "up_to_date"
    assert status["current_version"] == "1"
    assert status["applied_count"] == 1


def test_init_appends_to_an_existing_pyproject(cli: Invoke, empty_dir: Path) -> None:
    original = '[project]\nname = "shop"\nversion = "1.0"\n\n[tool.ruff]\nline-length = 100'
    (empty_dir / "pyproject.toml").write_text(original)
    result = cli("init")
    assert result.exit_code == 0, result.output
    text = (empty_dir / "pyproject.toml").read_text()
    assert text.startswith(original)
    parsed = tomllib.loads(text)
    assert parsed["project"]["name"] == "shop"
    assert parsed["tool"]["ruff"]["line-length"] == 100
    assert parsed["tool"]["dbwarden"]["config"] == "app/database.py"


def test_init_refuses_to_overwrite_a_config(cli: Invoke, empty_dir: Path) -> None:
    (empty_dir / "app").mkdir()
    (empty_dir / "app" / "database.py").write_text("# mine\n")
    result = cli("init")
    assert result.exit_code == 2
    assert "already exists" in flat(result.stderr)
    assert (empty_dir / "app" / "database.py").read_text() == "# mine\n"
    assert not (empty_dir / "pyproject.toml").exists()  # nothing written at all


def test_init_refuses_a_tool_table_pointing_elsewhere(cli: Invoke, empty_dir: Path) -> None:
    (empty_dir / "pyproject.toml").write_text('[tool.dbwarden]\nconfig = "other/db.py"\n')
    result = cli("init")
    assert result.exit_code == 2
    assert "[tool.dbwarden]" in flat(result.stderr)
    assert not (empty_dir / "app").exists()


def test_init_accepts_a_tool_table_pointing_at_the_same_file(cli: Invoke, empty_dir: Path) -> None:
    original = '[tool.dbwarden]\nconfig = "app/database.py"\n'
    (empty_dir / "pyproject.toml").write_text(original)
    result = cli("init")
    assert result.exit_code == 0, result.output
    assert (empty_dir / "pyproject.toml").read_text() == original
    assert (empty_dir / "app" / "database.py").is_file()


def test_init_package_option(cli: Invoke, empty_dir: Path) -> None:
    (empty_dir / "shop").mkdir()
    (empty_dir / "shop" / "__init__.py").write_text("VALUE = 1\n")
    result = cli("init", "--package", "shop")
    assert result.exit_code == 0, result.output
    assert (empty_dir / "shop" / "database.py").is_file()
    assert (empty_dir / "shop" / "__init__.py").read_text() == "VALUE = 1\n"  # kept
    assert "from shop.database import primary" in (empty_dir / "shop" / "database.py").read_text()
    pyproject = tomllib.loads((empty_dir / "pyproject.toml").read_text())
    assert pyproject["tool"]["dbwarden"]["config"] == "shop/database.py"
    assert cli("status").exit_code == 0


def test_init_rejects_a_bad_package_name(cli: Invoke, empty_dir: Path) -> None:
    result = cli("init", "--package", "my-app")
    assert result.exit_code == 2
    assert not list(empty_dir.iterdir())


NOW = datetime(2026, 11, 22, 2, 18, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        ([], "0001"),
        (["0001_a.sql", "0002_b.sql"], "0003"),
        (["0009_a.sql"], "0010"),
        (["01_a.sql", "02_b.sql"], "03"),
        (["9_a.sql"], "10"),
        (["000099_x.sql", "README.md", "RA__views.sql"], "000100"),
        (["primary__0004_x.sql"], "0005"),
        (["2_a.sql", "10_b.sql"], "11"),
        (["20240101120000_a.sql"], "20261122021800"),
        (["202401011200_a.sql"], "20261122021800"),
        (["30000101000000_future.sql"], "30000101000001"),
    ],
)
def test_next_version(names: list[str], expected: str) -> None:
    assert next_version(names, NOW) == expected


@pytest.mark.parametrize(
    ("message", "slug"),
    [
        ("Create users", "create_users"),
        ("Add e-mail index!", "add_e_mail_index"),
        ("  --Drop   OLD  table--  ", "drop_old_table"),
        ("Ünïcode çafé", "n_code_af"),
        ("!!!", "migration"),
        ("x" * 59 + " yz", "x" * 59),
        ("a" * 80, "a" * 60),
    ],
)
def test_slugify(message: str, slug: str) -> None:
    assert slugify(message) == slug
    assert len(slugify(message)) <= 60


def test_new_numbering_and_template(cli: Invoke, sqlite_project: Project) -> None:
    sqlite_project.migration("0007_seven.sql", "SELECT 7;")
    result = cli("new", "-m", "Add orders table")
    assert result.exit_code == 0, result.output
    path = sqlite_project.root / result.stdout.strip()
    assert path.name == "0008_add_orders_table.sql"
    text = path.read_text()
    assert text.splitlines()[0] == "-- Add orders table"
    assert "-- upgrade" in text
    assert "-- rollback" in text
    assert text.index("-- upgrade") < text.index("-- rollback")
    # The template's upgrade section is empty on purpose: migrating it is an error that
    # names the file, until SQL is written.
    result = cli("migrate")
    assert result.exit_code == 2
    assert "0008_add_orders_table.sql" in flat(result.stderr)


def test_new_uses_timestamps_when_the_files_do(cli: Invoke, sqlite_project: Project) -> None:
    sqlite_project.migration("20200101000000_old.sql", "SELECT 1;")
    before = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    result = cli("new", "-m", "next one")
    after = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    assert result.exit_code == 0, result.output
    version = Path(result.stdout.strip()).name.split("_")[0]
    assert len(version) == 14
    assert before <= version <= after


def test_new_for_another_database(cli: Invoke, sqlite_project: Project, tmp_path: Path) -> None:
    sqlite_project.databases["analytics"] = f"sqlite:///{tmp_path / 'analytics.db'}"
    sqlite_project.write_config()
    result = cli("new", "-m", "events", "-d", "analytics")
    assert result.exit_code == 0, result.output
    assert (sqlite_project.root / "migrations" / "analytics" / "0001_events.sql").is_file()
    assert not list(sqlite_project.migrations.glob("*.sql"))


def test_new_requires_a_message(cli: Invoke, sqlite_project: Project) -> None:
    assert cli("new").exit_code == 2


@pytest.mark.parametrize("message", ["Upgrade", "rollback", "dbwarden: irreversible", "two\nlines"])
def test_new_header_never_reads_as_a_marker(
    cli: Invoke, sqlite_project: Project, message: str
) -> None:
    from dbwarden.parse import parse_text

    result = cli("new", "-m", message)
    assert result.exit_code == 0, result.output
    path = sqlite_project.root / result.stdout.strip()
    text = path.read_text().replace("-- upgrade\n\n", "-- upgrade\nSELECT 1;\n", 1)
    parsed = parse_text(text, path, "sqlite")
    assert parsed.directives == ()
    assert parsed.upgrade.text.strip() == "SELECT 1;"
