"""``database_config(...)``, the registry of databases and URL resolution.

One call describes a database once; the CLI, the runner, the app's sessions and the health
checks all read the same ``DatabaseHandle``. Nothing here does I/O.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from .errors import ConfigError
from .sql import Dialect

if TYPE_CHECKING:
    from .runner import Runner

__all__ = [
    "DatabaseHandle",
    "URLError",
    "clear_registry",
    "database_config",
    "databases",
    "get_database",
    "redact_url",
    "to_async_url",
]

Driver = Literal["asyncpg", "aiosqlite", "sqlalchemy"]

DEFAULT_LOCK_TIMEOUT = 60.0
DEFAULT_LOCK_TTL = 30.0
DEFAULT_CONNECT_TIMEOUT = 10.0
DEV_ENVIRONMENTS = frozenset({"development", "dev"})

_SUPPORTED = (
    "postgresql:// (asyncpg), sqlite:/// (aiosqlite), or any SQLAlchemy URL with an explicit "
    "async driver such as mysql+aiomysql://"
)


class URLError(ConfigError, ValueError):
    """A database URL dbwarden cannot use; the message lists what is supported."""


@dataclass(frozen=True, slots=True)
class ResolvedURL:
    """A URL ready to connect: the async SQLAlchemy form, the raw-driver DSN and dialect."""

    async_url: str
    driver: Driver
    dialect: Dialect
    dsn: str  # asyncpg DSN, sqlite file path, or the SQLAlchemy URL for other drivers

    @property
    def redacted(self) -> str:
        return redact_url(self.async_url)


def redact_url(url: str) -> str:
    """The URL with its password replaced by ``***``; safe to print and log."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return re.sub(r"//[^@/]*@", "//***@", url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{quote(unquote(user), safe='')}:***@{host}"
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is not None:
        netloc += f":{port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def _scheme(url: str) -> tuple[str, str | None]:
    head, sep, _ = url.partition("://")
    if not sep:
        raise URLError(f"{redact_url(url)!r} is not a database URL; use {_SUPPORTED}")
    backend, _, driver = head.partition("+")
    return backend.lower(), (driver.lower() or None)


def to_async_url(url: str) -> str:
    """``postgresql://`` → ``postgresql+asyncpg://``, ``sqlite:///`` → ``sqlite+aiosqlite:///``;
    an explicit driver is kept; anything else is a ``URLError`` (a ``ValueError``)."""
    backend, driver = _scheme(url)
    rest = url.partition("://")[2]
    if backend in ("postgresql", "postgres"):
        return f"postgresql+{driver or 'asyncpg'}://{rest}"
    if backend == "sqlite":
        return f"sqlite+{driver or 'aiosqlite'}://{rest}"
    if driver is None:
        raise URLError(
            f"no async driver for {backend}:// URLs ({redact_url(url)}); use {_SUPPORTED}"
        )
    return url


def resolve_url(url: str, base_dir: Path) -> ResolvedURL:
    """Resolve a sync or async URL to what the engine layer and the raw drivers use.

    A relative SQLite path is made absolute against ``base_dir`` (the project root), so the
    CLI and the app find the same file whatever their working directory.
    """
    async_url = to_async_url(url)
    backend, driver = _scheme(async_url)
    if backend == "sqlite":
        rest = async_url.partition("://")[2]
        path, q, query = rest.partition("?")
        if path in ("", "/", "/:memory:"):
            file = ":memory:"
        else:
            if not path.startswith("/"):
                raise URLError(
                    f"{url!r}: SQLite URLs look like sqlite:///relative.db or sqlite:////abs.db"
                )
            file = path[1:]
            if not os.path.isabs(file):
                file = str((base_dir / file).resolve())
            async_url = f"sqlite+{driver}:///{file}" + (f"?{query}" if q else "")
        if driver == "aiosqlite" and not query:
            return ResolvedURL(async_url, "aiosqlite", "sqlite", file)
        return ResolvedURL(async_url, "sqlalchemy", "sqlite", async_url)
    if backend == "postgresql":
        if driver == "asyncpg":
            dsn = "postgresql://" + async_url.partition("://")[2]
            return ResolvedURL(async_url, "asyncpg", "postgresql", dsn)
        return ResolvedURL(async_url, "sqlalchemy", "postgresql", async_url)
    return ResolvedURL(async_url, "sqlalchemy", "generic", async_url)


@dataclass(eq=False)
class DatabaseHandle:
    """One configured database. Made by ``database_config``; read by everything else."""

    name: str
    url: str
    async_url_override: str | None
    dev_url: str | None
    migrations_dir: Path
    seeds_dir: Path
    model_paths: tuple[str, ...]
    base_dir: Path
    default: bool = False
    schema: str | None = None
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT
    lock_ttl: float = DEFAULT_LOCK_TTL
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    allow_out_of_order: bool = False
    redis_url: str | None = None
    redis_key: str | None = None
    redis_ttl: float = DEFAULT_LOCK_TTL
    dev: bool | None = None
    environ: Mapping[str, str] | None = field(default=None, repr=False)

    def resolve_redis_url(self, override: str | None = None) -> str | None:
        """The Redis lock URL: an explicit one, then the handle's, then DBWARDEN_REDIS_URL."""
        if override:
            return override
        if self.redis_url:
            return self.redis_url
        env = self.environ if self.environ is not None else os.environ
        return env.get("DBWARDEN_REDIS_URL") or None

    def is_dev(self, dev: bool | None = None) -> bool:
        """Dev mode: an explicit ``dev`` wins, then the handle's own, then ENVIRONMENT."""
        if dev is not None:
            return dev
        if self.dev is not None:
            return self.dev
        env = self.environ if self.environ is not None else os.environ
        return env.get("ENVIRONMENT", "").strip().lower() in DEV_ENVIRONMENTS

    def environment(self) -> str | None:
        """The deployment environment (``ENVIRONMENT``, lower-cased), ``None`` when unset."""
        env = self.environ if self.environ is not None else os.environ
        value = env.get("ENVIRONMENT", "").strip().lower()
        return value or None

    def sync_url(self, *, dev: bool | None = None) -> str:
        if self.is_dev(dev):
            if self.dev_url is None:
                raise ConfigError(
                    f"database {self.name!r} is in dev mode (ENVIRONMENT=development or --dev) "
                    "but has no dev_database_url; set one in database_config"
                )
            return self.dev_url
        return self.url

    def resolve(self, *, dev: bool | None = None) -> ResolvedURL:
        if self.async_url_override is not None and not self.is_dev(dev):
            return resolve_url(self.async_url_override, self.base_dir)
        return resolve_url(self.sync_url(dev=dev), self.base_dir)

    def async_url(self, *, dev: bool | None = None) -> str:
        return self.resolve(dev=dev).async_url

    def dialect(self, *, dev: bool | None = None) -> Dialect:
        return self.resolve(dev=dev).dialect

    @property
    def redacted_url(self) -> str:
        return redact_url(self.url)

    @cached_property
    def runner(self) -> Runner:
        """A ``Runner`` bound to this database."""
        from .runner import Runner

        return Runner(self)

    @cached_property
    def async_session(self) -> Any:  # a typing special form: Annotated[AsyncSession, Depends]
        """``Annotated[AsyncSession, Depends(...)]`` for FastAPI routes: one session per
        request from this database (``pip install "dbwarden[fastapi]"``). FastAPI is imported
        here, on first use, so that ``import dbwarden`` never loads it."""
        from .fastapi.deps import session_annotation

        return session_annotation(self)

    def __repr__(self) -> str:
        return f"<DatabaseHandle {self.name!r} {self.redacted_url}>"


_registry: dict[str, DatabaseHandle] = {}


def _caller_base_dir(depth: int) -> Path:
    """The project root of the module calling ``database_config``: the nearest ancestor of
    its file holding a ``pyproject.toml``, else the file's directory, else the cwd."""
    try:
        frame = sys._getframe(depth)
    except ValueError:  # pragma: no cover
        return Path.cwd()
    file = frame.f_globals.get("__file__")
    if not file:
        return Path.cwd()
    here = Path(file).resolve().parent
    for candidate in (here, *here.parents):
        if (candidate / "pyproject.toml").is_file():
            return candidate
    return here


def database_config(
    database_name: str = "primary",
    *,
    default: bool = False,
    database_url: str | None = None,
    database_url_sync: str | None = None,
    database_url_async: str | None = None,
    dev_database_url: str | None = None,
    migrations_dir: str | os.PathLike[str] | None = None,
    seeds_dir: str | os.PathLike[str] | None = None,
    model_paths: Iterable[str] = (),
    schema: str | None = None,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    lock_ttl: float = DEFAULT_LOCK_TTL,
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
    allow_out_of_order: bool = False,
    redis_url: str | None = None,
    redis_key: str | None = None,
    redis_ttl: float = DEFAULT_LOCK_TTL,
    dev: bool | None = None,
    base_dir: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> DatabaseHandle:
    """Describe a database and register it under ``database_name``.

    Relative directories and SQLite paths resolve against ``base_dir``, by default the
    project root of the calling module (the nearest directory with a ``pyproject.toml``).
    Registering a name again replaces the earlier handle (a config module imported twice).
    """
    if not re.fullmatch(r"[A-Za-z0-9_]+", database_name or ""):
        raise ConfigError(
            f"database_name {database_name!r}: use letters, digits and _ (it names directories)"
        )
    if (
        database_url is not None
        and database_url_sync is not None
        and (database_url != database_url_sync)
    ):
        raise ConfigError(
            f"database {database_name!r}: database_url and its alias database_url_sync "
            "disagree; set only one"
        )
    url = database_url or database_url_sync
    if url is None:
        if database_url_async is None:
            raise ConfigError(f"database {database_name!r} has no URL; pass database_url=...")
        url = database_url_async
    for value, what in (
        (lock_timeout, "lock_timeout"),
        (lock_ttl, "lock_ttl"),
        (redis_ttl, "redis_ttl"),
    ):
        if value <= 0:
            raise ConfigError(f"database {database_name!r}: {what} must be positive")
    base = Path(base_dir).resolve() if base_dir is not None else _caller_base_dir(2)

    handle = DatabaseHandle(
        name=database_name,
        url=url,
        async_url_override=database_url_async,
        dev_url=dev_database_url,
        migrations_dir=_dir(base, migrations_dir, f"migrations/{database_name}"),
        seeds_dir=_dir(base, seeds_dir, f"seeds/{database_name}"),
        model_paths=tuple(model_paths),
        base_dir=base,
        default=default,
        schema=schema,
        lock_timeout=lock_timeout,
        lock_ttl=lock_ttl,
        connect_timeout=connect_timeout,
        allow_out_of_order=allow_out_of_order,
        redis_url=redis_url,
        redis_key=redis_key,
        redis_ttl=redis_ttl,
        dev=dev,
        environ=environ,
    )
    handle.resolve(dev=False)  # a bad URL fails here, where it is written
    if dev_database_url is not None:
        resolve_url(dev_database_url, base)
    if default:
        for other in _registry.values():
            if other.default and other.name != database_name:
                raise ConfigError(
                    f"databases {other.name!r} and {database_name!r} are both default=True; "
                    "mark only one"
                )
    _registry[database_name] = handle
    return handle


def _dir(base: Path, value: str | os.PathLike[str] | None, fallback: str) -> Path:
    path = Path(value) if value is not None else Path(fallback)
    return path if path.is_absolute() else base / path


def databases() -> tuple[DatabaseHandle, ...]:
    """Every configured database, the default first, then in configuration order."""
    handles = list(_registry.values())
    handles.sort(key=lambda h: not h.default)
    return tuple(handles)


def get_database(name: str | None = None) -> DatabaseHandle:
    """The database called ``name``, or the default one (the one marked ``default=True``,
    else the only one, else the first configured)."""
    if not _registry:
        raise ConfigError(
            "no database is configured; call database_config(...) in your config module "
            "(`dbwarden init` writes one)"
        )
    if name is None:
        return databases()[0]
    try:
        return _registry[name]
    except KeyError:
        raise ConfigError(
            f"unknown database {name!r}; configured: {', '.join(sorted(_registry))}"
        ) from None


def clear_registry() -> None:
    """Forget every configured database (tests, and the CLI before loading a config)."""
    _registry.clear()
