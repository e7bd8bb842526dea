"""The runner against real SQLite files and real PostgreSQL databases."""

from __future__ import annotations

from pathlib import Path

import pytest

from dbwarden import Runner
from dbwarden.errors import (
    ChecksumMismatchError,
    MigrationFailedError,
    MissingFileError,
)
from dbwarden.events import Event, PlanMade, StepApplied, StepStarted
from helpers import migration, query, tables, write_project

pytestmark = pytest.mark.anyio

TRACKING = {"dbwarden_migrations", "dbwarden_lock"}

FILES = {
    "0001_users.sql": migration(
        "CREATE TABLE users (id integer PRIMARY KEY, email text NOT NULL);",
        "DROP TABLE users;",
    ),
    "0002_posts.sql": migration(
        """
        CREATE TABLE posts (id integer PRIMARY KEY, user_id integer REFERENCES users (id),
                            title text NOT NULL);
        CREATE INDEX posts_user ON posts (user_id);
        INSERT INTO users (id, email) VALUES (1, 'semi;colon@example.com');
        """,
        "DROP VIEW IF EXISTS user_posts;\nDROP TABLE posts;\nDELETE FROM users WHERE id = 1;",
    ),
    "0010_posts_body.sql": migration(
        "ALTER TABLE posts ADD COLUMN body text;",
        "DROP VIEW IF EXISTS user_posts;\nALTER TABLE posts DROP COLUMN body;",
    ),
    "RA__views.sql": migration(
        "DROP VIEW IF EXISTS user_posts;\n"
        "CREATE VIEW user_posts AS SELECT u.email, p.title FROM users u JOIN posts p ON p.user_id = u.id;",
        None,
    ),
}


def user_tables(found: set[str]) -> set[str]:
    return found - TRACKING


async def test_apply_status_rollback_reapply(tmp_path: Path, database_url: str) -> None:
    handle = write_project(tmp_path, database_url, FILES)
    seen: list[Event] = []
    runner = Runner(handle, events=[seen.append])

    result = await runner.upgrade()
    assert [s.name for s in result.applied] == [
        "0001_users",
        "0002_posts",
        "0010_posts_body",
        "RA__views",
    ]
    assert user_tables(await tables(database_url)) == {"users", "posts", "user_posts"}
    assert await query(database_url, "SELECT email FROM users") == [("semi;colon@example.com",)]
    kinds = [type(e) for e in seen]
    assert kinds.count(StepStarted) == kinds.count(StepApplied) == 4
    assert isinstance(seen[0], PlanMade) or PlanMade in kinds

    status = await runner.status()
    assert status.state == "up_to_date"
    assert status.current_version == "10"
    assert [r.version for r in status.applied] == ["1", "2", "10", None]
    assert status.pending == ()
    assert status.lock_holder is None
    assert all(r.checksum.startswith("sha256:") and r.applied_by for r in status.applied)

    rolled = await runner.rollback()
    assert [s.name for s in rolled.applied] == ["0010_posts_body"]
    rolled = await runner.rollback(to=0)
    assert [s.name for s in rolled.applied] == ["0002_posts", "0001_users"]
    assert user_tables(await tables(database_url)) == set()
    history = await runner.history()
    assert [r.name for r in history] == ["RA__views"]  # repeatables are never rolled back

    status = await runner.status()
    assert status.state == "pending"
    assert [f.name for f in status.pending] == ["0001_users", "0002_posts", "0010_posts_body"]

    again = await runner.upgrade(target="2")
    assert [s.name for s in again.applied] == ["0001_users", "0002_posts"]
    again = await runner.upgrade()
    assert [s.name for s in again.applied] == ["0010_posts_body", "RA__views"]
    assert user_tables(await tables(database_url)) == {"users", "posts", "user_posts"}
    history = await runner.history()
    assert sorted(r.name for r in history) == [
        "0001_users",
        "0002_posts",
        "0010_posts_body",
        "RA__views",
    ]


async def test_dry_run_writes_nothing(tmp_path: Path, database_url: str) -> None:
    handle = write_project(tmp_path, database_url, FILES)
    result = await handle.runner.upgrade(dry_run=True)
    assert result.dry_run
    assert [s.name for s in result.plan.steps] == [
        "0001_users",
        "0002_posts",
        "0010_posts_body",
        "RA__views",
    ]
    sql = "\n".join(result.sql)
    assert "CREATE TABLE IF NOT EXISTS dbwarden_migrations" in sql
    assert "CREATE TABLE users (id integer PRIMARY KEY, email text NOT NULL);" in sql
    assert "INSERT INTO dbwarden_migrations" in sql and "'0001_users'" in sql
    assert sql.index("CREATE TABLE users") < sql.index("CREATE TABLE posts")
    assert await tables(database_url) == set()  # not even the tracking tables
    if database_url.startswith("sqlite"):
        assert not Path(database_url.removeprefix("sqlite:///")).exists()

    await handle.runner.upgrade(target=1)
    result = await handle.runner.upgrade(dry_run=True)
    assert "CREATE TABLE IF NOT EXISTS" not in "\n".join(result.sql)
    assert await query(database_url, "SELECT count(*) FROM dbwarden_migrations") == [(1,)]
    rollback = await handle.runner.rollback(dry_run=True)
    assert "DROP TABLE users;" in rollback.sql and any(
        s.startswith("DELETE FROM dbwarden_migrations") for s in rollback.sql
    )
    assert user_tables(await tables(database_url)) == {"users"}


async def test_tampered_checksum_refused_then_repaired(tmp_path: Path, database_url: str) -> None:
    handle = write_project(tmp_path, database_url, FILES)
    await handle.runner.upgrade()
    path = tmp_path / "migrations" / "primary" / "0001_users.sql"
    path.write_text(path.read_text().replace("email text NOT NULL", "email text"))
    # A CRLF checkout of another file changes nothing.
    other = tmp_path / "migrations" / "primary" / "0002_posts.sql"
    other.write_bytes(other.read_bytes().replace(b"\n", b"\r\n"))

    with pytest.raises(ChecksumMismatchError) as info:
        await handle.runner.upgrade()
    assert info.value.path == path and info.value.version == "1"
    status = await handle.runner.status()
    assert status.state == "error" and [m.name for m in status.mismatches] == ["0001_users"]

    repaired = await handle.runner.repair()
    assert repaired.repaired == ("0001_users",)
    await handle.runner.verify()
    result = await handle.runner.upgrade()
    assert [s.name for s in result.applied] == ["RA__views"]


async def test_failing_migration_leaves_schema_and_history_as_they_were(
    tmp_path: Path, database_url: str
) -> None:
    files = dict(FILES)
    files["0011_broken.sql"] = migration(
        "CREATE TABLE audit (id integer PRIMARY KEY);\n"
        "INSERT INTO audit (id) VALUES (1);\n"
        "INSERT INTO no_such_table (id) VALUES (1);\n",
        "DROP TABLE audit;",
    )
    handle = write_project(tmp_path, database_url, files)
    with pytest.raises(MigrationFailedError) as info:
        await handle.runner.upgrade()
    err = info.value
    assert err.path == tmp_path / "migrations" / "primary" / "0011_broken.sql"
    assert err.line == 4
    assert err.statement == "INSERT INTO no_such_table (id) VALUES (1)"
    assert "no_such_table" in err.db_message
    assert "0011_broken.sql:4" in str(err)
    assert "audit" not in await tables(database_url)
    status = await handle.runner.status()
    assert status.current_version == "10"
    assert [f.name for f in status.pending] == ["0011_broken"]


async def test_runtime_error_without_position_is_located(tmp_path: Path, database_url: str) -> None:
    # A constraint violation carries no position in PostgreSQL; the runner still names it.
    files = {
        "0001_a.sql": migration(
            "CREATE TABLE a (id integer PRIMARY KEY);\n"
            "INSERT INTO a VALUES (1);\n"
            "\n"
            "INSERT INTO a VALUES (1);\n"
            "INSERT INTO a VALUES (2);\n",
            "DROP TABLE a;",
        )
    }
    handle = write_project(tmp_path, database_url, files)
    with pytest.raises(MigrationFailedError) as info:
        await handle.runner.upgrade()
    assert info.value.line == 5
    assert info.value.statement == "INSERT INTO a VALUES (1)"
    assert await tables(database_url) == {"dbwarden_migrations"} | (
        {"dbwarden_lock"} if database_url.startswith("sqlite") else set()
    )


async def test_no_transaction_failure_reports_what_ran(tmp_path: Path, database_url: str) -> None:
    files = {
        "0001_a.sql": migration(
            "CREATE TABLE a (id integer PRIMARY KEY);\nCREATE TABLE a (id integer);\n",
            "DROP TABLE a;",
            header="-- dbwarden: no-transaction\n",
        )
    }
    handle = write_project(tmp_path, database_url, files)
    with pytest.raises(MigrationFailedError) as info:
        await handle.runner.upgrade()
    assert info.value.applied_statements == 1
    assert not info.value.transactional
    assert "1 statement(s) before the failing one stay applied" in str(info.value)
    assert "a" in await tables(database_url)
    assert await handle.runner.history() == ()


async def test_database_ahead_of_code(tmp_path: Path, database_url: str) -> None:
    handle = write_project(tmp_path, database_url, FILES)
    await handle.runner.upgrade()
    # An older release: it does not know 0010 yet.
    (tmp_path / "migrations" / "primary" / "0010_posts_body.sql").unlink()
    result = await handle.runner.upgrade()
    assert result.state == "ahead" and result.applied == ()
    status = await handle.runner.status()
    assert status.state == "ahead" and status.ok
    assert [r.version for r in status.ahead] == ["10"]
    # A deleted file *below* the newest one is an error, not a state.
    (tmp_path / "migrations" / "primary" / "0001_users.sql").unlink()
    (tmp_path / "migrations" / "primary" / "0010_posts_body.sql").write_text(
        FILES["0010_posts_body.sql"]
    )
    with pytest.raises(MissingFileError):
        await handle.runner.upgrade()


async def test_runs_on_change_reapplied_only_when_changed(
    tmp_path: Path, database_url: str
) -> None:
    files = {
        "0001_t.sql": migration("CREATE TABLE t (v integer);", "DROP TABLE t;"),
        "ROC__fill.sql": migration("DELETE FROM t;\nINSERT INTO t VALUES (1);", None),
    }
    handle = write_project(tmp_path, database_url, files)
    assert [s.name for s in (await handle.runner.upgrade()).applied] == ["0001_t", "ROC__fill"]
    assert (await handle.runner.upgrade()).applied == ()
    (tmp_path / "migrations" / "primary" / "ROC__fill.sql").write_text(
        migration("DELETE FROM t;\nINSERT INTO t VALUES (2);", None)
    )
    result = await handle.runner.upgrade()
    assert [(s.name, s.action) for s in result.applied] == [("ROC__fill", "reapply")]
    assert await query(database_url, "SELECT v FROM t") == [(2,)]
    rows = [r for r in await handle.runner.history() if r.version is None]
    assert len(rows) == 1


async def test_timestamp_versions_are_text(tmp_path: Path, database_url: str) -> None:
    files = {
        "20261122021800_a.sql": migration("CREATE TABLE a (id integer);", "DROP TABLE a;"),
        "99999999999999999999_b.sql": migration("CREATE TABLE b (id integer);", "DROP TABLE b;"),
    }
    handle = write_project(tmp_path, database_url, files)
    await handle.runner.upgrade()
    assert [r.version for r in await handle.runner.history()] == [
        "20261122021800",
        "99999999999999999999",
    ]
    assert (await handle.runner.status()).current_version == "99999999999999999999"


async def test_runner_on_a_sqlalchemy_connection(tmp_path: Path, database_url: str) -> None:
    from sqlalchemy.ext.asyncio import create_async_engine

    handle = write_project(tmp_path, database_url, FILES)
    engine = create_async_engine(handle.async_url())
    try:
        async with engine.connect() as conn:
            result = await Runner(handle, connection=conn).upgrade()
            assert len(result.applied) == 4
            status = await Runner(handle, connection=conn).status()
            assert status.state == "up_to_date"
    finally:
        await engine.dispose()
    assert user_tables(await tables(database_url)) == {"users", "posts", "user_posts"}


async def test_syntax_error_position_maps_to_file_line(tmp_path: Path, database_url: str) -> None:
    files = {
        "0001_a.sql": migration(
            "CREATE TABLE a (id integer PRIMARY KEY);\n\n-- a comment; with a semicolon\n"
            "INSERT INTO a VALUES (1);\nSELEC 1;\nINSERT INTO a VALUES (2);\n",
            "DROP TABLE a;",
        )
    }
    handle = write_project(tmp_path, database_url, files)
    with pytest.raises(MigrationFailedError) as info:
        await handle.runner.upgrade()
    assert (info.value.line, info.value.statement) == (6, "SELEC 1")
    assert "syntax error" in info.value.db_message.lower()


@pytest.mark.postgres
async def test_tracking_table_in_a_configured_schema(tmp_path: Path, pg_database: str) -> None:
    handle = write_project(tmp_path, pg_database, FILES, schema="ops")
    await handle.runner.upgrade()
    rows = await query(
        pg_database,
        "SELECT table_schema FROM information_schema.tables WHERE table_name = 'dbwarden_migrations'",
    )
    assert rows == [("ops",)]
    assert (await handle.runner.status()).current_version == "10"
    assert [s.name for s in (await handle.runner.rollback()).applied] == ["0010_posts_body"]


async def test_run_finished_reports_the_new_current_version(
    tmp_path: Path, sqlite_url: str
) -> None:
    from dbwarden.events import RunFinished

    handle = write_project(tmp_path, sqlite_url, FILES)
    seen: list[Event] = []
    runner = Runner(handle, events=[seen.append])
    await runner.upgrade()
    await runner.rollback()
    await runner.rollback(steps=2)
    finished = [e for e in seen if isinstance(e, RunFinished)]
    assert [(e.direction, e.current_version) for e in finished] == [
        ("upgrade", "10"),
        ("rollback", "2"),
        ("rollback", None),
    ]
    assert await runner.history() != ()


@pytest.mark.postgres
async def test_no_transaction_file_on_a_sqlalchemy_connection(
    tmp_path: Path, pg_database: str
) -> None:
    from sqlalchemy.ext.asyncio import create_async_engine

    files = {
        "0001_t.sql": migration("CREATE TABLE t (id integer, v text);", "DROP TABLE t;"),
        "0002_idx.sql": migration(
            "CREATE INDEX CONCURRENTLY t_v ON t (v);",
            "DROP INDEX CONCURRENTLY t_v;",
            header="-- dbwarden: no-transaction\n",
        ),
    }
    handle = write_project(tmp_path, pg_database, files)
    engine = create_async_engine(handle.async_url())
    try:
        async with engine.connect() as conn:
            result = await Runner(handle, connection=conn).upgrade()
            assert [s.name for s in result.applied] == ["0001_t", "0002_idx"]
            rolled = await Runner(handle, connection=conn).rollback()
            assert [s.name for s in rolled.applied] == ["0002_idx"]
    finally:
        await engine.dispose()
    assert await query(pg_database, "SELECT count(*) FROM pg_indexes WHERE indexname = 't_v'") == [
        (0,)
    ]
