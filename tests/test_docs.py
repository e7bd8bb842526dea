"""The documentation's examples are code, and run here.

Every ``docs_src/*.py`` example runs against a copy of ``migrations_example/`` (whose
``app/database.py`` reads ``DATABASE_URL``) on a temporary SQLite file. Every Python block in
``docs/`` must be an include of such a file, and every ``dbwarden`` command shown in the docs
may only use commands and options the CLI really has.
"""

from __future__ import annotations

import importlib
import importlib.util
import itertools
import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from helpers import example_copy, load_docs_example

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
DOCS_SRC = ROOT / "docs_src"
EXAMPLE = ROOT / "migrations_example"

EXAMPLES = sorted(p.name for p in DOCS_SRC.glob("*.py"))
TESTED = {
    "all_databases.py",
    "app_connection.py",
    "deploy.py",
    # the drafting page's examples run in tests/draft/test_draft_docs.py
    "draft_check.py",
    "draft_preview.py",
    "dry_run.py",
    "events.py",
    # the FastAPI page's examples run in tests/fastapi_integration/test_fastapi_docs.py
    "fastapi_lifespan.py",
    "fastapi_metrics.py",
    "fastapi_routers.py",
    "fastapi_sessions.py",
    "quickstart.py",
    "redis_lock.py",
    "rollback.py",
    "seeds.py",
    "sessions.py",
    "urls.py",
    "verify.py",
}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A copy of the example project, importable as ``app``, on a fresh SQLite file."""
    yield from example_copy(
        tmp_path, monkeypatch, dirname="project", database="docs.db", unset=("DBWARDEN_REDIS_URL",)
    )


def load(name: str) -> ModuleType:
    return load_docs_example(name)


async def run_main(name: str) -> Any:
    return await load(name).main()


def primary() -> Any:
    return importlib.import_module("app.database").primary


def test_every_example_is_tested() -> None:
    assert set(EXAMPLES) == TESTED


@pytest.mark.anyio
async def test_quickstart(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    await run_main("quickstart.py")
    out = capsys.readouterr().out
    assert "applied 0001_create_users in " in out
    assert "applied RA__user_post_counts in " in out
    assert out.rstrip().endswith("primary: up_to_date, at version 6")


@pytest.mark.anyio
async def test_dry_run(project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    await run_main("dry_run.py")
    out = capsys.readouterr().out
    assert out.startswith("-- 7 steps, state pending\n")
    assert "CREATE TABLE users (" in out
    assert "INSERT INTO dbwarden_migrations" in out
    assert not (tmp_path / "docs.db").exists()  # a dry run does not even create the file


@pytest.mark.anyio
async def test_events(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    await run_main("events.py")
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("lock acquired after ")
    assert lines[1] == "[1/7] apply 0001_create_users"
    assert lines[7] == "[7/7] apply RA__user_post_counts"
    assert lines[-1] == "done: 7 applied, now at version 6"


@pytest.mark.anyio
async def test_deploy(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert await run_main("deploy.py") == 0
    assert capsys.readouterr().out == "applied 7 migrations\n"


@pytest.mark.anyio
async def test_deploy_reports_a_failed_migration(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = project / "migrations" / "primary" / "0007_broken.sql"
    bad.write_text(
        "-- upgrade\nALTER TABLE nowhere ADD COLUMN x integer;\n-- rollback\nSELECT 1;\n"
    )
    assert await run_main("deploy.py") == 1
    err = capsys.readouterr().err
    assert f"{bad}:2: " in err
    assert "nowhere" in err


@pytest.mark.anyio
async def test_rollback(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    await primary().runner.upgrade()
    await run_main("rollback.py")
    assert capsys.readouterr().out.splitlines() == [
        "rolled back ['0006_create_tags']",
        "would roll back ['0005_backfill_posts_slug', '0004_add_posts_slug']",
        "rolled back ['0005_backfill_posts_slug', '0004_add_posts_slug']",
        "now at version 3",
    ]


@pytest.mark.anyio
async def test_app_connection(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    await run_main("app_connection.py")
    assert capsys.readouterr().out == "applied 7 migrations through the app's engine\n"
    status = await primary().runner.status()
    assert status.state == "up_to_date"
    assert status.current_version == "6"


@pytest.mark.anyio
async def test_verify(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    await primary().runner.upgrade(target=5)
    assert await run_main("verify.py") == 0
    assert capsys.readouterr().out == "primary: 5 applied, 1 pending\n"

    edited = project / "migrations" / "primary" / "0002_create_posts.sql"
    edited.write_text(edited.read_text().replace("VARCHAR(200)", "VARCHAR(300)"))
    assert await run_main("verify.py") == 2
    err = capsys.readouterr().err
    assert "0002_create_posts.sql was edited after it was applied" in err
    assert "dbwarden repair" in err


@pytest.mark.anyio
@pytest.mark.redis
async def test_redis_lock(
    project: Path,
    redis_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("REDIS_URL", redis_url)
    await run_main("redis_lock.py")
    lines = capsys.readouterr().out.splitlines()
    assert sorted(line.split(": ")[1] for line in lines) == [
        "applied 0 versioned migrations",
        "applied 0 versioned migrations",
        "applied 6 versioned migrations",
    ]
    assert (await primary().runner.status()).state == "up_to_date"


@pytest.mark.anyio
async def test_all_databases(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    await run_main("all_databases.py")
    assert capsys.readouterr().out == "primary: applied 7 migrations\n"


@pytest.mark.anyio
async def test_sessions(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    await run_main("sessions.py")
    assert capsys.readouterr().out.splitlines() == ["Ada wrote: ['Hello']", "ada@example.com 1"]


def test_urls(capsys: pytest.CaptureFixture[str]) -> None:
    """Each ``print(...)`` in urls.py is followed by a ``# expected output`` comment."""
    load("urls.py")
    source = (DOCS_SRC / "urls.py").read_text().splitlines()
    expected = [
        line.removeprefix("# ")
        for previous, line in itertools.pairwise(source)
        if previous.startswith("print(") and line.startswith("# ")
    ]
    assert len(expected) == 7
    assert capsys.readouterr().out.splitlines() == expected


# --- the docs themselves -----------------------------------------------------------------

FENCE = re.compile(
    r"^(?P<indent>[ \t]*)```(?P<lang>[\w-]*)[^\n]*\n(?P<body>.*?)^(?P=indent)```", re.M | re.S
)
INCLUDE = re.compile(r'^-{2}8<-{2} "(?P<path>[^"]+)"$')


def doc_blocks(*langs: str) -> Iterator[tuple[str, str, str]]:
    """(page, language, body) of every fenced block in ``langs``: docs/ and the READMEs."""
    for page in [ROOT / "README.md", EXAMPLE / "README.md", *sorted(DOCS.glob("*.md"))]:
        for match in FENCE.finditer(page.read_text(encoding="utf-8")):
            if match["lang"] in langs:
                yield page.name, match["lang"], match["body"]


def test_python_blocks_are_includes_of_tested_examples() -> None:
    """In docs/, a Python block only includes files; together they include every example."""
    included: set[str] = set()
    for page, _, body in doc_blocks("python", "py"):
        if page == "README.md":
            continue
        for line in body.strip().splitlines():
            m = INCLUDE.match(line.strip())
            assert m, f"{page}: a Python block must only include docs_src/ files: {line!r}"
            path = m["path"].split(":")[0]
            if (DOCS_SRC / path).is_file():
                included.add(path)
            else:
                assert (ROOT / path).is_file(), f"{page}: {path} does not exist"
    assert included == set(EXAMPLES)


def test_readme_python_is_cut_from_tested_files() -> None:
    """GitHub cannot include files, so the README's Python blocks are verbatim excerpts."""
    sources = [p.read_text() for p in (*DOCS_SRC.glob("*.py"), *EXAMPLE.rglob("*.py"))]
    blocks = [body for page, _, body in doc_blocks("python") if page == "README.md"]
    assert blocks
    for body in blocks:
        assert any(body in source for source in sources), body


README_COMMANDS = [
    "python3 -m venv .venv && .venv/bin/pip install -e . && cd migrations_example "
    "&& ../.venv/bin/dbwarden migrate && ../.venv/bin/dbwarden status",
    'python3 -m venv .venv && .venv/bin/pip install -e ".[dev]" && .venv/bin/pytest',
]


def test_readme_opens_with_the_two_setup_commands() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = [m["body"].strip() for m in FENCE.finditer(text)]
    assert blocks[:2] == README_COMMANDS
    before = text[: text.index("```")]
    assert before.count("\n\n") <= 2  # the title and a label come first, nothing else
    # CI runs the README's test command verbatim.
    assert README_COMMANDS[1] in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def _cli() -> Any:
    import typer.main

    from dbwarden.cli.app import app

    return typer.main.get_command(app)


def _commands_in_docs() -> Iterator[tuple[str, list[str]]]:
    """The arguments of every `dbwarden` (or `.../bin/dbwarden`) invocation in a shell block:
    in ``console`` blocks only on ``$ `` lines, in the others on every line."""
    for page, block_lang, body in doc_blocks("console", "bash", "sh", "shell"):
        for raw in body.splitlines():
            line = raw.strip()
            if line.startswith("$ "):
                line = line.removeprefix("$ ")
            elif block_lang == "console":
                continue  # output, not a command
            line = line.split(" #", 1)[0]
            for part in re.split(r"\s*(?:&&|\|\||\||;)\s*", line):
                words = shlex.split(part)
                while words and re.fullmatch(r"[A-Z_]+=\S*", words[0]):
                    words.pop(0)  # ENVIRONMENT=development dbwarden ...
                if words and Path(words[0]).name == "dbwarden":
                    yield page, words[1:]


def test_cli_commands_in_docs_exist() -> None:
    """Every `dbwarden ...` line in a shell block names a real command and real options."""
    root = _cli()
    seen = 0
    for page, args in _commands_in_docs():
        command = root
        path = ["dbwarden"]
        for arg in args:
            if arg.startswith("-"):
                name = arg.split("=", 1)[0]
                options = {o for p in command.params for o in (*p.opts, *p.secondary_opts)}
                options |= {"-h", "--help"}
                assert name in options, f"{page}: `{' '.join(path)}` has no option {name}"
            elif arg in getattr(command, "commands", {}):  # typer's (vendored) click Group
                command = command.commands[arg]
                path.append(arg)
        assert len(path) > 1 or args == ["--help"], f"{page}: no command in {args}"
        seen += 1
    assert seen > 20


@pytest.mark.anyio
async def test_seeds(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    await run_main("seeds.py")
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("applied [] warnings ['0001_demo_authors.sql: skipped")
    assert out[1] == "applied ['0001_demo_authors']"
    assert out[2] == "seed version 1 pending 0"
