from __future__ import annotations

from pathlib import Path

import pytest

from dbwarden import database_config, databases, get_database
from dbwarden.config import URLError, redact_url, resolve_url, to_async_url
from dbwarden.errors import ConfigError


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("postgres://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("postgresql+asyncpg://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:///dev.db", "sqlite+aiosqlite:///dev.db"),
        ("sqlite+aiosqlite:///dev.db", "sqlite+aiosqlite:///dev.db"),
        ("mysql+aiomysql://u@h/db", "mysql+aiomysql://u@h/db"),
    ],
)
def test_to_async_url(url: str, expected: str) -> None:
    assert to_async_url(url) == expected


@pytest.mark.parametrize("url", ["mysql://u@h/db", "oracle://x", "not a url"])
def test_unsupported_scheme_is_a_value_error_saying_what_works(url: str) -> None:
    with pytest.raises(ValueError, match="postgresql://") as info:
        to_async_url(url)
    assert isinstance(info.value, URLError)


def test_redact_url() -> None:
    assert redact_url("postgresql://app:s3cret@db:5432/x") == "postgresql://app:***@db:5432/x"
    assert redact_url("postgresql://app@db/x") == "postgresql://app@db/x"
    assert "s3cret" not in redact_url("postgresql+asyncpg://app:s3cret@[::1]:5432/x")
    assert "p@ss" not in redact_url("postgresql://app:p%40ss@db/x")


def test_resolve_sqlite_relative_to_base(tmp_path: Path) -> None:
    r = resolve_url("sqlite:///dev.db", tmp_path)
    assert r.driver == "aiosqlite" and r.dialect == "sqlite"
    assert r.dsn == str(tmp_path / "dev.db")
    assert r.async_url == f"sqlite+aiosqlite:///{tmp_path / 'dev.db'}"
    assert resolve_url("sqlite:///:memory:", tmp_path).dsn == ":memory:"
    assert resolve_url("sqlite:////abs/x.db", tmp_path).dsn == "/abs/x.db"


def test_resolve_postgres_dsn(tmp_path: Path) -> None:
    r = resolve_url("postgresql://u:pw@h:5/db", tmp_path)
    assert (r.driver, r.dialect, r.dsn) == ("asyncpg", "postgresql", "postgresql://u:pw@h:5/db")
    assert "pw" not in r.redacted
    assert resolve_url("postgresql+psycopg://u@h/db", tmp_path).driver == "sqlalchemy"
    assert resolve_url("mysql+aiomysql://u@h/db", tmp_path).dialect == "generic"


def test_handle_defaults_and_registry(tmp_path: Path) -> None:
    primary = database_config("primary", database_url="sqlite:///a.db", base_dir=tmp_path)
    other = database_config("other", database_url="sqlite:///b.db", default=True, base_dir=tmp_path)
    assert primary.migrations_dir == tmp_path / "migrations" / "primary"
    assert primary.seeds_dir == tmp_path / "seeds" / "primary"
    assert get_database() is other  # the default comes first
    assert get_database("primary") is primary
    assert [h.name for h in databases()] == ["other", "primary"]
    with pytest.raises(ConfigError, match="configured: other, primary"):
        get_database("nope")
    assert primary.runner is primary.runner
    assert "a.db" in repr(primary)


def test_two_defaults_refused(tmp_path: Path) -> None:
    database_config("a", database_url="sqlite:///a.db", default=True, base_dir=tmp_path)
    with pytest.raises(ConfigError, match="both default"):
        database_config("b", database_url="sqlite:///b.db", default=True, base_dir=tmp_path)


def test_bad_config_fails_where_it_is_written(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no URL"):
        database_config("a", base_dir=tmp_path)
    with pytest.raises(URLError):
        database_config("a", database_url="mysql://x/y", base_dir=tmp_path)
    with pytest.raises(ConfigError, match="letters, digits"):
        database_config("bad name", database_url="sqlite:///a.db", base_dir=tmp_path)
    with pytest.raises(ConfigError, match="disagree"):
        database_config("a", database_url="sqlite:///a.db", database_url_sync="sqlite:///b.db")


def test_alias_and_async_override(tmp_path: Path) -> None:
    h = database_config(
        "a",
        database_url_sync="postgresql://u@h/db",
        database_url_async="postgresql+asyncpg://u@h/db?ssl=disable",
        base_dir=tmp_path,
    )
    assert h.url == "postgresql://u@h/db"
    assert h.async_url() == "postgresql+asyncpg://u@h/db?ssl=disable"


def test_dev_mode(tmp_path: Path) -> None:
    h = database_config(
        "a",
        database_url="postgresql://u@h/db",
        dev_database_url="sqlite:///dev.db",
        base_dir=tmp_path,
        environ={"ENVIRONMENT": "development"},
    )
    assert h.is_dev()
    assert h.dialect() == "sqlite"
    assert h.dialect(dev=False) == "postgresql"
    prod = database_config("b", database_url="postgresql://u@h/db", base_dir=tmp_path, environ={})
    assert not prod.is_dev()
    with pytest.raises(ConfigError, match="no dev_database_url"):
        prod.resolve(dev=True)


def test_base_dir_is_the_callers_project_root(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    (project / "app").mkdir(parents=True)
    (project / "pyproject.toml").write_text("[project]\nname='x'\n")
    (project / "app" / "database.py").write_text(
        "from dbwarden import database_config\n"
        "primary = database_config('primary', database_url='sqlite:///app.db')\n"
    )
    namespace: dict[str, object] = {"__file__": str(project / "app" / "database.py")}
    exec(compile((project / "app" / "database.py").read_text(), "database.py", "exec"), namespace)
    handle = get_database("primary")
    assert handle.base_dir == project.resolve()
    assert handle.migrations_dir == project.resolve() / "migrations" / "primary"
    assert handle.resolve().dsn == str(project.resolve() / "app.db")
