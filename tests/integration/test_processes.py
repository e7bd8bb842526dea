"""Whole `dbwarden migrate` processes racing on one database, and one killed mid-run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import anyio
import pytest

from helpers import migration, query, tables, write_project

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


def cli(root: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "dbwarden", "--config", str(root / "dbconfig.py"), *args]


async def test_four_processes_apply_every_migration_exactly_once(
    tmp_path: Path, database_url: str
) -> None:
    files = {
        f"{i:04d}_t{i}.sql": migration(
            f"CREATE TABLE t{i} (id integer PRIMARY KEY, v text);\n"
            f"INSERT INTO t{i} (id, v) VALUES (1, 'x');",
            f"DROP TABLE t{i};",
        )
        for i in range(1, 31)
    }
    write_project(tmp_path, database_url, files, lock_timeout=60)
    procs = [
        subprocess.Popen(
            cli(tmp_path, "migrate"),
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(4)
    ]
    outputs = [p.communicate(timeout=90)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], outputs
    rows = await query(
        database_url, "SELECT version, count(*) FROM dbwarden_migrations GROUP BY version"
    )
    assert len(rows) == 30 and {count for _, count in rows} == {1}
    for i in range(1, 31):
        assert await query(database_url, f"SELECT count(*) FROM t{i}") == [(1,)]


async def test_sigkilled_cli_does_not_block_the_next_run(tmp_path: Path, database_url: str) -> None:
    is_pg = database_url.startswith("postgresql")
    slow = (
        "SELECT pg_sleep(60);"
        if is_pg
        else "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 200000000) "
        "SELECT count(*) FROM c;"
    )
    files = {
        "0001_a.sql": migration("CREATE TABLE a (id integer);", "DROP TABLE a;"),
        "0002_slow.sql": migration(f"CREATE TABLE half (id integer);\n{slow}", "DROP TABLE half;"),
    }
    ttl = 2.0
    write_project(tmp_path, database_url, files, lock_ttl=ttl, lock_timeout=30)
    proc = subprocess.Popen(
        cli(tmp_path, "migrate"), cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            await anyio.sleep(0.1)
            if "dbwarden_migrations" in await tables(database_url):
                rows = await query(database_url, "SELECT name FROM dbwarden_migrations")
                if rows == [("0001_a",)]:
                    break
            assert proc.poll() is None and time.monotonic() < deadline
        await anyio.sleep(0.3)  # now inside 0002
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()

    (tmp_path / "migrations" / "primary" / "0002_slow.sql").write_text(
        migration("CREATE TABLE half (id integer);", "DROP TABLE half;")
    )
    assert "half" not in await tables(database_url)
    started = time.monotonic()
    done = subprocess.run(
        cli(tmp_path, "migrate"), cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    waited = time.monotonic() - started
    assert done.returncode == 0, done.stdout + done.stderr
    assert waited < (5.0 if is_pg else ttl + 6.0)
    assert await query(database_url, "SELECT name FROM dbwarden_migrations ORDER BY name") == [
        ("0001_a",),
        ("0002_slow",),
    ]
    assert "half" in await tables(database_url)
