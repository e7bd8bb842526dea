"""Seeds (tracked in dbwarden_seeds) and baseline, on real SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from dbwarden import database_config
from dbwarden.errors import MarkerError, MigrationFailedError, PlanError, UnknownVersionError
from dbwarden.parse import parse_text
from helpers import migration, query, tables, write_project

pytestmark = pytest.mark.anyio

MIGRATIONS = {
    "0001_roles.sql": migration(
        "CREATE TABLE roles (id integer PRIMARY KEY, name text NOT NULL);", "DROP TABLE roles;"
    ),
    "0002_users.sql": migration(
        "CREATE TABLE users (id integer PRIMARY KEY, role_id integer REFERENCES roles (id));",
        "DROP TABLE users;",
    ),
}


def write_seeds(root: Path, seeds: dict[str, str]) -> None:
    directory = root / "seeds" / "primary"
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in seeds.items():
        (directory / name).write_text(text)


ROLES = migration(
    "INSERT INTO roles (id, name) VALUES (1, 'admin'), (2, 'member');",
    "DELETE FROM roles WHERE id IN (1, 2);",
)


async def test_seed_after_migrations_and_status(tmp_path: Path, database_url: str) -> None:
    handle = write_project(tmp_path, database_url, MIGRATIONS, environ={})
    write_seeds(
        tmp_path,
        {
            "0001_roles.sql": ROLES,
            "0002_demo.sql": migration(
                "INSERT INTO users (id, role_id) VALUES (10, 2);",
                "DELETE FROM users WHERE id = 10;",
                header="-- dbwarden: env=development,test\n",
            ),
        },
    )
    with pytest.raises(PlanError, match="run `dbwarden migrate` before seeding"):
        await handle.runner.seed()
    await handle.runner.upgrade()

    result = await handle.runner.seed()
    assert [s.name for s in result.applied] == ["0001_roles"]
    assert any(
        "0002_demo.sql: skipped" in w and "ENVIRONMENT is not set" in w
        for w in result.plan.warnings
    )
    assert await query(database_url, "SELECT name FROM roles ORDER BY id") == [
        ("admin",),
        ("member",),
    ]
    assert (await handle.runner.seed()).applied == ()

    result = await handle.runner.seed(environment="test")
    assert [s.name for s in result.applied] == ["0002_demo"]
    status = await handle.runner.status()
    assert (status.seed_version, status.seeds_applied, status.seeds_pending) == ("2", 2, ())
    rows = await query(database_url, "SELECT version, name FROM dbwarden_seeds ORDER BY id")
    assert rows == [("1", "0001_roles"), ("2", "0002_demo")]
    # Seeds never show up in the migrations history.
    assert len(await handle.runner.history()) == 2


async def test_changed_seed_reported_then_rerun(tmp_path: Path, database_url: str) -> None:
    handle = write_project(tmp_path, database_url, MIGRATIONS, environ={})
    write_seeds(tmp_path, {"0001_roles.sql": ROLES})
    await handle.runner.upgrade()
    await handle.runner.seed()
    write_seeds(
        tmp_path,
        {
            "0001_roles.sql": migration(
                "INSERT INTO roles (id, name) VALUES (1, 'owner'), (2, 'member');",
                "DELETE FROM roles WHERE id IN (1, 2);",
            )
        },
    )
    status = await handle.runner.status()
    assert [m.name for m in status.seeds_changed] == ["0001_roles"]
    result = await handle.runner.seed()
    assert result.applied == ()
    assert any("--rerun-changed" in w for w in result.plan.warnings)

    dry = await handle.runner.seed(rerun_changed=True, dry_run=True)
    assert dry.sql.index("DELETE FROM roles WHERE id IN (1, 2);") < dry.sql.index(
        "INSERT INTO roles (id, name) VALUES (1, 'owner'), (2, 'member');"
    )
    result = await handle.runner.seed(rerun_changed=True)
    assert [(s.name, s.action) for s in result.applied] == [("0001_roles", "reseed")]
    assert await query(database_url, "SELECT name FROM roles ORDER BY id") == [
        ("owner",),
        ("member",),
    ]
    assert (await handle.runner.status()).seeds_changed == ()


async def test_failing_seed_records_nothing(tmp_path: Path, database_url: str) -> None:
    handle = write_project(tmp_path, database_url, MIGRATIONS, environ={})
    write_seeds(
        tmp_path,
        {
            "0001_roles.sql": ROLES,
            "0002_bad.sql": migration(
                "INSERT INTO roles (id, name) VALUES (3, 'x');\nINSERT INTO roles (id, name) VALUES (1, 'dup');",
                "DELETE FROM roles WHERE id = 3;",
            ),
        },
    )
    await handle.runner.upgrade()
    with pytest.raises(MigrationFailedError) as info:
        await handle.runner.seed()
    assert info.value.path is not None and info.value.path.name == "0002_bad.sql"
    assert info.value.line == 3
    assert await query(database_url, "SELECT name FROM dbwarden_seeds") == [("0001_roles",)]
    assert await query(database_url, "SELECT count(*) FROM roles WHERE id = 3") == [(0,)]


def test_env_directive_with_unknown_name_is_an_error() -> None:
    with pytest.raises(MarkerError, match="unknown environment moon") as info:
        parse_text(
            "-- dbwarden: env=development,moon\n-- upgrade\nSELECT 1;\n-- rollback\n",
            "seeds/primary/0001_x.sql",
            "sqlite",
        )
    assert info.value.line == 1


async def test_baseline_adopts_an_existing_database(tmp_path: Path, database_url: str) -> None:
    files = {
        **MIGRATIONS,
        "0003_posts.sql": migration("CREATE TABLE posts (id integer);", "DROP TABLE posts;"),
    }
    handle = write_project(tmp_path, database_url, files)
    # The database was built by hand (or by another tool) up to 0002.
    await query(database_url, "SELECT 1")  # creates the SQLite file
    other = database_config(
        "setup",
        database_url=database_url,
        base_dir=tmp_path,
        migrations_dir=tmp_path / "migrations" / "primary",
    )
    await other.runner.upgrade(target=2)
    for table in ("dbwarden_migrations", "dbwarden_lock"):
        await query(database_url, f"DROP TABLE IF EXISTS {table}")
    assert {"roles", "users"} <= await tables(database_url)

    with pytest.raises(UnknownVersionError, match="last file is version 3"):
        await handle.runner.baseline(9)
    result = await handle.runner.baseline(2)
    assert [s.name for s in result.applied] == ["0001_roles", "0002_users"]
    history = await handle.runner.history()
    assert [r.baselined for r in history] == [True, True]
    assert "roles" in await tables(database_url)

    with pytest.raises(PlanError, match="already has 2 history row"):
        await handle.runner.baseline(2)
    applied = await handle.runner.upgrade()
    assert [s.name for s in applied.applied] == ["0003_posts"]
    assert [r.baselined for r in await handle.runner.history()] == [True, True, False]
