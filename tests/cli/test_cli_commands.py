"""migrate / status / history / rollback / verify / repair on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .cli_helpers import Invoke, Project, data, flat, query, tables


def three(project: Project) -> None:
    project.migration(
        "0001_create_users.sql",
        "CREATE TABLE users (id integer PRIMARY KEY, email text NOT NULL);",
        "DROP TABLE users;",
    )
    project.migration(
        "0002_create_posts.sql",
        "CREATE TABLE posts (id integer PRIMARY KEY, user_id integer);",
        "DROP TABLE posts;",
    )
    project.migration(
        "0003_posts_index.sql",
        "CREATE INDEX posts_user ON posts (user_id);",
        "DROP INDEX posts_user;",
    )


def test_migrate_status_history_rollback_json(cli: Invoke, project: Project) -> None:
    three(project)

    result = cli("migrate", "--json")
    assert result.exit_code == 0, result.output
    doc = data(result)
    assert doc["database"] == "primary"
    assert doc["ok"] is True
    assert doc["dry_run"] is False
    assert doc["plan"]["direction"] == "upgrade"
    assert doc["plan"]["state"] == "pending"
    assert doc["plan"]["current_version"] is None
    assert [s["name"] for s in doc["plan"]["steps"]] == [
        "0001_create_users",
        "0002_create_posts",
        "0003_posts_index",
    ]
    assert doc["plan"]["steps"][0]["path"].endswith("0001_create_users.sql")
    assert [a["version"] for a in doc["applied"]] == ["1", "2", "3"]
    assert all(a["action"] == "apply" and a["kind"] == "versioned" for a in doc["applied"])
    assert all(isinstance(a["duration_ms"], int) for a in doc["applied"])
    assert doc["applied"][0]["statements"] == 1
    assert doc["sql"] == []
    assert {"users", "posts"} <= tables(project)

    status = data(cli("status", "--json"))
    assert status["state"] == "up_to_date"
    assert status["ok"] is True
    assert status["current_version"] == "3"
    assert status["applied_count"] == 3
    assert status["pending"] == []
    assert status["mismatches"] == []
    assert status["missing"] == []
    assert status["ahead"] == []
    assert status["lock_holder"] is None
    assert status["errors"] == []

    history = data(cli("history", "--json"))
    assert history["database"] == "primary"
    rows = history["rows"]
    assert [r["version"] for r in rows] == ["1", "2", "3"]
    assert rows[0]["name"] == "0001_create_users"
    assert rows[0]["kind"] == "versioned"
    assert rows[0]["checksum"].startswith("sha256:")
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", rows[0]["applied_at"])
    assert "@" in rows[0]["applied_by"]

    result = cli("rollback", "--json")
    assert result.exit_code == 0, result.output
    doc = data(result)
    assert doc["plan"]["direction"] == "rollback"
    assert [(a["version"], a["action"]) for a in doc["applied"]] == [("3", "rollback")]
    status = data(cli("status", "--json"))
    assert status["state"] == "pending"
    assert status["current_version"] == "2"
    assert [p["name"] for p in status["pending"]] == ["0003_posts_index"]

    doc = data(cli("rollback", "--to", "1", "--json"))
    assert [a["version"] for a in doc["applied"]] == ["2"]
    assert "posts" not in tables(project)

    doc = data(cli("migrate", "--to", "2", "--json"))
    assert [a["version"] for a in doc["applied"]] == ["2"]
    assert doc["plan"]["target_version"] == "2"

    doc = data(cli("migrate", "--json"))  # re-apply what was rolled back
    assert [a["version"] for a in doc["applied"]] == ["3"]
    doc = data(cli("migrate", "--json"))
    assert doc["plan"]["state"] == "up_to_date"
    assert doc["applied"] == []
    history = data(cli("history", "--json"))
    assert [r["version"] for r in history["rows"]] == ["1", "2", "3"]


def test_human_output(cli: Invoke, project: Project) -> None:
    three(project)
    result = cli("migrate")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert re.match(r"applied\s+0001_create_users\s+\d+ ms$", lines[0])
    assert "now at version 3" in result.stdout
    result = cli("migrate")
    assert result.exit_code == 0
    assert "up to date (version 3)" in result.stdout

    result = cli("status")
    assert result.exit_code == 0
    out = flat(result.stdout)
    assert "primary" in out
    assert "up_to_date" in out

    result = cli("history")
    assert result.exit_code == 0
    assert "0003_posts_index" in flat(result.stdout)
    assert "sha256:" in result.stdout

    result = cli("rollback", "--steps", "2")
    assert result.exit_code == 0, result.output
    assert "rolled back 2 migrations" in result.stdout
    assert re.search(r"rolled back\s+0003_posts_index", result.stdout)


def test_dry_run_writes_nothing(cli: Invoke, project: Project) -> None:
    three(project)
    result = cli("migrate", "--dry-run")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "CREATE TABLE users (id integer PRIMARY KEY, email text NOT NULL);" in out
    assert "CREATE INDEX posts_user ON posts (user_id);" in out
    assert "INSERT INTO dbwarden_migrations" in out
    assert "CREATE TABLE IF NOT EXISTS dbwarden_migrations" in out
    assert out.index("0001_create_users") < out.index("0003_posts_index")
    assert "nothing was written" in out

    doc = data(cli("migrate", "--dry-run", "--json"))
    assert doc["dry_run"] is True
    assert [s["version"] for s in doc["plan"]["steps"]] == ["1", "2", "3"]
    assert doc["applied"] == []
    assert any("INSERT INTO dbwarden_migrations" in s for s in doc["sql"])

    if project.sqlite_file is not None:
        assert not project.sqlite_file.exists()  # not even created
    else:
        assert tables(project) == set()  # no tracking table, no schema change


def test_rollback_dry_run(cli: Invoke, project: Project) -> None:
    three(project)
    assert cli("migrate").exit_code == 0
    result = cli("rollback", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "DROP INDEX posts_user;" in result.stdout
    assert "DELETE FROM dbwarden_migrations" in result.stdout
    assert data(cli("status", "--json"))["current_version"] == "3"


def test_tampered_checksum_then_repair(cli: Invoke, project: Project) -> None:
    three(project)
    assert cli("migrate").exit_code == 0
    path = project.migrations / "0002_create_posts.sql"
    path.write_text(path.read_text().replace("user_id integer", "user_id bigint"))

    result = cli("migrate")
    assert result.exit_code == 2
    assert "0002_create_posts.sql" in flat(result.stderr)
    assert "dbwarden repair" in flat(result.stderr)

    result = cli("status", "--json")
    assert result.exit_code == 0  # a report, not a check
    status = data(result)
    assert status["state"] == "error"
    assert status["ok"] is False
    assert [m["name"] for m in status["mismatches"]] == ["0002_create_posts"]
    assert cli("status").exit_code == 0

    result = cli("verify")
    assert result.exit_code == 2
    assert "0002_create_posts.sql" in flat(result.stderr)

    doc = data(cli("repair", "--dry-run", "--json"))
    assert doc["repaired"] == ["0002_create_posts"]
    assert cli("verify").exit_code == 2  # the dry run changed nothing

    result = cli("repair")
    assert result.exit_code == 0, result.output
    assert "0002_create_posts" in result.stdout
    assert cli("migrate").exit_code == 0
    result = cli("verify")
    assert result.exit_code == 0
    assert "3 applied migrations match" in result.stdout
    assert "nothing to repair" in cli("repair").stdout


def test_failing_migration(cli: Invoke, project: Project) -> None:
    project.migration("0001_ok.sql", "CREATE TABLE ok_table (id integer);", "DROP TABLE ok_table;")
    assert cli("migrate").exit_code == 0
    project.raw(
        "0002_bad.sql",
        "-- breaks on its third statement\n"
        "-- upgrade\n"
        "CREATE TABLE half_done (id integer);\n"
        "INSERT INTO half_done VALUES (1);\n"
        "INSERT INTO no_such_table VALUES (1);\n"
        "\n-- rollback\nDROP TABLE half_done;\n",
    )
    result = cli("migrate")
    assert result.exit_code == 1
    err = flat(result.stderr)
    assert "migrations/primary/0002_bad.sql:5" in err
    assert "no_such_table" in err
    assert "Traceback" not in result.output

    assert "half_done" not in tables(project)  # rolled back as a whole
    history = data(cli("history", "--json"))
    assert [r["version"] for r in history["rows"]] == ["1"]

    result = cli("migrate", "--json")
    assert result.exit_code == 1
    doc = data(result)
    assert doc["ok"] is False
    assert doc["error"]["type"] == "MigrationFailedError"
    assert doc["error"]["line"] == 5
    assert doc["error"]["path"].endswith("0002_bad.sql")
    assert doc["error"]["exit_code"] == 1


def test_database_ahead_of_code(cli: Invoke, project: Project) -> None:
    three(project)
    assert cli("migrate").exit_code == 0
    (project.migrations / "0003_posts_index.sql").unlink()  # an older release's checkout
    result = cli("migrate")
    assert result.exit_code == 0, result.output
    assert "ahead" in result.stdout
    assert "newer release" in result.stdout
    doc = data(cli("migrate", "--json"))
    assert doc["plan"]["state"] == "ahead"
    assert doc["plan"]["ahead_versions"] == ["3"]
    status = data(cli("status", "--json"))
    assert status["state"] == "ahead"
    assert [r["version"] for r in status["ahead"]] == ["3"]


def test_irreversible_rollback_is_refused(cli: Invoke, project: Project) -> None:
    project.migration(
        "0001_drop.sql",
        "CREATE TABLE gone (id integer);",
        None,
        header="-- dbwarden: irreversible",
    )
    assert cli("migrate").exit_code == 0
    result = cli("rollback")
    assert result.exit_code == 2
    assert "irreversible" in flat(result.stderr)
    assert "gone" in tables(project)


def test_out_of_order(cli: Invoke, project: Project) -> None:
    project.migration("0002_b.sql", "CREATE TABLE b (id integer);", "DROP TABLE b;")
    assert cli("migrate").exit_code == 0
    project.migration("0001_a.sql", "CREATE TABLE a (id integer);", "DROP TABLE a;")
    result = cli("migrate")
    assert result.exit_code == 2
    assert "0001_a.sql" in flat(result.stderr)
    result = cli("migrate", "--allow-out-of-order")
    assert result.exit_code == 0, result.output
    assert "a" in tables(project)


def test_unknown_target(cli: Invoke, project: Project) -> None:
    three(project)
    result = cli("migrate", "--to", "42")
    assert result.exit_code == 2
    assert "42" in flat(result.stderr)


def test_verify_ok_with_pending(cli: Invoke, project: Project) -> None:
    three(project)
    assert cli("migrate", "--to", "1").exit_code == 0
    result = cli("verify", "--json")
    assert result.exit_code == 0
    doc = data(result)
    assert doc == {
        "database": "primary",
        "ok": True,
        "current_version": "1",
        "applied_count": 1,
        "pending_count": 2,
    }


@pytest.mark.parametrize(
    "args",
    [
        ("migrate", "-d", "primary", "--all"),
        ("status", "-d", "primary", "--all"),
        ("rollback", "--steps", "1", "--to", "0"),
        ("rollback", "--steps", "0"),
        ("migrate", "--concurrency", "0"),
        ("migrate", "--no-such-flag"),
        ("frobnicate",),
    ],
)
def test_usage_errors_exit_2(cli: Invoke, sqlite_project: Project, args: tuple[str, ...]) -> None:
    result = cli(*args)
    assert result.exit_code == 2
    assert sqlite_project.sqlite_file is not None
    assert not sqlite_project.sqlite_file.exists()


def test_many_steps_with_a_progress_bar(
    cli: Invoke, sqlite_project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dbwarden.cli import render

    monkeypatch.setattr(render, "is_terminal", lambda err=False: True)
    for i in range(1, 8):
        sqlite_project.migration(f"{i:04d}_t{i}.sql", f"CREATE TABLE t{i} (id integer);")
    result = cli("migrate")
    assert result.exit_code == 0, result.output
    assert "applied 7 migrations, now at version 7" in result.stdout
    assert "7/7" in result.stdout  # the finished bar
    assert {f"t{i}" for i in range(1, 8)} <= tables(sqlite_project)


def test_many_steps_off_a_terminal_print_lines(cli: Invoke, sqlite_project: Project) -> None:
    for i in range(1, 8):
        sqlite_project.migration(f"{i:04d}_t{i}.sql", f"CREATE TABLE t{i} (id integer);")
    result = cli("migrate")
    assert result.exit_code == 0, result.output
    assert len(re.findall(r"^applied\s+\d{4}_t\d", result.stdout, re.M)) == 7


def test_dev_mode_uses_the_dev_url(cli: Invoke, sqlite_project: Project, tmp_path: Path) -> None:
    dev_file = tmp_path / "dev.db"
    sqlite_project.write_config(dev_database_url=f"sqlite:///{dev_file}")
    sqlite_project.migration("0001_a.sql", "CREATE TABLE a (id integer);", "DROP TABLE a;")
    result = cli("migrate", "--dev")
    assert result.exit_code == 0, result.output
    assert dev_file.exists()
    assert sqlite_project.sqlite_file is not None
    assert not sqlite_project.sqlite_file.exists()
    assert data(cli("status", "--dev", "--json"))["current_version"] == "1"
    assert data(cli("status", "--json"))["current_version"] is None
    assert [r["version"] for r in data(cli("history", "--dev", "--json"))["rows"]] == ["1"]
    assert cli("rollback", "--dev").exit_code == 0
    assert data(cli("history", "--dev", "--json"))["rows"] == []


def test_dev_mode_without_a_dev_url(cli: Invoke, sqlite_project: Project) -> None:
    result = cli("migrate", "--dev")
    assert result.exit_code == 2
    assert "dev_database_url" in flat(result.stderr)


def test_migrate_all(cli: Invoke, sqlite_project: Project, tmp_path: Path) -> None:
    sqlite_project.databases["analytics"] = f"sqlite:///{tmp_path / 'analytics.db'}"
    sqlite_project.databases["billing"] = f"sqlite:///{tmp_path / 'billing.db'}"
    sqlite_project.write_config()
    sqlite_project.migration("0001_a.sql", "CREATE TABLE a (id integer);")
    sqlite_project.migration("0001_e.sql", "CREATE TABLE e (id integer);", database="analytics")
    sqlite_project.migration("0002_f.sql", "CREATE TABLE f (id integer);", database="analytics")
    sqlite_project.raw("0001_broken.sql", "-- upgrade\nSELECT 1;\n", database="billing")

    result = cli("migrate", "--all", "--concurrency", "2")
    assert result.exit_code == 2  # the worst of 0, 0, 2
    assert re.search(r"\[primary\] applied 1 migration", result.stdout)
    assert re.search(r"\[analytics\] applied 2 migrations", result.stdout)
    assert "billing" in result.stderr
    assert "0001_broken.sql" in flat(result.stderr)

    result = cli("migrate", "--all", "--json")
    assert result.exit_code == 2
    doc = data(result)
    assert doc["ok"] is False
    by_name = {d["database"]: d for d in doc["databases"]}
    assert list(by_name) == ["primary", "analytics", "billing"]
    assert by_name["primary"]["ok"] is True
    assert by_name["primary"]["plan"]["state"] == "up_to_date"
    assert by_name["billing"]["ok"] is False
    assert by_name["billing"]["error"]["type"] == "MarkerError"

    doc = data(cli("status", "--all", "--json"))
    states = {d["database"]: d.get("state") for d in doc["databases"]}
    assert states == {"primary": "up_to_date", "analytics": "up_to_date", "billing": None}
    assert doc["ok"] is False

    (tmp_path / "proj" / "migrations" / "billing" / "0001_broken.sql").unlink()
    result = cli("migrate", "--all")
    assert result.exit_code == 0, result.output
    assert "[billing] up to date" in result.stdout
    result = cli("status", "--all")
    assert result.exit_code == 0
    for name in ("primary", "analytics", "billing"):
        assert name in result.stdout


def test_migrate_all_dry_run(cli: Invoke, sqlite_project: Project, tmp_path: Path) -> None:
    sqlite_project.databases["analytics"] = f"sqlite:///{tmp_path / 'analytics.db'}"
    sqlite_project.write_config()
    sqlite_project.migration("0001_a.sql", "CREATE TABLE a (id integer);")
    sqlite_project.migration("0001_e.sql", "CREATE TABLE e (id integer);", database="analytics")
    result = cli("migrate", "--all", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "CREATE TABLE a (id integer);" in result.stdout
    assert "CREATE TABLE e (id integer);" in result.stdout
    assert not (tmp_path / "analytics.db").exists()
    assert sqlite_project.sqlite_file is not None
    assert not sqlite_project.sqlite_file.exists()


def test_runs_always_and_on_change(cli: Invoke, project: Project) -> None:
    project.migration("0001_t.sql", "CREATE TABLE t (id integer);", "DROP TABLE t;")
    project.raw("ROC__view.sql", "-- upgrade\nCREATE VIEW v AS SELECT id FROM t;\n")
    doc = data(cli("migrate", "--json"))
    assert [(a["name"], a["kind"]) for a in doc["applied"]] == [
        ("0001_t", "versioned"),
        ("ROC__view", "runs_on_change"),
    ]
    assert data(cli("migrate", "--json"))["applied"] == []
    project.raw(
        "ROC__view.sql", "-- upgrade\nDROP VIEW v;\nCREATE VIEW v AS SELECT id, id AS x FROM t;\n"
    )
    doc = data(cli("migrate", "--json"))
    assert [(a["name"], a["action"]) for a in doc["applied"]] == [("ROC__view", "reapply")]
    assert query(project, "SELECT count(*) FROM dbwarden_migrations")[0][0] == 2
