"""Finding and importing the user's configuration module.

Discovery order: ``--config PATH`` > ``$DBWARDEN_CONFIG`` > ``config = "..."`` under
``[tool.dbwarden]`` in the nearest ``pyproject.toml`` > ``./dbwarden.py``.

The file is imported *by path* under a private module name, so a config called
``dbwarden.py`` never shadows the package inside the CLI. The project root goes first on
``sys.path`` so the config can import the app's own modules (``from app.models import Base``).
Nothing here prints: the CLI renders what it returns and raises.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import NamedTuple

from dbwarden.errors import ConfigError

__all__ = [
    "MODULE_NAME",
    "ConfigImportError",
    "ConfigSource",
    "find_config",
    "find_pyproject",
    "load_config",
    "shadowing_file",
]

MODULE_NAME = "_dbwarden_user_config"
ENV_VAR = "DBWARDEN_CONFIG"


class ConfigImportError(ConfigError):
    """The configuration file raised while it was imported; ``original`` is what it raised
    (the CLI shows its traceback with ``--debug``)."""

    def __init__(self, message: str, *, path: Path, original: BaseException) -> None:
        super().__init__(message)
        self.path = path
        self.original = original


class ConfigSource(NamedTuple):
    """Where the configuration was found. ``root`` goes on ``sys.path``; ``origin`` says
    which discovery rule found it (shown in messages)."""

    path: Path
    root: Path
    origin: str


def find_pyproject(start: Path) -> Path | None:
    """The nearest ``pyproject.toml`` in ``start`` or one of its parents."""
    for directory in (start, *start.parents):
        candidate = directory / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def _project_root(config: Path) -> Path:
    pyproject = find_pyproject(config.parent)
    return pyproject.parent if pyproject is not None else config.parent


def _existing(path: Path, origin: str) -> Path:
    if not path.is_file():
        what = "is not a file" if path.exists() else "does not exist"
        raise ConfigError(
            f"config file {path} (from {origin}) {what}; fix the path, or run "
            "`dbwarden init` to create a configuration"
        )
    return path.resolve()


def _tool_table(pyproject: Path) -> dict[str, object] | None:
    import tomllib

    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{pyproject}: cannot read it as TOML: {exc}") from None
    tool = data.get("tool")
    table = tool.get("dbwarden") if isinstance(tool, dict) else None
    if table is None:
        return None
    if not isinstance(table, dict):
        raise ConfigError(f"{pyproject}: [tool.dbwarden] must be a table")
    return table


def find_config(
    explicit: str | Path | None, *, cwd: Path, environ: Mapping[str, str]
) -> ConfigSource:
    """Locate the configuration file, or raise ``ConfigError`` saying how to create one."""
    if explicit is not None:
        path = _existing(cwd / Path(explicit), "--config")
        return ConfigSource(path, _project_root(path), "--config")

    env_value = environ.get(ENV_VAR, "").strip()
    if env_value:
        path = _existing(cwd / Path(env_value), f"${ENV_VAR}")
        return ConfigSource(path, _project_root(path), f"${ENV_VAR}")

    pyproject = find_pyproject(cwd)
    if pyproject is not None:
        table = _tool_table(pyproject)
        if table is not None and "config" in table:
            value = table["config"]
            if not isinstance(value, str) or not value.strip():
                raise ConfigError(
                    f"{pyproject}: [tool.dbwarden] config must be a path string, "
                    'such as config = "app/database.py"'
                )
            origin = f"[tool.dbwarden] in {pyproject}"
            path = _existing(pyproject.parent / value, origin)
            return ConfigSource(path, pyproject.parent, origin)

    local = cwd / "dbwarden.py"
    if local.is_file():
        path = local.resolve()
        return ConfigSource(path, _project_root(path), "./dbwarden.py")

    raise ConfigError(
        "no dbwarden configuration found. Looked for --config, $DBWARDEN_CONFIG, "
        '`config = "..."` under [tool.dbwarden] in pyproject.toml (searched from '
        f"{cwd} upwards) and ./dbwarden.py. Run `dbwarden init` to create one, or point at "
        "yours with `dbwarden --config path/to/database.py ...`"
    )


def load_config(source: ConfigSource) -> ModuleType:
    """Forget any configured database, then import ``source.path`` as a fresh module.

    Anything the file raises becomes a ``ConfigImportError`` naming the file.
    """
    from dbwarden.config import clear_registry, databases

    clear_registry()
    root = str(source.root)
    if not sys.path or sys.path[0] != root:
        sys.path.insert(0, root)

    spec = importlib.util.spec_from_file_location(MODULE_NAME, source.path)
    if spec is None or spec.loader is None:  # pragma: no cover - only for odd suffixes
        raise ConfigError(f"{source.path}: cannot be imported as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[MODULE_NAME] = module
    try:
        spec.loader.exec_module(module)
    except (Exception, SystemExit) as exc:
        sys.modules.pop(MODULE_NAME, None)
        raise ConfigImportError(
            f"{source.path}: importing the configuration failed: {type(exc).__name__}: {exc}",
            path=source.path,
            original=exc,
        ) from exc
    if not databases():
        raise ConfigError(
            f"{source.path} (found via {source.origin}) configures no database; call "
            'database_config(database_name="primary", default=True, database_url=...) in it'
        )
    return module


def shadowing_file(cwd: Path) -> Path | None:
    """A ``dbwarden.py`` in ``cwd``: processes started there (``uvicorn app.main:app``,
    ``python -m ...``) have ``cwd`` first on ``sys.path`` and import it instead of the
    package."""
    candidate = cwd / "dbwarden.py"
    return candidate if candidate.is_file() else None
