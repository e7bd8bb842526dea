"""Benchmark: `dbwarden make-migrations` for models of 50, 200 and 500 tables.

    .venv/bin/python benchmarks/draft.py                       # 50,200,500 tables, both backends
    .venv/bin/python benchmarks/draft.py --quick --backends sqlite

For each size N it generates N tables (5 to 20 columns each, one to three indexes, and a
foreign key to an earlier table on most), writes a history of N migration files that
create them (one table per file, in the SQL SQLAlchemy itself emits for the backend), and
models that differ from that history in a few places (a new table, a new column on every
25th table, a changed type, a new index), so that there is a real draft to write. Then it
times, with everything imported beforehand:

- ``make_migration`` in process (the whole draft: throwaway databases, applying the N
  migrations with the runner, creating the models, reading both schemas back, diffing,
  rendering; the file is not written), with its phases timed separately;
- ``dbwarden make-migrations --dry-run`` as a whole process (imports included).

and reports how the time grows with N (the exponent k of t ∝ N^k between successive
sizes: 1 is linear). Target: 500 tables in under 10 s, growth no worse than linear.
Prints a table, writes JSON, never asserts a timing; everything it creates is removed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEFAULT_JSON = HERE / "results" / "draft.json"
DEFAULT_PG_URL = os.environ.get(
    "DBWARDEN_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
SIZES = (50, 200, 500)
TARGET_SECONDS = 10.0
TARGET_TABLES = 500


# --- the generated project ---------------------------------------------------------------


def build_models(n: int, *, changed: bool, seed: int = 7) -> Any:
    """N tables of 5-20 columns with indexes and foreign keys; ``changed`` adds the edits
    that the draft has to find."""
    import sqlalchemy as sa

    rng = random.Random(seed)
    md = sa.MetaData()
    kinds = [
        lambda: sa.String(rng.choice((40, 80, 200))),
        lambda: sa.Integer(),
        lambda: sa.BigInteger(),
        lambda: sa.Boolean(),
        lambda: sa.Text(),
        lambda: sa.Numeric(12, 2),
        lambda: sa.DateTime(timezone=True),
    ]
    for i in range(n):
        cols: list[Any] = [sa.Column("id", sa.Integer, primary_key=True)]
        width = rng.randint(5, 20)
        for c in range(1, width):
            type_ = kinds[rng.randrange(len(kinds))]()
            nullable = rng.random() < 0.6
            if changed and c == 1 and i % 100 == 5:
                type_ = sa.Text()  # a changed type (a table rebuild on SQLite)
            default = "0" if isinstance(type_, sa.Integer) and not nullable else None
            cols.append(sa.Column(f"c{c}", type_, nullable=nullable, server_default=default))
        if i and rng.random() < 0.8:
            parent = rng.randrange(i)
            cols.append(sa.Column("parent_id", sa.ForeignKey(f"t{parent}.id", ondelete="CASCADE")))
        table = sa.Table(f"t{i}", md, *cols)
        candidates = [c for c in table.columns if c.name != "id"]
        for k in range(rng.randint(1, 3)):
            picked = rng.sample(candidates, k=min(1 + k % 2, len(candidates)))
            sa.Index(f"ix_t{i}_{k}", *picked, unique=k == 2)
        if changed and i % 25 == 3:
            table.append_column(sa.Column("added", sa.String(30)))
        if changed and i % 50 == 7:
            sa.Index(f"ix_t{i}_added_later", table.c.id, table.c.c1)
    if changed:
        sa.Table(
            "t_new",
            md,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("t0_id", sa.ForeignKey("t0.id"), nullable=False),
            sa.Column("label", sa.String(50)),
        )
    return md


def write_history(directory: Path, n: int, dialect: str) -> int:
    """One migration per table, in the DDL SQLAlchemy emits for ``dialect``."""
    from sqlalchemy.dialects import postgresql, sqlite
    from sqlalchemy.schema import CreateIndex, CreateTable

    engine_dialect = sqlite.dialect() if dialect == "sqlite" else postgresql.dialect()
    directory.mkdir(parents=True, exist_ok=True)
    md = build_models(n, changed=False)
    for i, table in enumerate(md.sorted_tables, start=1):
        ddl = [str(CreateTable(table).compile(dialect=engine_dialect)).strip()]
        ddl += [str(CreateIndex(ix).compile(dialect=engine_dialect)) for ix in table.indexes]
        up = ";\n".join(ddl) + ";"
        (directory / f"{i:04d}_create_{table.name}.sql").write_text(
            f"-- create {table.name}\n-- upgrade\n{up}\n\n-- rollback\nDROP TABLE {table.name};\n",
            encoding="utf-8",
        )
    return n


# --- measuring ---------------------------------------------------------------------------


@dataclass
class Row:
    backend: str
    tables: int
    inprocess: list[float] = field(default_factory=list)
    process: list[float] = field(default_factory=list)
    phases: dict[str, float] = field(default_factory=dict)
    changes: int = 0

    @property
    def median(self) -> float:
        return statistics.median(self.inprocess)


def _project(root: Path, url: str, n: int, dialect: str) -> Path:
    root.mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        '[project]\nname = "bench"\n\n[tool.dbwarden]\nconfig = "benchcfg.py"\n', encoding="utf-8"
    )
    (root / "benchmodels.py").write_text(
        "import sys\n"
        f"sys.path.insert(0, {str(HERE)!r})\n"
        "from draft import build_models\n"
        f"metadata = build_models({n}, changed=True)\n",
        encoding="utf-8",
    )
    (root / "benchcfg.py").write_text(
        "from dbwarden import database_config\n"
        f"primary = database_config('primary', default=True, database_url={url!r}, "
        f"base_dir={str(root)!r}, model_paths=['benchmodels'])\n",
        encoding="utf-8",
    )
    write_history(root / "migrations" / "primary", n, dialect)
    return root


async def _phases(handle: Any, models: Any) -> dict[str, float]:
    """The draft's phases, timed one by one (the same calls make_migration makes)."""
    from dbwarden.draft import schema
    from dbwarden.draft.diff import diff
    from dbwarden.draft.render import render

    out: dict[str, float] = {}
    url = handle.resolve()
    t = time.perf_counter()
    async with schema.scratch_databases(url, 2) as [(current, scratch_url), (target, _)]:
        out["create throwaway databases"] = time.perf_counter() - t
        t = time.perf_counter()
        await schema.apply_migrations(handle, current, scratch_url)
        out["apply the migrations"] = time.perf_counter() - t
        t = time.perf_counter()
        await schema.create_models(target, (models,))
        out["create the models"] = time.perf_counter() - t
        t = time.perf_counter()
        old = await schema.reflect(current)
        new = await schema.reflect(target)
        out["read both schemas"] = time.perf_counter() - t
        t = time.perf_counter()
        up = diff(old, new)
        down = diff(new, old, hints=False)
        render(up, old, new, keep=old)
        render(down, new, old, keep=old, exact=True)
        out["diff and render"] = time.perf_counter() - t
        t = time.perf_counter()
    out["drop throwaway databases"] = time.perf_counter() - t
    return out


def measure(backend: str, n: int, url: str, repeat: int, work: Path) -> Row:
    from dbwarden.config import clear_registry, database_config
    from dbwarden.draft import make_migration

    root = _project(work / f"{backend}_{n}", url, n, backend)
    sys.path.insert(0, str(root))
    models = build_models(n, changed=True)
    clear_registry()
    handle = database_config(
        "primary", default=True, database_url=url, base_dir=root, model_paths=["benchmodels"]
    )
    row = Row(backend, n)
    for _ in range(repeat):
        t = time.perf_counter()
        result = asyncio.run(make_migration(handle, "bench", metadata=models, write=False))
        row.inprocess.append(time.perf_counter() - t)
        row.changes = len(result.changes)
        assert row.changes > 0, "the generated models must differ from the history"
    row.phases = asyncio.run(_phases(handle, models))
    env = {k: v for k, v in os.environ.items() if k not in ("DBWARDEN_CONFIG", "ENVIRONMENT")}
    cli = str(Path(sys.executable).with_name("dbwarden"))
    for _ in range(repeat):
        t = time.perf_counter()
        proc = subprocess.run(
            [cli, "make-migrations", "-m", "bench", "--dry-run"],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        row.process.append(time.perf_counter() - t)
        if proc.returncode != 0:
            raise RuntimeError(f"dbwarden make-migrations failed:\n{proc.stderr[-2000:]}")
    sys.path.remove(str(root))
    return row


def _pg_reachable(url: str) -> str | None:
    import asyncpg

    async def ping() -> None:
        conn = await asyncpg.connect(url, timeout=3)
        await conn.close()

    try:
        asyncio.run(ping())
    except Exception as exc:  # any failure means: skip, with the reason
        return f"{type(exc).__name__}: {exc}"
    return None


def _exponent(a: Row, b: Row) -> float:
    return math.log(b.median / a.median) / math.log(b.tables / a.tables)


def report(rows: list[Row]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    print(
        f"{'backend':<11}{'tables':>7}{'in-process (s)':>16}{'ms/table':>10}"
        f"{'process (s)':>13}{'growth k':>10}{'changes':>9}"
    )
    for i, row in enumerate(rows):
        previous = rows[i - 1] if i and rows[i - 1].backend == row.backend else None
        k = _exponent(previous, row) if previous else None
        print(
            f"{row.backend:<11}{row.tables:>7}{row.median:>16.2f}"
            f"{1000 * row.median / row.tables:>10.1f}{statistics.median(row.process):>13.2f}"
            f"{(f'{k:.2f}' if k is not None else '-'):>10}{row.changes:>9}"
        )
        out.append(
            {
                "backend": row.backend,
                "tables": row.tables,
                "migrations": row.tables,
                "inprocess": {
                    "median": row.median,
                    "min": min(row.inprocess),
                    "runs": row.inprocess,
                },
                "process": {
                    "median": statistics.median(row.process),
                    "min": min(row.process),
                    "runs": row.process,
                },
                "growth_exponent": k,
                "phases": row.phases,
                "changes": row.changes,
                "ok": row.median < TARGET_SECONDS if row.tables >= TARGET_TABLES else None,
            }
        )
    print()
    for row in rows:
        phases = ", ".join(f"{k} {v:.2f}" for k, v in row.phases.items())
        print(f"{row.backend} {row.tables}: {phases}")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON)
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL, help="a URL on the PostgreSQL server")
    parser.add_argument("--quick", action="store_true", help="sizes 10,40, one repeat")
    args = parser.parse_args(argv)
    sizes = [10, 40] if args.quick else [int(s) for s in args.sizes.split(",")]
    repeat = 1 if args.quick else args.repeat
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    skipped: dict[str, str] = {}
    if "postgresql" in backends and (reason := _pg_reachable(args.pg_url)):
        skipped["postgresql"] = reason
        backends.remove("postgresql")
        print(f"postgresql skipped: {reason}", file=sys.stderr)

    load_start = os.getloadavg()
    work = Path(tempfile.mkdtemp(prefix="dbwarden_bench_draft_"))
    rows: list[Row] = []
    try:
        for backend in backends:
            for n in sizes:
                url = (
                    f"sqlite:///{work / f'{backend}_{n}.db'}"
                    if backend == "sqlite"
                    else args.pg_url
                )
                rows.append(measure(backend, n, url, repeat, work))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    results = report(rows)
    print(f"\nload average: {load_start[0]:.2f} at the start, {os.getloadavg()[0]:.2f} at the end")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps(
            {
                "when": datetime.now(UTC).isoformat(timespec="seconds"),
                "sizes": sizes,
                "repeat": repeat,
                "backends": backends,
                "skipped": skipped,
                "target": {"tables": TARGET_TABLES, "seconds": TARGET_SECONDS},
                "machine": {
                    "nproc": os.cpu_count(),
                    "python": platform.python_version(),
                    "platform": platform.platform(),
                    "loadavg_start": load_start,
                    "loadavg_end": os.getloadavg(),
                },
                "results": results,
            },
            indent=2,
        ),
        encoding="utf-8",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
