"""Helpers for the CLI tests (imported by conftest and the test modules)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from typer.testing import Result

Invoke = Callable[..., Result]
"""The ``cli`` fixture: ``cli("migrate", "--json", input=..., env=...)``."""


@dataclass
class Project:
    """A project directory: ``database.py`` (found through ``[tool.dbwarden]`` in
    ``pyproject.toml``) and ``migrations/<database>/``."""

    root: Path
    url: str
    databases: dict[str, str] = field(default_factory=dict)

    @property
    def migrations(self) -> Path:
        return self.root / "migrations" / "primary"

    @property
    def sqlite_file(self) -> Path | None:
        if not self.url.startswith("sqlite:///"):
            return None
        return Path(self.url.removeprefix("sqlite:///"))

    @property
    def is_postgres(self) -> bool:
        return self.url.startswith("postgresql")

    def write_config(self, **options: Any) -> None:
        """(Re)write ``database.py`` with one database per entry of ``self.databases``;
        ``options`` are extra ``database_config`` arguments for every database."""
        extra = "".join(f"    {k}={v!r},\n" for k, v in options.items())
        blocks = []
        for i, (name, url) in enumerate(self.databases.items()):
            blocks.append(
                f"{name} = database_config(\n"
                f"    database_name={name!r},\n"
                f"    default={i == 0},\n"
                f"    database_url={url!r},\n"
                f"    migrations_dir={str(self.root / 'migrations' / name)!r},\n"
                f"    base_dir={str(self.root)!r},\n"
                f"{extra})\n"
            )
        (self.root / "database.py").write_text(
            "from dbwarden import database_config\n\n" + "\n".join(blocks), encoding="utf-8"
        )

    def migration(
        self,
        name: str,
        upgrade: str,
        rollback: str | None = "SELECT 1;",
        *,
        database: str = "primary",
        header: str = "-- a test migration",
    ) -> Path:
        directory = self.root / "migrations" / database
        directory.mkdir(parents=True, exist_ok=True)
        text = f"{header}\n-- upgrade\n{upgrade}\n"
        if rollback is not None:
            text += f"\n-- rollback\n{rollback}\n"
        path = directory / name
        path.write_text(text, encoding="utf-8")
        return path

    def raw(self, name: str, content: str | bytes, *, database: str = "primary") -> Path:
        directory = self.root / "migrations" / database
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path


def make_project(root: Path, url: str, **options: Any) -> Project:
    root.mkdir(parents=True, exist_ok=True)
    project = Project(root=root, url=url, databases={"primary": url})
    (root / "pyproject.toml").write_text(
        '[project]\nname = "demo"\n\n[tool.dbwarden]\nconfig = "database.py"\n', encoding="utf-8"
    )
    project.migrations.mkdir(parents=True, exist_ok=True)
    project.write_config(**options)
    return project


def data(result: Result) -> Any:
    """The JSON document a ``--json`` command printed (stdout only)."""
    assert result.stdout.strip(), f"no JSON on stdout; stderr: {result.stderr}"
    return json.loads(result.stdout)


def flat(text: str) -> str:
    """Output with rich's panel borders and line breaks removed, for phrase matching."""
    for ch in "│╭╮╰╯─":
        text = text.replace(ch, " ")
    return " ".join(text.split())


def query(project: Project, sql: str) -> list[tuple[Any, ...]]:
    """Run ``sql`` on the project's database from outside the CLI (sqlite3 or asyncpg)."""
    file = project.sqlite_file
    if file is not None:
        import sqlite3
        from contextlib import closing

        with closing(sqlite3.connect(file)) as conn:
            return list(conn.execute(sql).fetchall())

    import asyncio

    import asyncpg

    async def run() -> list[tuple[Any, ...]]:
        conn = await asyncpg.connect(project.url)
        try:
            return [tuple(r) for r in await conn.fetch(sql)]
        finally:
            await conn.close()

    return asyncio.run(run())


def tables(project: Project) -> set[str]:
    """The tables of the project's database (none when a SQLite file does not exist)."""
    file = project.sqlite_file
    if file is not None:
        if not file.exists():
            return set()
        rows = query(project, "SELECT name FROM sqlite_master WHERE type = 'table'")
    else:
        rows = query(project, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    return {str(r[0]) for r in rows}
