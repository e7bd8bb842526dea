"""Error rendering: one panel, exit codes, masked passwords, unexpected exceptions."""

from __future__ import annotations

from pathlib import Path

import pytest

from dbwarden.cli.render import _words

from .cli_helpers import Invoke, Project, data, flat, make_project

SECRET = "S3cr3t-Pa55word"


@pytest.fixture
def unreachable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    """A PostgreSQL URL with a password, on a port where nothing listens."""
    url = f"postgresql://alice:{SECRET}@127.0.0.1:1/app"
    project = make_project(tmp_path / "proj", url, connect_timeout=2.0)
    project.migration("0001_a.sql", "CREATE TABLE a (id integer);")
    monkeypatch.chdir(project.root)
    return project


@pytest.mark.parametrize(
    "args",
    [
        ("migrate",),
        ("migrate", "--json"),
        ("migrate", "--dry-run"),
        ("--debug", "migrate"),
        ("status",),
        ("status", "--json"),
        ("status", "--all"),
        ("status", "--all", "--json"),
        ("migrate", "--all"),
        ("migrate", "--all", "--json"),
        ("history",),
        ("verify",),
        ("rollback",),
        ("repair",),
        ("lock", "status"),
    ],
)
def test_password_is_masked(cli: Invoke, unreachable: Project, args: tuple[str, ...]) -> None:
    result = cli(*args)
    assert result.exit_code == 1, result.output
    assert SECRET not in result.output
    assert "alice:***@127.0.0.1:1" in flat(result.output)


def test_unexpected_error(
    cli: Invoke, sqlite_project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dbwarden.runner import Runner

    async def boom(self: Runner, *args: object, **kwargs: object) -> None:
        raise RuntimeError(f"kaboom near {SECRET}")

    sqlite_project.write_config(dev_database_url=f"postgresql://bob:{SECRET}@localhost/dev")
    monkeypatch.setattr(Runner, "upgrade", boom)
    result = cli("migrate")
    assert result.exit_code == 1
    err = flat(result.stderr)
    assert "Unexpected error (RuntimeError)" in err
    assert "kaboom near ***" in err
    assert "--debug" in err
    assert "Traceback" not in result.output
    assert SECRET not in result.output

    result = cli("--debug", "migrate")
    assert result.exit_code == 1
    assert "Traceback" in result.stderr
    assert "kaboom" in result.stderr
    assert SECRET not in result.output

    result = cli("migrate", "--json")
    assert result.exit_code == 1
    assert data(result)["error"]["type"] == "RuntimeError"


def test_error_panel_shape(cli: Invoke, sqlite_project: Project) -> None:
    sqlite_project.raw("0001_x.sql", "-- header\nCREATE TABLE x (id integer);\n")
    result = cli("migrate")
    assert result.exit_code == 2
    err = result.stderr
    assert result.stdout == ""
    assert err.count("╭") == 1  # one panel
    assert "Marker error" in err
    assert "migrations/primary/0001_x.sql:2" in err  # location relative to the cwd


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("ChecksumMismatchError", "Checksum mismatch error"),
        ("SQLSyntaxError", "SQL syntax error"),
        ("LockTimeoutError", "Lock timeout error"),
        ("URLError", "URL error"),
        ("MigrationFailedError", "Migration failed error"),
    ],
)
def test_error_titles(name: str, words: str) -> None:
    assert _words(name) == words


def test_version(cli: Invoke) -> None:
    from dbwarden import __version__

    result = cli("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"dbwarden {__version__}"


def test_help_documents_json_and_exit_codes(cli: Invoke) -> None:
    result = cli("--help")
    assert result.exit_code == 0
    assert "Exit codes" in result.stdout
    for command in ("init", "new", "migrate", "rollback", "status", "history", "verify"):
        assert command in result.stdout
    assert '"applied_count": int' in cli("status", "--help").stdout
    assert '"sql": [str]' in cli("migrate", "--help").stdout
    assert "applied_at" in cli("history", "--help").stdout
