"""What the CLI imports, measured in fresh interpreters: `--help` must not load the
database drivers, SQLAlchemy or rich; `migrate` on SQLite must not load SQLAlchemy, and a
`migrate` with nothing to do loads neither typer, anyio's event-loop backend nor the classes
of step and lock events."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .cli_helpers import make_project

pytestmark = pytest.mark.slow

PROBE = """
import json, sys
sys.argv = ["dbwarden", *json.loads(sys.argv[1])]
from dbwarden.cli.entry import main  # the console script
code = 0
try:
    main()
except SystemExit as exc:
    code = exc.code
finally:
    roots = {m.split(".")[0] for m in sys.modules}
    if "anyio._backends._asyncio" in sys.modules:
        roots.add("anyio-backend")
    if "dbwarden._progress" in sys.modules:
        roots.add("step-events")
    doc = {"code": code, "modules": sorted(roots)}
    sys.stderr.write("\\nMODULES=" + json.dumps(doc) + "\\n")
"""


def probe(args: list[str], cwd: Path) -> tuple[int, set[str], str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DBWARDEN_CONFIG", "ENVIRONMENT")}
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    marker = proc.stderr.rindex("MODULES=")
    report = json.loads(proc.stderr[marker + len("MODULES=") :])
    return report["code"], set(report["modules"]), proc.stdout + proc.stderr[:marker]


HEAVY = {"sqlalchemy", "asyncpg", "aiosqlite", "rich", "pydantic", "anyio"}


def test_help_imports_no_heavy_module(tmp_path: Path) -> None:
    code, modules, output = probe(["--help"], tmp_path)
    assert code == 0, output
    assert "Usage: dbwarden" in output
    assert not modules & HEAVY, modules & HEAVY
    code, modules, output = probe(["migrate", "--help"], tmp_path)
    assert code == 0, output
    assert not modules & HEAVY, modules & HEAVY


def test_migrate_on_sqlite_does_not_import_sqlalchemy(tmp_path: Path) -> None:
    project = make_project(tmp_path / "proj", f"sqlite:///{tmp_path / 'app.db'}")
    project.migration("0001_a.sql", "CREATE TABLE a (id integer);")

    code, modules, output = probe(["migrate"], project.root)
    assert code == 0, output
    assert "applied" in output
    assert "sqlalchemy" not in modules
    assert "asyncpg" not in modules
    assert "step-events" in modules  # the probe sees them when steps run

    code, modules, output = probe(["migrate"], project.root)  # nothing to do
    assert code == 0, output
    assert "up to date" in output
    assert "sqlalchemy" not in modules
    assert "rich" not in modules  # plain text is enough to say so
    assert "typer" not in modules  # the console script runs a plain migrate itself
    assert "anyio-backend" not in modules  # no lock taken, so no anyio scope either
    assert "step-events" not in modules  # only PlanMade and RunFinished were emitted

    code, modules, output = probe(["--debug", "migrate", "--all"], project.root)
    assert code == 0, output
    assert "typer" in modules  # anything but the plain forms goes through typer

    code, modules, output = probe(["status"], project.root)
    assert code == 0, output
    assert "sqlalchemy" not in modules


@pytest.mark.postgres
def test_migrate_on_postgres_does_not_import_sqlalchemy(tmp_path: Path, pg_database: str) -> None:
    project = make_project(tmp_path / "proj", pg_database)
    project.migration("0001_a.sql", "CREATE TABLE a (id integer);")
    code, modules, output = probe(["migrate"], project.root)
    assert code == 0, output
    assert "sqlalchemy" not in modules
    assert "aiosqlite" not in modules
    code, modules, output = probe(["status", "--json"], project.root)
    assert code == 0, output
    assert "sqlalchemy" not in modules


def test_python_m_dbwarden(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "dbwarden", "--help"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("Usage: dbwarden ")
    proc = subprocess.run(
        [sys.executable, "-m", "dbwarden", "status"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "dbwarden init" in proc.stderr


def test_console_script_collects_rarely_and_freezes_the_heap_when_done(tmp_path: Path) -> None:
    """The CLI's own process tunes the collector (library users' processes are left alone):
    rare young collections while it builds long-lived objects, and a frozen heap once the
    command has finished, so that shutdown does not walk every object again."""
    script = (
        "import gc, sys\n"
        "from dbwarden.cli import entry\n"
        "assert gc.get_threshold()[0] == 700 and gc.get_freeze_count() == 0\n"
        "sys.argv = ['dbwarden', '--help']\n"
        "try:\n"
        "    entry.main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(gc.get_threshold()[0], gc.get_freeze_count() > 0)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "100000 True"
