"""The console script's own parser for plain ``migrate`` invocations agrees with typer: on
every argument list it accepts, it hands ``migrate_one`` exactly what the typer command
would, and everything else is left to typer."""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dbwarden.cli import app as app_module
from dbwarden.cli import plumbing
from dbwarden.cli.entry import parse_migrate

from .cli_helpers import make_project

DEFAULTS = {
    name: p.default for name, p in inspect.signature(plumbing.migrate_one).parameters.items()
}


def through_typer(
    argv: list[str], monkeypatch: pytest.MonkeyPatch
) -> tuple[int, dict[str, object] | None]:
    """The exit code of the typer app on ``argv`` and what it passed to ``migrate_one``
    (with the global options), or ``None`` when it did not get that far."""
    seen: list[dict[str, object]] = []

    def record(**kwargs: object) -> None:
        seen.append({**kwargs, "config": plumbing.options.config, "debug": plumbing.options.debug})

    monkeypatch.setattr(app_module, "migrate_one", record)
    monkeypatch.setattr(plumbing, "options", plumbing._Options())
    monkeypatch.setattr(app_module, "options", plumbing.options)
    result = CliRunner().invoke(app_module.app, argv, catch_exceptions=False)
    return result.exit_code, (seen[0] if seen else None)


def through_entry(argv: list[str]) -> dict[str, object] | None:
    parsed = parse_migrate(argv)
    if parsed is None:
        return None
    global_options, migrate_options = parsed
    config = global_options.get("config")
    return {
        **DEFAULTS,
        **migrate_options,
        "config": Path(config) if isinstance(config, str) else None,
        "debug": bool(global_options.get("debug")),
    }


ACCEPTED = [
    ["migrate"],
    ["--config", "cfg.py", "migrate"],
    ["-c", "app/db.py", "--debug", "migrate", "--json"],
    ["--config=cfg.py", "migrate", "-d", "tenant_1", "--dry-run"],
    ["migrate", "--database", "other", "--to", "20261122021800", "--allow-out-of-order"],
    ["migrate", "--to=7", "--dev", "--redis-url", "redis://127.0.0.1:6379/0"],
    ["--debug", "migrate", "--redis-url=redis://:secret@host/1", "--json", "--dry-run"],
]

LEFT_TO_TYPER = [
    [],
    ["--help"],
    ["migrate", "--help"],
    ["-h"],
    ["--version"],
    ["status"],
    ["migrate", "--all"],
    ["migrate", "--all", "--concurrency", "3"],
    ["migrate", "-dtenant"],  # click reads this as -d tenant; the plain parser does not try
    ["migrate", "-d=x"],
    ["migrate", "--to"],  # a missing value: typer's usage error
    ["migrate", "--to", "--json"],
    ["migrate", "--json", "--json"],
    ["migrate", "-d", "a", "-d", "b"],
    ["migrate", "--dry-run=yes"],
    ["migrate", "extra"],
    ["migrate", "--bogus"],
    ["--debug"],
    ["--json", "migrate"],  # a migrate option before the command
    ["migrate", "--", "x"],
    ["migrate", "--config", "cfg.py"],  # a global option after the command
    ["--config", "", "migrate"],
]


@pytest.mark.parametrize("argv", ACCEPTED, ids=" ".join)
def test_plain_migrate_is_parsed_as_typer_parses_it(
    argv: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, by_typer = through_typer(argv, monkeypatch)
    assert code == 0
    assert by_typer is not None
    assert through_entry(argv) == by_typer


@pytest.mark.parametrize("argv", LEFT_TO_TYPER, ids=lambda a: " ".join(a) or "(none)")
def test_everything_else_is_left_to_typer(argv: list[str]) -> None:
    assert parse_migrate(argv) is None


def run_script(script: str, args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DBWARDEN_CONFIG", "ENVIRONMENT")}
    code = f"import sys; sys.argv = ['dbwarden', *sys.argv[1:]]; from {script} import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.slow
def test_console_script_and_typer_print_the_same(tmp_path: Path) -> None:
    """Apply, no-op, JSON, a dry run and a failure, through both front ends: same output on
    both streams, same exit code (durations masked)."""
    import re

    def mask(text: str) -> str:
        text = re.sub(r"\d+ ms", "N ms", text)
        text = re.sub(r"\d{4}-\d\d-\d\dT[0-9:.+]+", "TIME", text)
        return re.sub(r'"(duration_ms|elapsed_ms)": \d+', r'"\1": N', text)

    for script in ("dbwarden.cli.entry", "dbwarden.cli.app"):
        root = tmp_path / script
        project = make_project(root, f"sqlite:///{root / 'app.db'}")
        project.migration("0001_a.sql", "CREATE TABLE a (id integer);")
        project.migration("0002_b.sql", "CREATE TABLE b (id integer);")
    outputs = {}
    for script in ("dbwarden.cli.entry", "dbwarden.cli.app"):
        root = tmp_path / script
        runs = []
        for args in (
            ["migrate", "--dry-run"],
            ["migrate", "--to", "1"],
            ["migrate"],
            ["migrate", "--json"],
            ["migrate", "-d", "nope"],
        ):
            proc = run_script(script, args, root)
            runs.append((proc.returncode, mask(proc.stdout), mask(proc.stderr)))
        (root / "migrations" / "primary" / "0003_c.sql").write_text(
            "-- upgrade\nCREATE TABLE c (id text DEFAULT 'x);\n-- rollback\nDROP TABLE c;\n",
            encoding="utf-8",
        )
        proc = run_script(script, ["migrate"], root)  # 0003 has an unterminated string
        runs.append((proc.returncode, mask(proc.stdout), mask(proc.stderr)))
        outputs[script] = [
            (code, out.replace(str(root), "ROOT"), err.replace(str(root), "ROOT"))
            for code, out, err in runs
        ]
    assert outputs["dbwarden.cli.entry"] == outputs["dbwarden.cli.app"]
    codes = [code for code, _, _ in outputs["dbwarden.cli.entry"]]
    assert codes[:4] == [0, 0, 0, 0]
    assert codes[4] == 2  # an unknown database
    assert "applied 1 migration" in outputs["dbwarden.cli.entry"][2][1]
    assert codes[5] == 2  # a bad file
    assert "0003_c.sql" in outputs["dbwarden.cli.entry"][5][2]
