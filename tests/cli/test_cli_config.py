"""Configuration discovery: --config > $DBWARDEN_CONFIG > [tool.dbwarden] > ./dbwarden.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from .cli_helpers import Invoke, data, flat


def config_file(path: Path, name: str, db: Path) -> Path:
    """A config registering one database called ``name`` (so tests can tell which file
    was loaded from ``history --json``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    (db.parent / "migrations").mkdir(exist_ok=True)
    path.write_text(
        "from dbwarden import database_config\n"
        f"database_config(database_name={name!r}, default=True, "
        f"database_url='sqlite:///{db}', migrations_dir={str(db.parent / 'migrations')!r})\n"
    )
    return path


def loaded(cli: Invoke, *args: str, env: dict[str, str] | None = None) -> str:
    result = cli(*args, "history", "--json", env=env)
    assert result.exit_code == 0, result.output
    name = data(result)["database"]
    assert isinstance(name, str)
    return name


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    monkeypatch.chdir(root)
    return root


def test_explicit_config(cli: Invoke, root: Path) -> None:
    config_file(root / "conf" / "db.py", "via_flag", root / "a.db")
    assert loaded(cli, "--config", "conf/db.py") == "via_flag"
    assert loaded(cli, "-c", str(root / "conf" / "db.py")) == "via_flag"


def test_env_var(cli: Invoke, root: Path) -> None:
    config_file(root / "conf" / "db.py", "via_env", root / "a.db")
    assert loaded(cli, env={"DBWARDEN_CONFIG": "conf/db.py"}) == "via_env"


def test_pyproject_table_from_a_subdirectory(
    cli: Invoke, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config_file(root / "app" / "database.py", "via_pyproject", root / "a.db")
    (root / "pyproject.toml").write_text('[tool.dbwarden]\nconfig = "app/database.py"\n')
    assert loaded(cli) == "via_pyproject"
    sub = root / "src" / "deep"
    sub.mkdir(parents=True)
    monkeypatch.chdir(sub)  # relative to the pyproject's directory, not the cwd
    assert loaded(cli) == "via_pyproject"


def test_local_dbwarden_py_and_the_shadowing_warning(cli: Invoke, root: Path) -> None:
    config_file(root / "dbwarden.py", "via_local", root / "a.db")
    result = cli("history", "--json")
    assert result.exit_code == 0, result.output
    assert data(result)["database"] == "via_local"  # stdout is JSON only
    warning = flat(result.stderr)
    assert "warning:" in warning
    assert "dbwarden.py shadows the dbwarden package" in warning
    assert "app/database.py" in warning


def test_precedence(cli: Invoke, root: Path) -> None:
    config_file(root / "flag.py", "via_flag", root / "a.db")
    config_file(root / "env.py", "via_env", root / "b.db")
    config_file(root / "app" / "database.py", "via_pyproject", root / "c.db")
    config_file(root / "dbwarden.py", "via_local", root / "d.db")
    (root / "pyproject.toml").write_text('[tool.dbwarden]\nconfig = "app/database.py"\n')
    env = {"DBWARDEN_CONFIG": "env.py"}

    assert loaded(cli, "--config", "flag.py", env=env) == "via_flag"
    assert loaded(cli, env=env) == "via_env"
    assert loaded(cli) == "via_pyproject"
    (root / "pyproject.toml").write_text('[project]\nname = "x"\n')
    assert loaded(cli) == "via_local"


def test_no_config_says_how_to_make_one(cli: Invoke, root: Path) -> None:
    result = cli("status")
    assert result.exit_code == 2
    err = flat(result.stderr)
    assert "no dbwarden configuration found" in err
    assert "dbwarden init" in err
    assert "--config" in err


@pytest.mark.parametrize(
    ("args", "env", "pyproject"),
    [
        (("--config", "missing.py"), None, None),
        ((), {"DBWARDEN_CONFIG": "missing.py"}, None),
        ((), None, '[tool.dbwarden]\nconfig = "missing.py"\n'),
        ((), None, "[tool.dbwarden\n"),
        ((), None, "[tool.dbwarden]\nconfig = 3\n"),
    ],
)
def test_bad_pointers(
    cli: Invoke,
    root: Path,
    args: tuple[str, ...],
    env: dict[str, str] | None,
    pyproject: str | None,
) -> None:
    if pyproject is not None:
        (root / "pyproject.toml").write_text(pyproject)
    result = cli(*args, "status", env=env)
    assert result.exit_code == 2
    assert "pyproject.toml" in flat(result.stderr) or "missing.py" in flat(result.stderr)


def test_config_that_raises(cli: Invoke, root: Path) -> None:
    (root / "dbconf.py").write_text("import os\n\nURL = os.environ['NOPE_NOT_SET']\n")
    result = cli("--config", "dbconf.py", "status")
    assert result.exit_code == 2
    err = flat(result.stderr)
    assert "dbconf.py" in err
    assert "KeyError" in err
    assert "NOPE_NOT_SET" in err
    assert "Traceback" not in result.output

    result = cli("--debug", "--config", "dbconf.py", "status")
    assert result.exit_code == 2
    assert "Traceback" in result.stderr
    assert "dbconf.py" in result.stderr


def test_config_with_a_bad_url(cli: Invoke, root: Path) -> None:
    (root / "dbconf.py").write_text(
        "from dbwarden import database_config\n"
        "database_config('primary', database_url='oracle://scott:tiger99@db/x')\n"
    )
    result = cli("--config", "dbconf.py", "migrate")
    assert result.exit_code == 2
    err = flat(result.stderr)
    assert "dbconf.py" in err
    assert "tiger99" not in result.output


def test_config_without_databases(cli: Invoke, root: Path) -> None:
    (root / "dbconf.py").write_text("X = 1\n")
    result = cli("--config", "dbconf.py", "status")
    assert result.exit_code == 2
    assert "configures no database" in flat(result.stderr)


def test_config_imports_the_apps_own_modules(cli: Invoke, root: Path) -> None:
    (root / "pyproject.toml").write_text('[tool.dbwarden]\nconfig = "app/database.py"\n')
    (root / "app").mkdir()
    (root / "migrations" / "from_app").mkdir(parents=True)
    (root / "app" / "__init__.py").write_text("")
    (root / "app" / "settings.py").write_text(f"DB = 'sqlite:///{root / 'x.db'}'\n")
    (root / "app" / "database.py").write_text(
        "from app.settings import DB\n"
        "from dbwarden import database_config\n"
        "primary = database_config('from_app', default=True, database_url=DB)\n"
    )
    assert loaded(cli) == "from_app"


def test_a_config_named_dbwarden_does_not_shadow_the_package(cli: Invoke, root: Path) -> None:
    # Loaded by path under a private name: `import dbwarden` inside it is the package.
    config_file(root / "dbwarden.py", "named_dbwarden", root / "a.db")
    assert loaded(cli, "--config", "dbwarden.py") == "named_dbwarden"


def test_unknown_database_lists_the_configured_ones(cli: Invoke, root: Path) -> None:
    (root / "dbconf.py").write_text(
        "from dbwarden import database_config\n"
        f"database_config('primary', default=True, database_url='sqlite:///{root / 'a.db'}')\n"
        f"database_config('analytics', database_url='sqlite:///{root / 'b.db'}')\n"
    )
    for command in ("status", "migrate", "history", "verify", "new"):
        args = ["--config", "dbconf.py", command, "-d", "nope"]
        if command == "new":
            args += ["-m", "x"]
        result = cli(*args)
        assert result.exit_code == 2, command
        err = flat(result.stderr)
        assert "unknown database 'nope'" in err
        assert "analytics, primary" in err
