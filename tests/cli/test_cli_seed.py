"""`dbwarden seed`, `dbwarden baseline`, and how status/history show them."""

from __future__ import annotations

import json

from .cli_helpers import Invoke, Project, query


def _seed(project: Project, name: str, text: str) -> None:
    directory = project.root / "seeds" / "primary"
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_text(text)


def test_seed_command(cli: Invoke, project: Project) -> None:
    project.migration(
        "0001_roles.sql",
        "CREATE TABLE roles (id integer PRIMARY KEY, name text);",
        "DROP TABLE roles;",
    )
    _seed(
        project,
        "0001_roles.sql",
        "-- upgrade\nINSERT INTO roles VALUES (1, 'admin');\n-- rollback\nDELETE FROM roles;\n",
    )
    _seed(
        project,
        "0002_demo.sql",
        "-- dbwarden: env=development\n-- upgrade\nINSERT INTO roles VALUES (2, 'demo');\n"
        "-- rollback\nDELETE FROM roles WHERE id = 2;\n",
    )

    early = cli("seed")
    assert early.exit_code == 2 and "dbwarden migrate" in early.output
    assert cli("migrate").exit_code == 0
    done = cli("seed")
    assert done.exit_code == 0, done.output
    assert "applied 1 seed" in done.output and "0002_demo.sql: skipped" in done.output
    assert query(project, "SELECT id FROM roles ORDER BY id") == [(1,)]

    dev = cli("seed", "--env", "development", "--json")
    doc = json.loads(dev.stdout)
    assert [a["name"] for a in doc["applied"]] == ["0002_demo"]
    status = json.loads(cli("status", "--json").stdout)
    assert status["seeds"]["version"] == "2" and status["seeds"]["applied_count"] == 2

    _seed(
        project,
        "0001_roles.sql",
        "-- upgrade\nINSERT INTO roles VALUES (1, 'owner');\n-- rollback\nDELETE FROM roles WHERE id = 1;\n",
    )
    assert len(json.loads(cli("status", "--json").stdout)["seeds"]["changed"]) == 1
    assert "changed" in cli("status").output
    assert "--rerun-changed" in cli("seed").output
    rerun = cli("seed", "--rerun-changed")
    assert rerun.exit_code == 0, rerun.output
    assert query(project, "SELECT name FROM roles ORDER BY id") == [("owner",), ("demo",)]


def test_baseline_command(cli: Invoke, project: Project) -> None:
    project.migration("0001_a.sql", "CREATE TABLE a (id integer);", "DROP TABLE a;")
    project.migration("0002_b.sql", "CREATE TABLE b (id integer);", "DROP TABLE b;")
    beyond = cli("baseline", "--version", "7")
    assert beyond.exit_code == 2 and "last file is version 2" in beyond.output
    ok = cli("baseline", "--version", "1")
    assert ok.exit_code == 0, ok.output
    assert "nothing was run" in ok.output
    again = cli("baseline", "--version", "1")
    assert again.exit_code == 2 and "already has 1 history row" in again.output
    rows = json.loads(cli("history", "--json").stdout)["rows"]
    assert [(r["version"], r["baselined"]) for r in rows] == [("1", True)]
    assert "(baseline)" in cli("history").output
    migrated = cli("migrate")
    assert migrated.exit_code == 0, migrated.output
    assert query(project, "SELECT count(*) FROM b") == [(0,)]
