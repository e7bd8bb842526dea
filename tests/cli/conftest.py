"""Fixtures for the CLI tests: a project directory with a config file and migrations, and
an in-process ``dbwarden`` invoker (typer's ``CliRunner``)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from dbwarden.cli.app import app
from dbwarden.cli.loader import MODULE_NAME

from .cli_helpers import Invoke, Project, make_project


@pytest.fixture(autouse=True)
def _restore_import_state() -> Iterator[None]:
    """The CLI puts the project root on sys.path and imports the config under a private
    name; undo both so tests stay independent."""
    path = list(sys.path)
    yield
    sys.path[:] = path
    sys.modules.pop(MODULE_NAME, None)


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch) -> Invoke:
    """``cli("migrate", "--json")``: run dbwarden in-process; ``DBWARDEN_CONFIG`` and
    ``COLUMNS`` from the outer environment are ignored."""
    monkeypatch.delenv("DBWARDEN_CONFIG", raising=False)
    monkeypatch.delenv("ENVIRONMENT", raising=False)
    monkeypatch.delenv("COLUMNS", raising=False)
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Result:
        return runner.invoke(app, list(args), input=input, env=env, catch_exceptions=False)

    return invoke


@pytest.fixture
def project(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Project:
    """A project on SQLite and on PostgreSQL (``database_url`` is parametrized); the
    working directory is its root."""
    p = make_project(tmp_path / "proj", database_url)
    monkeypatch.chdir(p.root)
    return p


@pytest.fixture
def sqlite_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    p = make_project(tmp_path / "proj", f"sqlite:///{tmp_path / 'proj' / 'app.db'}")
    monkeypatch.chdir(p.root)
    return p
