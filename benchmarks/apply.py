"""Benchmark: apply N generated migrations with dbwarden and with the bare drivers.

    .venv/bin/python benchmarks/apply.py                      # n=1000, sqlite+postgresql, 3 repeats
    .venv/bin/python benchmarks/apply.py --quick --backends sqlite

Measures, per backend, interleaving dbwarden and its baseline (A/B, then B/A):

- full apply, in process: ``await runner.upgrade()`` vs the bare-driver apply of
  ``_common.py`` (one connection, each file in its own transaction plus a history INSERT).
  The target ratio (<= 1.1x) is judged on this pair;
- full apply, whole process: ``dbwarden --config CFG migrate`` vs ``python _common.py
  apply`` (reported, no target);
- no-op migrate, whole process, everything applied: ``dbwarden migrate`` vs ``python
  _common.py noop`` (read the history, read and hash the files, compare); targets <= 1.3x
  and < 0.25 s;

and once: ``dbwarden --help`` vs ``python -c pass`` (target < 0.15 s).

Prints a table and writes JSON with every raw timing. Never asserts a timing. Every
database and file it creates is removed on exit, also on Ctrl-C or SIGTERM. See README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import platform
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from types import FrameType
from urllib.parse import urlsplit, urlunsplit

import _common  # benchmarks/ is sys.path[0] when this file runs as a script

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEFAULT_JSON = HERE / "results" / "apply.json"
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
BACKENDS = ("sqlite", "postgresql")

APPLY_RATIO = 1.10
NOOP_RATIO = 1.30
NOOP_SECONDS = 0.25
HELP_SECONDS = 0.15

# Nothing here may hang: every child process and every in-process run is bounded.
RUN_TIMEOUT = 900.0
SHORT_TIMEOUT = 60.0
CONNECT_TIMEOUT = 10.0

CONFIG_TEMPLATE = '''\
"""dbwarden benchmark configuration (generated)."""

import os

from dbwarden import database_config

database_config(
    "bench",
    default=True,
    database_url=os.environ["DBWARDEN_BENCH_URL"],
    migrations_dir=os.environ.get("DBWARDEN_BENCH_MIGRATIONS", {migrations!r}),
    base_dir={base!r},
)
'''

REFERENCES = {
    "python -c pass": "pass",
    "import asyncpg": "import asyncpg",
    "import aiosqlite": "import aiosqlite",
    "import anyio": "import anyio",
    "import dbwarden": "import dbwarden",
    "import dbwarden.cli.app": "import dbwarden.cli.app",
}


class BenchError(RuntimeError):
    """A measured run did not do its work (non-zero exit, wrong row count)."""


# --- generation -----------------------------------------------------------------------------


def generate(directory: Path, n: int) -> dict[str, int]:
    """Write ``n`` migrations, a realistic portable mix, each with upgrade and rollback.

    Files go in groups of four per table ``t_k``: create it; add columns (to it and to an
    older table); create indexes; insert rows (strings holding ``;`` and ``''`` so the
    splitter has real work). Returns how many files of each kind were written.
    """
    directory.mkdir(parents=True, exist_ok=True)
    width = max(4, len(str(n)))
    kinds = {"create_table": 0, "add_columns": 0, "create_indexes": 0, "insert_rows": 0}
    for i in range(1, n + 1):
        k, phase = (i - 1) // 4 + 1, (i - 1) % 4
        t = f"t_{k}"
        if phase == 0:
            slug = f"create_{t}"
            kinds["create_table"] += 1
            up = (
                f"CREATE TABLE {t} (\n"
                "    id INTEGER PRIMARY KEY,\n"
                "    name VARCHAR(100) NOT NULL,\n"
                "    note TEXT,\n"
                "    amount NUMERIC(12, 2) DEFAULT 0,\n"
                "    created_at TIMESTAMP\n"
                ");\n"
            )
            down = f"DROP TABLE {t};\n"
        elif phase == 1:
            slug = f"add_columns_{t}"
            kinds["add_columns"] += 1
            up = (
                f"ALTER TABLE {t} ADD COLUMN status VARCHAR(20) DEFAULT 'new' NOT NULL;\n"
                f"ALTER TABLE {t} ADD COLUMN ext_id INTEGER;\n"
            )
            down = f"ALTER TABLE {t} DROP COLUMN ext_id;\nALTER TABLE {t} DROP COLUMN status;\n"
            if k > 1:
                up += f"-- an older table gets a column too\nALTER TABLE t_{k - 1} ADD COLUMN c_{i} TEXT;\n"
                down = f"ALTER TABLE t_{k - 1} DROP COLUMN c_{i};\n" + down
        elif phase == 2:
            slug = f"index_{t}"
            kinds["create_indexes"] += 1
            up = (
                f"CREATE INDEX ix_{t}_name ON {t} (name);\n"
                f"CREATE UNIQUE INDEX ux_{t}_ext_id ON {t} (ext_id);\n"
            )
            down = f"DROP INDEX ux_{t}_ext_id;\nDROP INDEX ix_{t}_name;\n"
        else:
            slug = f"seed_{t}"
            kinds["insert_rows"] += 1
            up = (
                f"INSERT INTO {t} (id, name, note, amount, created_at, status, ext_id) VALUES\n"
                f"    (1, 'first {k}', 'plain', 10.50, '2024-01-01 00:00:00', 'new', {k * 10 + 1}),\n"
                f"    (2, 'second {k}', 'semi; colon', 0, '2024-01-02 12:30:00', 'done', {k * 10 + 2}),\n"
                f"    (3, 'it''s {k}', '/* not a comment */ -- nor this', 99.99, NULL, 'new', NULL);\n"
                f"INSERT INTO {t} (id, name) VALUES (4, 'fourth {k}');\n"
            )
            down = f"DELETE FROM {t} WHERE id IN (1, 2, 3, 4);\n"
        text = (
            f"-- Migration {i}: {slug.replace('_', ' ')}.\n"
            "-- Generated by benchmarks/apply.py.\n"
            "\n"
            "-- upgrade\n"
            f"{up}"
            "\n"
            "-- rollback\n"
            f"{down}"
        )
        (directory / f"{i:0{width}d}_{slug}.sql").write_text(text, encoding="utf-8")
    return kinds


# --- statistics and rows ----------------------------------------------------------------------


def summary(runs: Sequence[float]) -> dict[str, object]:
    return {
        "median": statistics.median(runs),
        "min": min(runs),
        "runs": [round(r, 6) for r in runs],
    }


@dataclass
class Row:
    backend: str
    key: str
    measure: str
    baseline_label: str
    target_ratio: float | None = None
    target_seconds: float | None = None
    note: str = ""
    dbwarden: list[float] = field(default_factory=list)
    baseline: list[float] = field(default_factory=list)

    @property
    def ratio(self) -> float | None:
        if not self.dbwarden or not self.baseline:
            return None
        return statistics.median(self.dbwarden) / statistics.median(self.baseline)

    @property
    def target(self) -> str:
        parts = []
        if self.target_ratio is not None:
            parts.append(f"<= {self.target_ratio:.2f}x")
        if self.target_seconds is not None:
            parts.append(f"< {self.target_seconds:g} s")
        return " and ".join(parts) or "(info)"

    @property
    def ok(self) -> bool | None:
        if self.target_ratio is None and self.target_seconds is None:
            return None
        if not self.dbwarden:
            return None
        ok = True
        if self.target_ratio is not None:
            ok = ok and self.ratio is not None and self.ratio <= self.target_ratio
        if self.target_seconds is not None:
            ok = ok and statistics.median(self.dbwarden) < self.target_seconds
        return ok

    def to_json(self) -> dict[str, object]:
        ratio_min = (
            min(self.dbwarden) / min(self.baseline) if self.dbwarden and self.baseline else None
        )
        return {
            "backend": self.backend,
            "key": self.key,
            "measure": self.measure,
            "dbwarden": summary(self.dbwarden) if self.dbwarden else None,
            "baseline": {"label": self.baseline_label, **summary(self.baseline)}
            if self.baseline
            else {"label": self.baseline_label},
            "ratio": self.ratio,
            "ratio_of_min": ratio_min,
            "target": {
                "ratio": self.target_ratio,
                "seconds": self.target_seconds,
                "text": self.target,
            },
            "ok": self.ok,
            "note": self.note,
        }


def _load(value: object) -> str:
    if isinstance(value, tuple | list) and value:
        return f"{value[0]:.2f}"
    return "?"


def _cell(runs: Sequence[float]) -> str:
    if not runs:
        return "-"
    return f"{statistics.median(runs):.3f} (min {min(runs):.3f})"


def render_table(rows: Sequence[Row]) -> str:
    header = ("backend", "measure", "dbwarden (s)", "baseline (s)", "ratio", "target", "ok?")
    body = []
    for r in rows:
        ok = {True: "yes", False: "NO", None: "-"}[r.ok]
        ratio = f"{r.ratio:.2f}x" if r.ratio is not None else "-"
        body.append(
            (r.backend, r.measure, _cell(r.dbwarden), _cell(r.baseline), ratio, r.target, ok)
        )
    widths = [max(len(line[i]) for line in (header, *body)) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(header, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(b, widths, strict=True)).rstrip() for b in body]
    return "\n".join(lines)


# --- machine --------------------------------------------------------------------------------


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def _cpu_model() -> str | None:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or None


def _mem_total() -> str | None:
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return line.split(":", 1)[1].strip()
    return None


def filesystem(path: Path) -> str | None:
    """``fstype (device) at mountpoint`` of the mount holding ``path``, from /proc/mounts."""
    best: tuple[str, str, str] | None = None
    target = str(path.resolve())
    with contextlib.suppress(OSError):
        for line in Path("/proc/mounts").read_text().splitlines():
            device, mount, fstype = line.split()[:3]
            inside = target == mount or target.startswith(mount.rstrip("/") + "/")
            if inside and (best is None or len(mount) > len(best[1])):
                best = (device, mount, fstype)
    return f"{best[2]} ({best[0]}) at {best[1]}" if best else None


def _git() -> dict[str, object]:
    def run(*cmd: str) -> str | None:
        try:
            out = subprocess.run(
                ["git", *cmd], cwd=REPO, capture_output=True, text=True, timeout=10, check=True
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return out.stdout.strip()

    status = run("status", "--porcelain")
    return {
        "commit": run("rev-parse", "HEAD"),
        "dirty": bool(status) if status is not None else None,
    }


def machine_info() -> dict[str, object]:
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return {
        "nproc": os.cpu_count(),
        "usable_cpus": affinity,
        "cpu": _cpu_model(),
        "memory": _mem_total(),
        "platform": platform.platform(),
        "python": sys.version,
        "python_executable": sys.executable,
        "loadavg_start": os.getloadavg() if hasattr(os, "getloadavg") else None,
        "packages": {
            name: _version(name)
            for name in ("dbwarden", "asyncpg", "aiosqlite", "anyio", "typer", "click", "rich")
        },
        "sqlite_library": sqlite3.sqlite_version,
        "git": _git(),
    }


# --- databases ------------------------------------------------------------------------------


def _pg_url(admin: str, database: str) -> str:
    parts = urlsplit(admin)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, parts.fragment))


async def _pg_admin(admin: str, *statements: str) -> list[object]:
    import asyncpg

    conn = await asyncpg.connect(admin, timeout=CONNECT_TIMEOUT)
    try:
        return [await conn.fetchval(s) for s in statements]
    finally:
        await conn.close()


async def _count_rows(backend: str, dsn: str, table: str) -> int:
    query = f"SELECT count(*) FROM {table}"
    if backend == "postgresql":
        import asyncpg

        conn = await asyncpg.connect(dsn, timeout=CONNECT_TIMEOUT)
        try:
            return int(await conn.fetchval(query))
        finally:
            await conn.close()
    import aiosqlite

    async with aiosqlite.connect(dsn) as conn:
        rows = list(await conn.execute_fetchall(query))
    return int(rows[0][0])


@dataclass
class Target:
    """One fresh, empty database: the URL dbwarden is configured with and the DSN the
    bare driver takes."""

    backend: str
    url: str
    dsn: str
    name: str


class Bench:
    """Owns the temp directory and every database created; ``close()`` removes them all."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.n: int = args.n
        # SQLite files: in the work directory, or a private directory under --sqlite-dir.
        chosen = (
            Path(tempfile.mkdtemp(prefix="dbwarden-bench-", dir=args.sqlite_dir))
            if args.sqlite_dir is not None
            else None
        )
        self.tmp = Path(tempfile.mkdtemp(prefix="dbwarden-bench-"))
        self.sqlite_dir = chosen or self.tmp
        self.migrations = self.tmp / "migrations"
        self.config = self.tmp / "bench_config.py"
        self.pg_databases: set[str] = set()
        self.seq = 0
        self.dbwarden_exe = _find_dbwarden()
        # Child processes get a private byte-code cache (filled by ``warm_up``), so that they
        # start like an installed package even where PYTHONDONTWRITEBYTECODE is set (as in
        # some containers: then every start would compile dbwarden from source).
        self.child_env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        self.child_env["PYTHONPYCACHEPREFIX"] = str(self.tmp / "pycache")

    # -- lifecycle

    def close(self) -> None:
        leftover = sorted(self.pg_databases)
        if leftover:
            try:
                asyncio.run(self._drop_all(leftover))
            except Exception as exc:  # report, never hide, what was left behind
                print(
                    f"warning: could not drop PostgreSQL databases {', '.join(leftover)}: {exc}",
                    file=sys.stderr,
                )
        shutil.rmtree(self.tmp, ignore_errors=True)
        shutil.rmtree(self.sqlite_dir, ignore_errors=True)

    async def _drop_all(self, names: Sequence[str]) -> None:
        for name in names:
            await _pg_admin(self.args.pg_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            self.pg_databases.discard(name)

    def prepare(self) -> dict[str, int]:
        kinds = generate(self.migrations, self.n)
        self.config.write_text(
            CONFIG_TEMPLATE.format(migrations=str(self.migrations), base=str(self.tmp)),
            encoding="utf-8",
        )
        # Import everything the in-process runs use, so that neither side pays an import
        # inside its timed region.
        import aiosqlite  # noqa: F401
        import anyio  # noqa: F401
        import asyncpg  # noqa: F401

        import dbwarden.drivers.postgres
        import dbwarden.drivers.sqlite
        import dbwarden.locks.database
        import dbwarden.runner  # noqa: F401

        return kinds

    # -- databases

    def fresh(self, backend: str) -> Target:
        self.seq += 1
        if backend == "sqlite":
            path = self.sqlite_dir / f"run{self.seq}.db"
            return Target(backend, f"sqlite:///{path}", str(path), str(path))
        name = f"dbwarden_bench_{os.getpid()}_{self.seq}"
        self.pg_databases.add(name)  # before creating: a Ctrl-C in between still drops it
        asyncio.run(_pg_admin(self.args.pg_url, f'CREATE DATABASE "{name}"'))
        url = _pg_url(self.args.pg_url, name)
        return Target(backend, url, url, name)

    def discard(self, target: Target) -> None:
        if target.backend == "sqlite":
            for suffix in ("", "-journal", "-wal", "-shm"):
                Path(target.dsn + suffix).unlink(missing_ok=True)
        else:
            asyncio.run(self._drop_all([target.name]))

    def check_count(self, target: Target, table: str, what: str) -> None:
        count = asyncio.run(_count_rows(target.backend, target.dsn, table))
        if count != self.n:
            raise BenchError(f"{what}: {table} has {count} rows, expected {self.n}")

    # -- measured runs

    def dbwarden_inprocess(self, target: Target) -> tuple[float, float]:
        """``(wall, cpu)`` seconds of ``await runner.upgrade()`` on ``target``."""
        import anyio

        from dbwarden.config import clear_registry, database_config

        handle = database_config(
            "bench", database_url=target.url, migrations_dir=self.migrations, base_dir=self.tmp
        )

        async def run() -> int:
            with anyio.fail_after(RUN_TIMEOUT):
                result = await handle.runner.upgrade()
            return len(result.applied)

        gc.collect()
        try:
            t0, c0 = time.perf_counter(), time.process_time()
            applied = anyio.run(run)
            elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
        finally:
            clear_registry()
        if applied != self.n:
            raise BenchError(f"runner.upgrade() applied {applied}, expected {self.n}")
        return elapsed, cpu

    def baseline_inprocess(self, target: Target) -> tuple[float, float]:
        """``(wall, cpu)`` seconds of the bare-driver apply on ``target``."""

        async def run() -> int:
            return await asyncio.wait_for(
                _common.apply(target.backend, target.dsn, str(self.migrations)), RUN_TIMEOUT
            )

        gc.collect()
        t0, c0 = time.perf_counter(), time.process_time()
        applied = asyncio.run(run())
        elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
        if applied != self.n:
            raise BenchError(f"baseline applied {applied}, expected {self.n}")
        return elapsed, cpu

    def run(
        self,
        cmd: Sequence[str],
        *,
        extra_env: dict[str, str] | None = None,
        timeout: float = SHORT_TIMEOUT,
    ) -> float:
        """Wall time of a whole child process, start to exit; a non-zero exit is an error."""
        env = {**self.child_env, **(extra_env or {})}
        t0 = time.perf_counter()
        proc = subprocess.run(
            list(cmd), env=env, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout
        )
        elapsed = time.perf_counter() - t0
        if proc.returncode != 0:
            tail = (proc.stderr or proc.stdout).decode(errors="replace").strip()[-2000:]
            raise BenchError(f"{' '.join(cmd)} exited {proc.returncode}:\n{tail}")
        return elapsed

    def dbwarden_migrate(
        self, target: Target, *, migrations: Path | None = None, timeout: float = RUN_TIMEOUT
    ) -> float:
        assert self.dbwarden_exe is not None
        return self.run(
            [self.dbwarden_exe, "--config", str(self.config), "migrate"],
            extra_env={
                "DBWARDEN_BENCH_URL": target.url,
                "DBWARDEN_BENCH_MIGRATIONS": str(migrations or self.migrations),
            },
            timeout=timeout,
        )

    def baseline_script(
        self,
        command: str,
        target: Target,
        *,
        migrations: Path | None = None,
        timeout: float = RUN_TIMEOUT,
    ) -> float:
        return self.run(
            [
                sys.executable,
                str(HERE / "_common.py"),
                command,
                target.backend,
                target.dsn,
                str(migrations or self.migrations),
            ],
            timeout=timeout,
        )

    def warm_up(self, backends: Sequence[str]) -> None:
        """Run every child command once, untimed, on a few migrations: the private byte-code
        cache fills and the files are in the page cache before anything is measured."""
        small = self.tmp / "warmup"
        generate(small, 8)
        for cmd in ([sys.executable, "-c", "pass"], *_reference_commands()):
            self.run(cmd)
        if self.dbwarden_exe is None:
            return
        self.run([self.dbwarden_exe, "--help"])
        for backend in backends:
            target = self.fresh(backend)
            try:
                self.dbwarden_migrate(target, migrations=small, timeout=SHORT_TIMEOUT)
                self.dbwarden_migrate(target, migrations=small, timeout=SHORT_TIMEOUT)
                self.baseline_script("noop", target, migrations=small, timeout=SHORT_TIMEOUT)
            finally:
                self.discard(target)
            target = self.fresh(backend)
            try:
                self.baseline_script("apply", target, migrations=small, timeout=SHORT_TIMEOUT)
            finally:
                self.discard(target)


def _find_dbwarden() -> str | None:
    beside = Path(sys.executable).with_name("dbwarden")
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("dbwarden")


def _reference_commands() -> list[list[str]]:
    return [[sys.executable, "-c", code] for code in REFERENCES.values()]


def alternate(repeat_index: int, pair: Sequence[Callable[[], None]]) -> None:
    """Run A then B on even repeats, B then A on odd ones."""
    for fn in pair if repeat_index % 2 == 0 else reversed(pair):
        fn()


# --- the benchmark --------------------------------------------------------------------------


def bench_backend(bench: Bench, backend: str, log: Callable[[str], None]) -> list[Row]:
    args = bench.args
    n = bench.n
    inproc = Row(
        backend,
        "apply_inprocess",
        f"apply {n} (in-process)",
        "bare driver, in process",
        target_ratio=APPLY_RATIO,
        note="await runner.upgrade() vs _common.apply(); both timed around the event loop run",
    )
    cpu = Row(
        backend,
        "apply_inprocess_cpu",
        f"apply {n} (in-process, CPU s)",
        "bare driver, in process",
        note="CPU seconds of the benchmark process (event loop and driver threads) during the "
        "in-process applies: the client-side cost, not disturbed by disk or server latency; "
        "the PostgreSQL server's own work is not in it",
    )
    proc = Row(
        backend,
        "apply_process",
        f"apply {n} (process)",
        "python _common.py apply",
        note="dbwarden --config CFG migrate vs the bare-driver script, whole processes",
    )
    noop = Row(
        backend,
        "noop_process",
        f"no-op migrate, {n} applied (process)",
        "python _common.py noop",
        target_ratio=NOOP_RATIO,
        target_seconds=NOOP_SECONDS,
        note="dbwarden --config CFG migrate with everything applied vs a script that reads "
        "the history, reads and hashes the files and compares",
    )
    applied: Target | None = None  # a database dbwarden migrated, kept for the no-op runs

    for r in range(args.repeat):
        log(f"[{backend}] apply, repeat {r + 1}/{args.repeat}")

        def one(
            wall: list[float],
            cpu_s: list[float],
            fn: Callable[[Target], tuple[float, float]],
            table: str,
        ) -> None:
            target = bench.fresh(backend)
            try:
                elapsed, used = fn(target)
                wall.append(elapsed)
                cpu_s.append(used)
                bench.check_count(target, table, f"{backend} {fn.__name__}")
            finally:
                bench.discard(target)

        alternate(
            r,
            [
                lambda: one(
                    inproc.baseline, cpu.baseline, bench.baseline_inprocess, _common.BASELINE_TABLE
                ),
                lambda: one(
                    inproc.dbwarden, cpu.dbwarden, bench.dbwarden_inprocess, _common.DBWARDEN_TABLE
                ),
            ],
        )
        if bench.dbwarden_exe is None:
            continue

        def cli() -> None:
            nonlocal applied
            target = bench.fresh(backend)
            try:
                proc.dbwarden.append(bench.dbwarden_migrate(target))
                bench.check_count(target, _common.DBWARDEN_TABLE, f"{backend} dbwarden migrate")
            except BaseException:
                bench.discard(target)
                raise
            if applied is None:
                applied = target
            else:
                bench.discard(target)

        def script() -> None:
            target = bench.fresh(backend)
            try:
                proc.baseline.append(bench.baseline_script("apply", target))
                bench.check_count(target, _common.BASELINE_TABLE, f"{backend} baseline script")
            finally:
                bench.discard(target)

        alternate(r, [script, cli])

    rows = [inproc, cpu]
    if bench.dbwarden_exe is None:
        inproc.note += "; the dbwarden CLI is not installed, process rows skipped"
        return rows
    assert applied is not None
    try:
        log(f"[{backend}] no-op migrate x{args.fast_repeat}")
        # One untimed run of each first, on these very files and this database.
        bench.dbwarden_migrate(applied, timeout=SHORT_TIMEOUT)
        bench.baseline_script("noop", applied, timeout=SHORT_TIMEOUT)
        for r in range(args.fast_repeat):
            alternate(
                r,
                [
                    lambda: noop.baseline.append(
                        bench.baseline_script("noop", applied, timeout=SHORT_TIMEOUT)
                    ),
                    lambda: noop.dbwarden.append(
                        bench.dbwarden_migrate(applied, timeout=SHORT_TIMEOUT)
                    ),
                ],
            )
        bench.check_count(applied, _common.DBWARDEN_TABLE, f"{backend} after no-op")
    finally:
        bench.discard(applied)
    return [inproc, cpu, proc, noop]


def bench_help(bench: Bench, log: Callable[[str], None]) -> Row:
    row = Row(
        "-",
        "help_process",
        "dbwarden --help (process)",
        "python -c pass",
        target_seconds=HELP_SECONDS,
        note="whole process; the baseline is the interpreter's own start-up, for reference",
    )
    if bench.dbwarden_exe is None:
        row.note = "the dbwarden CLI is not installed"
        return row
    exe = bench.dbwarden_exe
    log(f"[-] dbwarden --help x{bench.args.fast_repeat}")
    for r in range(bench.args.fast_repeat):
        alternate(
            r,
            [
                lambda: row.baseline.append(bench.run([sys.executable, "-c", "pass"])),
                lambda: row.dbwarden.append(bench.run([exe, "--help"])),
            ],
        )
    return row


def bench_references(bench: Bench, log: Callable[[str], None]) -> dict[str, object]:
    """Start-up costs that explain the process rows (not judged)."""
    log("[-] import references")
    out: dict[str, object] = {}
    for label, cmd in zip(REFERENCES, _reference_commands(), strict=True):
        out[label] = summary([bench.run(cmd) for _ in range(bench.args.fast_repeat)])
    return out


def pg_available(admin: str) -> tuple[str | None, str | None]:
    """``(server_version, None)`` or ``(None, why not)``."""
    try:
        (version,) = asyncio.run(_pg_admin(admin, "SHOW server_version"))
    except Exception as exc:  # any failure means: skip the backend, say why
        return None, f"{type(exc).__name__}: {exc}"
    return str(version), None


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Apply N generated migrations with dbwarden and with the bare drivers.",
    )
    parser.add_argument("--n", type=int, default=1000, help="migrations to generate (1000)")
    parser.add_argument(
        "--backends", default="sqlite,postgresql", help="comma-separated: sqlite,postgresql"
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="full-apply repeats; median and min reported (3)"
    )
    parser.add_argument(
        "--fast-repeat",
        type=int,
        default=10,
        help="repeats of the sub-second process timings: no-op migrate, --help (10)",
    )
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help=f"({DEFAULT_JSON})")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("DBWARDEN_BENCH_PG_URL", DEFAULT_PG_URL),
        help="admin URL; a database is created per measured run and dropped after "
        f"({DEFAULT_PG_URL}, or $DBWARDEN_BENCH_PG_URL)",
    )
    parser.add_argument(
        "--sqlite-dir",
        type=Path,
        default=None,
        help="where the SQLite files go (default: the system temp dir). Every commit "
        "fsyncs, so on a busy or virtual disk the wall times are mostly fsync latency; "
        "/dev/shm (tmpfs) removes it and shows dbwarden's own overhead",
    )
    parser.add_argument(
        "--quick", action="store_true", help="smoke test: n=100, repeat 1, fast-repeat 3"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.n, args.repeat, args.fast_repeat = 100, 1, 3
    args.backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = [b for b in args.backends if b not in BACKENDS]
    if unknown or not args.backends:
        parser.error(f"--backends: choose from {', '.join(BACKENDS)}")
    if args.n < 1 or args.repeat < 1 or args.fast_repeat < 1:
        parser.error("--n, --repeat and --fast-repeat must be at least 1")
    return args


def _sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


@contextlib.contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    previous = signal.signal(signal.SIGTERM, _sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    args.started_at = datetime.now(UTC).isoformat(timespec="seconds")
    started = time.perf_counter()

    def log(message: str) -> None:
        print(f"{time.perf_counter() - started:7.1f}s  {message}", file=sys.stderr, flush=True)

    with _terminate_as_interrupt():
        bench = Bench(args)
        try:
            return _main(bench, args, log, started)
        except KeyboardInterrupt:
            print("interrupted; cleaning up", file=sys.stderr)
            return 130
        except BenchError as exc:
            print(f"benchmark error: {exc}", file=sys.stderr)
            return 1
        finally:
            bench.close()


def _main(
    bench: Bench, args: argparse.Namespace, log: Callable[[str], None], started: float
) -> int:
    machine = machine_info()
    skipped: dict[str, str] = {}
    if "postgresql" in args.backends:
        version, why = pg_available(args.pg_url)
        machine["postgresql_server"] = version
        if why is not None:
            skipped["postgresql"] = f"PostgreSQL not reachable at {args.pg_url}: {why}"
            log(f"skipping postgresql: {why}")
    if bench.dbwarden_exe is None:
        log("the dbwarden console script is not installed: process rows are skipped")

    log(f"generating {args.n} migrations in {bench.migrations}")
    kinds = bench.prepare()
    measured = [b for b in args.backends if b not in skipped]
    log("warming up (byte-code cache, page cache)")
    bench.warm_up(measured)
    machine["child_environment"] = {
        "PYTHONPYCACHEPREFIX": "a private directory, filled by an untimed warm-up",
        "PYTHONDONTWRITEBYTECODE": "removed"
        if "PYTHONDONTWRITEBYTECODE" in os.environ
        else "not set",
    }

    rows: list[Row] = []
    for backend in measured:
        rows += bench_backend(bench, backend, log)
    rows.append(bench_help(bench, log))
    references = bench_references(bench, log)
    machine["loadavg_end"] = os.getloadavg() if hasattr(os, "getloadavg") else None

    table = render_table(rows)
    print()
    print(
        f"dbwarden apply benchmark: n={args.n}, repeat={args.repeat} (no-op and --help: "
        f"{args.fast_repeat}); median (min) seconds; ratio = median / median"
    )
    print(table)
    print()
    print("ratio basis: full apply = in-process runner.upgrade() vs in-process bare driver;")
    print("no-op and --help = whole processes. The SQLite baseline splits statements with")
    print("dbwarden.sql.split inside its timed region, as any statement-by-statement runner must.")
    load = machine["loadavg_start"], machine["loadavg_end"]
    print(
        f"machine: {machine['nproc']} CPUs, load average {_load(load[0])} at start, "
        f"{_load(load[1])} at end; SQLite files on {filesystem(bench.sqlite_dir)}"
    )
    print(
        "start-up references (median s): "
        + ", ".join(
            f"{label} {value['median']:.3f}"  # type: ignore[index]
            for label, value in references.items()
        )
    )
    for backend, why in skipped.items():
        print(f"skipped {backend}: {why}")

    document = {
        "benchmark": "apply",
        "schema_version": 1,
        "n": args.n,
        "repeat": args.repeat,
        "fast_repeat": args.fast_repeat,
        "quick": args.quick,
        "backends": args.backends,
        "skipped": skipped,
        "generated": kinds,
        "workdir": str(bench.tmp),
        "sqlite_dir": str(bench.sqlite_dir),
        "sqlite_filesystem": filesystem(bench.sqlite_dir),
        "started_at": args.started_at,
        "elapsed_s": round(time.perf_counter() - started, 3),
        "ratio_basis": {
            "apply_inprocess": "await runner.upgrade() vs _common.apply() in this process",
            "apply_inprocess_cpu": "the same runs, CPU seconds of this process",
            "apply_process": "dbwarden migrate vs python _common.py apply (whole processes)",
            "noop_process": "dbwarden migrate, all applied, vs python _common.py noop",
            "help_process": "dbwarden --help; python -c pass shown for reference",
        },
        "targets": {
            "apply_ratio": APPLY_RATIO,
            "noop_ratio": NOOP_RATIO,
            "noop_seconds": NOOP_SECONDS,
            "help_seconds": HELP_SECONDS,
        },
        "machine": machine,
        "results": [r.to_json() for r in rows],
        "references": references,
        "table": table,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
