"""A database's state as health checks, ``/status`` and metrics read it, in bounded time.

``probe()`` reads history, the lock holder and the seeds' history through the
application's own cached engine (``dbwarden.engine``): a health check then borrows a pooled
connection instead of opening one, which is what keeps ``/health`` at a few milliseconds
(a fresh asyncpg connection costs more than the whole check). Parsed migration files are
cached per directory and re-parsed only when a file's size or mtime changes.

Everything a probe returns is safe to show to anyone: ``error`` is a fixed, generic phrase;
the real exception, which can carry a host name or a driver message, goes to the log only.
SQLAlchemy is imported on first use, never with this module.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import anyio

from .config import DatabaseHandle, ResolvedURL
from .discover import load_directory
from .errors import ConfigError, DatabaseUnavailableError, MigrationFileError
from .model import MigrationFile, Status
from .runner import Runner
from .sql import Dialect

__all__ = ["DEFAULT_TIMEOUT", "Probe", "cached_files", "probe", "probe_many"]

DEFAULT_TIMEOUT = 2.0

logger = logging.getLogger("dbwarden.probe")


@dataclass(frozen=True, slots=True)
class Probe:
    """One database, as seen by one probe.

    ``health`` is ``ok``, ``ahead`` (the database has versions newer than this code: a
    rolling deploy; still ready), ``pending``, ``error`` (checksum mismatch, missing file,
    invalid files) or ``down`` (unreachable or timed out). ``error`` is generic and safe to
    publish.
    """

    database: str
    connected: bool
    status: Status | None = None
    error: str | None = None
    duration_s: float = 0.0

    @property
    def health(self) -> str:
        if not self.connected:
            return "down"
        if self.status is None or self.error is not None or self.status.errors:
            return "error"
        if self.status.state == "ahead":
            return "ahead"
        if self.status.pending:
            return "pending"
        return "ok"

    @property
    def ready(self) -> bool:
        """Fit to serve traffic: reachable, nothing pending, no file/history disagreement."""
        return self.health in ("ok", "ahead")

    @property
    def pending_migrations(self) -> int:
        return len(self.status.pending) if self.status is not None else 0

    @property
    def lock_active(self) -> bool:
        """Whether a migration lock is held now (an expired lock row does not count)."""
        holder = self.status.lock_holder if self.status is not None else None
        if holder is None:
            return False
        return holder.expires_at is None or holder.expires_at > datetime.now(UTC)


# --- parsed files, cached by directory signature --------------------------------------------

_Signature = tuple[tuple[str, int, int], ...]
_files: dict[tuple[Path, str, str | None], tuple[_Signature, tuple[MigrationFile, ...]]] = {}


def _signature(directory: Path) -> _Signature:
    try:
        with os.scandir(directory) as entries:
            stats = [(e.name, e.stat()) for e in entries if e.name.endswith(".sql")]
    except (FileNotFoundError, NotADirectoryError):
        return ()
    return tuple(sorted((name, st.st_mtime_ns, st.st_size) for name, st in stats))


def cached_files(
    directory: Path, *, dialect: Dialect, database: str | None, must_exist: bool = True
) -> tuple[MigrationFile, ...]:
    """``load_directory`` that re-parses only when a ``.sql`` file was added, removed or
    changed (by name, size or mtime): a stat per file instead of a parse per probe."""
    key = (directory, dialect, database)
    signature = _signature(directory)
    hit = _files.get(key)
    if hit is not None and hit[0] == signature and signature:
        return hit[1]
    files = load_directory(directory, dialect=dialect, database=database, must_exist=must_exist)
    _files[key] = (signature, files)
    return files


class _ProbeRunner(Runner):
    """A runner whose file loading is cached; only ever used to read status."""

    def load_files(self) -> tuple[MigrationFile, ...]:
        return cached_files(
            self.handle.migrations_dir,
            dialect=self.handle.dialect(dev=self.dev),
            database=self.handle.name,
        )

    def load_seeds(self) -> tuple[MigrationFile, ...]:
        return cached_files(
            self.handle.seeds_dir,
            dialect=self.handle.dialect(dev=self.dev),
            database=self.handle.name,
            must_exist=False,
        )


# --- probing ---------------------------------------------------------------------------------


async def probe(
    handle: DatabaseHandle,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    dev: bool | None = None,
) -> Probe:
    """Read ``handle``'s status (seeds included) within ``timeout`` seconds. Never raises for
    a database problem: an unreachable, slow or inconsistent database is a ``Probe`` that
    says so."""
    started = time.monotonic()
    connected = False
    try:
        url = handle.resolve(dev=dev)
        with anyio.fail_after(timeout):
            if _sqlite_file_missing(url):
                # Like ``dbwarden status``: a SQLite file that does not exist yet is an
                # empty database, and a health check must not create it.
                connected = True
                status = await _ProbeRunner(handle, dev=dev).status()
            else:
                from .engine import get_engine

                async with get_engine(url.async_url).connect() as conn:
                    connected = True
                    # One transaction around every read: the adapter would otherwise
                    # commit after each query (two more round trips apiece).
                    async with conn.begin():
                        status = await _ProbeRunner(handle, connection=conn, dev=dev).status()
    except TimeoutError:
        _log(handle, "timed out", None)
        return Probe(
            handle.name, False, error=f"timed out after {timeout:g}s", duration_s=_since(started)
        )
    except MigrationFileError as exc:
        _log(handle, "has invalid migration files", exc)
        return Probe(handle.name, True, error="invalid migration files", duration_s=_since(started))
    except ConfigError as exc:
        _log(handle, "is misconfigured", exc)
        return Probe(
            handle.name, connected, error="configuration error", duration_s=_since(started)
        )
    except Exception as exc:
        if connected:
            _log(handle, "could not be read", exc)
            return Probe(handle.name, True, error="query failed", duration_s=_since(started))
        _log(handle, "is unreachable", exc)
        return Probe(handle.name, False, error="cannot connect", duration_s=_since(started))
    return Probe(
        handle.name,
        True,
        status=status,
        error=_describe_errors(status),
        duration_s=_since(started),
    )


async def probe_many(
    handles: Sequence[DatabaseHandle],
    *,
    timeout: float = DEFAULT_TIMEOUT,
    dev: bool | None = None,
) -> list[Probe]:
    """Probe every handle at once: the whole call is bounded by ``timeout``, not by the
    number of databases times it. Results come back in ``handles``' order."""
    if len(handles) == 1:
        return [await probe(handles[0], timeout=timeout, dev=dev)]
    results: list[Probe | None] = [None] * len(handles)

    async def one(index: int, handle: DatabaseHandle) -> None:
        results[index] = await probe(handle, timeout=timeout, dev=dev)

    async with anyio.create_task_group() as tg:
        for index, handle in enumerate(handles):
            tg.start_soon(one, index, handle)
    return [r for r in results if r is not None]


def _sqlite_file_missing(url: ResolvedURL) -> bool:
    """Whether ``url`` names a SQLite file that does not exist yet (two stats, no wait)."""
    if url.driver != "aiosqlite" or url.dsn == ":memory:" or os.path.exists(url.dsn):
        return False
    if not os.path.isdir(os.path.dirname(url.dsn)):
        raise DatabaseUnavailableError("the SQLite file's directory does not exist")
    return True


def _describe_errors(status: Status) -> str | None:
    parts: list[str] = []
    if status.mismatches:
        parts.append(f"checksum mismatch in {len(status.mismatches)} applied migration(s)")
    if status.missing:
        parts.append(f"{len(status.missing)} applied migration(s) have no file")
    return "; ".join(parts) or None


def _log(handle: DatabaseHandle, what: str, exc: BaseException | None) -> None:
    # The log may name the (redacted) URL and the driver's message; responses never do.
    logger.warning(
        "database %r (%s) %s%s",
        handle.name,
        handle.redacted_url,
        what,
        f": {type(exc).__name__}: {exc}" if exc is not None else "",
    )


def _since(t0: float) -> float:
    return time.monotonic() - t0
