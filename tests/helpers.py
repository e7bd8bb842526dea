"""Helpers shared by the integration and CLI tests: write a project, inspect a database."""

from __future__ import annotations

import importlib.util
import shutil
import sqlite3
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import anyio
import pytest

from dbwarden import DatabaseHandle, database_config


def migration(up: str, down: str | None = "", header: str = "") -> str:
    text = f"{header}-- upgrade\n{up.strip()}\n"
    if down is not None:
        text += f"\n-- rollback\n{down.strip()}\n"
    return text


def write_project(
    root: Path,
    url: str,
    files: dict[str, str],
    *,
    name: str = "primary",
    config_options: str = "",
    **options: Any,
) -> DatabaseHandle:
    """Write ``migrations/<name>/`` and a ``dbwarden.conf.py`` config under ``root``; register
    and return the handle (``options`` go to ``database_config``)."""
    mdir = root / "migrations" / name
    mdir.mkdir(parents=True, exist_ok=True)
    for filename, text in files.items():
        (mdir / filename).write_text(text, encoding="utf-8")
    extra = "".join(f", {k}={v!r}" for k, v in options.items())
    (root / "dbconfig.py").write_text(
        "from dbwarden import database_config\n"
        f"{name} = database_config({name!r}, default=True, database_url={url!r}, "
        f"base_dir={str(root)!r}{extra}{config_options})\n",
        encoding="utf-8",
    )
    return database_config(name, default=True, database_url=url, base_dir=root, **options)


async def tables(url: str) -> set[str]:
    """User tables and views in the database at ``url`` (tracking tables included)."""
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///")
        if not Path(path).exists():
            return set()

        def read() -> set[str]:
            with sqlite3.connect(path) as conn:
                rows = conn.execute(
                    "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') "
                    "AND name NOT LIKE 'sqlite_%'"
                ).fetchall()
            return {r[0] for r in rows}

        return await anyio.to_thread.run_sync(read)
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        )
    finally:
        await conn.close()
    return {r[0] for r in rows}


async def query(url: str, sql: str) -> list[tuple[Any, ...]]:
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///")

        def read() -> list[tuple[Any, ...]]:
            with sqlite3.connect(path) as conn:
                return [tuple(r) for r in conn.execute(sql).fetchall()]

        return await anyio.to_thread.run_sync(read)
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        return [tuple(r) for r in await conn.fetch(sql)]
    finally:
        await conn.close()


ROOT = Path(__file__).resolve().parents[1]
DOCS_SRC = ROOT / "docs_src"
EXAMPLE = ROOT / "migrations_example"


def _forget_app() -> None:
    for name in [n for n in sys.modules if n == "app" or n.startswith("app.")]:
        del sys.modules[name]


def example_copy(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    *,
    dirname: str,
    database: str,
    unset: Sequence[str] = (),
) -> Iterator[Path]:
    """A copy of ``migrations_example/``, importable as ``app``, on a fresh SQLite file
    (``app/database.py`` reads ``DATABASE_URL``); for a fixture to ``yield from``."""
    dest = tmp_path / dirname
    shutil.copytree(EXAMPLE, dest, ignore=shutil.ignore_patterns("*.db", "__pycache__"))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / database}")
    for name in ("ENVIRONMENT", *unset):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.syspath_prepend(str(dest))
    _forget_app()
    yield dest
    _forget_app()


def load_docs_example(name: str) -> ModuleType:
    """Import ``docs_src/<name>`` under a private module name (running its top level)."""
    path = DOCS_SRC / name
    module_name = f"_docs_src_{path.stem}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[module_name]
    return module
