"""Dev mode through the CLI: `--dev` and ENVIRONMENT=development, the translated dry run,
warnings on stderr, errors with file:line, and what the CLI imports."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from dbwarden.cli.app import app
from dbwarden.cli.loader import MODULE_NAME

USERS = """\
-- users
-- upgrade
CREATE EXTENSION IF NOT EXISTS citext;
CREATE TABLE users (
    id bigserial PRIMARY KEY,
    email citext NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- rollback
DROP TABLE users;
"""

TOUCH = """\
-- updated_at, kept by a trigger on PostgreSQL
-- dbwarden: postgres-only
-- upgrade
ALTER TABLE users ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END;
$$;
CREATE TRIGGER users_touch BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION touch();

-- rollback
DROP TRIGGER users_touch ON users;
DROP FUNCTION touch();
ALTER TABLE users DROP COLUMN updated_at;
"""

SEED = """\
-- upgrade
INSERT INTO users (email, created_at) VALUES ('ada@example.com', now());
-- rollback
DELETE FROM users WHERE email = 'ada@example.com';
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    root = tmp_path / "proj"
    (root / "migrations" / "primary").mkdir(parents=True)
    (root / "seeds" / "primary").mkdir(parents=True)
    (root / "migrations" / "primary" / "0001_users.sql").write_text(USERS)
    (root / "migrations" / "primary" / "0002_touch.sql").write_text(TOUCH)
    (root / "seeds" / "primary" / "0001_ada.sql").write_text(SEED)
    (root / "pyproject.toml").write_text('[tool.dbwarden]\nconfig = "database.py"\n')
    (root / "database.py").write_text(
        "from dbwarden import database_config\n"
        "primary = database_config(\n"
        '    "primary",\n'
        "    default=True,\n"
        '    database_url="postgresql://app:s3cret@127.0.0.1:9/app",\n'
        '    dev_database_url="sqlite:///dev.db",\n'
        ")\n"
    )
    monkeypatch.chdir(root)
    monkeypatch.delenv("DBWARDEN_CONFIG", raising=False)
    path = list(sys.path)
    yield root
    sys.path[:] = path
    sys.modules.pop(MODULE_NAME, None)


def flat(text: str) -> str:
    """Output without rich's panel borders and line breaks, for phrase matching."""
    for ch in "│╭╮╰╯─":
        text = text.replace(ch, " ")
    return "".join(text.split())


def cli(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)


def test_dry_run_shows_the_translated_sql_and_warns_on_stderr(project: Path) -> None:
    result = cli("migrate", "--dev", "--dry-run")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "sqlite+aiosqlite:///" in out  # the dev database
    assert (
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, "
        "created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP);" in out
    )
    assert "ALTER TABLE users ADD COLUMN updated_at TIMESTAMP" in out
    assert "bigserial" not in out
    assert "CREATE FUNCTION" not in out
    err = result.stderr
    assert "0001_users.sql:3: left out in dev mode (SQLite has no extensions)" in err
    assert "0002_touch.sql:5: skipped in dev mode (postgres-only; a PostgreSQL function)" in err
    assert "0002_touch.sql:11: skipped in dev mode" in err
    assert "s3cret" not in result.output
    assert not (project / "dev.db").exists()


def test_environment_development_is_dev_mode(project: Path) -> None:
    result = cli("migrate", "--dry-run", "--json", env={"ENVIRONMENT": "development"})
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert any("CREATE TABLE users (id INTEGER PRIMARY KEY" in s for s in doc["sql"])
    assert len(doc["plan"]["warnings"]) == 3


def test_migrate_status_seed_and_rollback_in_dev_mode(project: Path) -> None:
    result = cli("migrate", "--dev")
    assert result.exit_code == 0, result.output
    assert "applied 2 migrations" in result.stdout
    assert "skipped in dev mode" in result.stderr

    status = json.loads(cli("status", "--dev", "--json").stdout)
    assert status["state"] == "up_to_date"
    assert status["current_version"] == "2"

    result = cli("seed", "--dev")
    assert result.exit_code == 0, result.output
    with closing(sqlite3.connect(project / "dev.db")) as db:
        rows = db.execute("SELECT email, updated_at IS NOT NULL FROM users").fetchall()
    assert rows == [("ada@example.com", 1)]

    result = cli("rollback", "--dev", "--steps", "1")
    assert result.exit_code == 0, result.output
    assert "0002_touch.sql:14: skipped in dev mode" in result.stderr
    with closing(sqlite3.connect(project / "dev.db")) as db:
        columns = [r[1] for r in db.execute("PRAGMA table_info(users)")]
    assert columns == ["id", "email", "created_at"]


def test_an_untranslatable_statement_fails_before_the_database_is_touched(
    project: Path,
) -> None:
    touch = project / "migrations" / "primary" / "0002_touch.sql"
    touch.write_text(TOUCH.replace("-- dbwarden: postgres-only\n", ""))
    result = cli("migrate", "--dev")
    assert result.exit_code == 2
    err = flat(result.stderr)
    assert "migrations/primary/0002_touch.sql:4" in err
    assert "CREATEFUNCTIONtouch()" in err
    assert "--dbwarden:postgres-only" in err
    assert not (project / "dev.db").exists()

    doc = json.loads(cli("migrate", "--dev", "--json").stdout)
    assert doc["error"]["type"] == "TranslationError"
    assert doc["error"]["line"] == 4


PROBE = """
import json, sys
sys.argv = ["dbwarden", *json.loads(sys.argv[1])]
from dbwarden.cli.app import main
code = 0
try:
    main()
except SystemExit as exc:
    code = exc.code
finally:
    sys.stderr.write("\\nPROBE=" + json.dumps({"code": code, "sqlglot": "sqlglot" in sys.modules}))
"""


def probe(args: list[str], cwd: Path, cache: Path) -> tuple[int, bool, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DBWARDEN_CONFIG", "ENVIRONMENT")}
    env["DBWARDEN_CACHE_DIR"] = str(cache)
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    at = proc.stderr.rindex("PROBE=")
    report = json.loads(proc.stderr[at + len("PROBE=") :])
    return report["code"], report["sqlglot"], proc.stdout + proc.stderr[:at]


@pytest.mark.slow
def test_sqlglot_is_imported_only_to_translate(project: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    code, sqlglot, output = probe(["--help"], project, cache)
    assert (code, sqlglot) == (0, False), output
    code, sqlglot, output = probe(["migrate", "--dev"], project, cache)
    assert (code, sqlglot) == (0, True), output
    code, sqlglot, output = probe(["rollback", "--dev"], project, cache)
    assert (code, sqlglot) == (0, False), output  # translations come from the disk cache
    code, sqlglot, output = probe(["migrate", "--dev", "--dry-run"], project, cache)
    assert (code, sqlglot) == (0, False), output
    assert "skipped in dev mode" in output
