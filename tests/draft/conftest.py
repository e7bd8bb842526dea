"""Fixtures for the drafting tests: a project with models on disk, and the CLI in-process."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from dbwarden.cli.app import app
from dbwarden.cli.loader import MODULE_NAME

MODELS = """\
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(100), unique=True)
{user_extra}

class Post(Base):
    __tablename__ = "posts"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    title: Mapped[str | None] = mapped_column(String(200))
"""

Invoke = Callable[..., Result]


class DraftProject:
    """``pyproject.toml`` → ``app/database.py`` (one database, ``model_paths``) and
    ``app/models.py``; the working directory is its root."""

    def __init__(self, root: Path, url: str) -> None:
        self.root = root
        self.url = url
        (root / "app").mkdir(parents=True)
        (root / "app" / "__init__.py").write_text("", encoding="utf-8")
        (root / "pyproject.toml").write_text(
            '[project]\nname = "demo"\n\n[tool.dbwarden]\nconfig = "app/database.py"\n',
            encoding="utf-8",
        )
        self.config(model_paths=["app.models"])
        self.models()

    @property
    def migrations(self) -> Path:
        return self.root / "migrations" / "primary"

    def files(self) -> list[str]:
        return (
            sorted(p.name for p in self.migrations.glob("*.sql"))
            if self.migrations.is_dir()
            else []
        )

    def config(self, **options: object) -> None:
        extra = "".join(f"    {k}={v!r},\n" for k, v in options.items())
        (self.root / "app" / "database.py").write_text(
            "from dbwarden import database_config\n\n"
            "primary = database_config(\n"
            '    database_name="primary",\n'
            "    default=True,\n"
            f"    database_url={self.url!r},\n"
            f"    base_dir={str(self.root)!r},\n"
            f"{extra})\n",
            encoding="utf-8",
        )

    def models(self, user_extra: str = "", text: str | None = None) -> None:
        """(Re)write app/models.py; the next command imports it afresh."""
        body = text if text is not None else MODELS.format(user_extra=user_extra)
        (self.root / "app" / "models.py").write_text(body, encoding="utf-8")
        # A byte-code cache written in the same second for a file of the same size would
        # pass for this one (Python checks only mtime and size).
        shutil.rmtree(self.root / "app" / "__pycache__", ignore_errors=True)
        for name in [m for m in sys.modules if m == "app" or m.startswith("app.")]:
            del sys.modules[name]


@pytest.fixture(autouse=True)
def _restore_import_state() -> Iterator[None]:
    """The CLI puts the project root on sys.path and imports the config and the models;
    undo both so tests stay independent."""
    path = list(sys.path)
    yield
    sys.path[:] = path
    sys.modules.pop(MODULE_NAME, None)
    for name in [m for m in sys.modules if m == "app" or m.startswith("app.")]:
        del sys.modules[name]


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch) -> Invoke:
    """``cli("make-migrations", "-m", "x")``: run dbwarden in-process."""
    monkeypatch.delenv("DBWARDEN_CONFIG", raising=False)
    monkeypatch.delenv("ENVIRONMENT", raising=False)
    monkeypatch.delenv("COLUMNS", raising=False)
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(app, list(args), catch_exceptions=False)

    return invoke


@pytest.fixture
def project(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> DraftProject:
    root = tmp_path / "proj"
    root.mkdir()
    if database_url.startswith("sqlite"):
        database_url = "sqlite:///app.db"
    monkeypatch.chdir(root)
    return DraftProject(root, database_url)


@pytest.fixture
def sqlite_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> DraftProject:
    root = tmp_path / "proj"
    root.mkdir()
    monkeypatch.chdir(root)
    return DraftProject(root, "sqlite:///app.db")
