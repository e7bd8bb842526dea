"""PostgreSQL-only behaviour: extensions created by migrations, types the models use
without creating them, the temporary database's life cycle."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import CITEXT, ENUM

from dbwarden.draft import check_models, make_migration
from helpers import migration, query, write_project

pytestmark = [pytest.mark.anyio, pytest.mark.postgres]

EXTENSION = migration(
    "CREATE EXTENSION IF NOT EXISTS citext;\n"
    "CREATE TYPE mood AS ENUM ('happy', 'sad');\n"
    "CREATE TABLE users (id serial PRIMARY KEY, email citext NOT NULL, mood mood);",
    "DROP TABLE users;\nDROP TYPE mood;\nDROP EXTENSION citext;",
)


def models(*extra: sa.Column[object]) -> sa.MetaData:
    md = sa.MetaData()
    sa.Table(
        "users",
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("email", CITEXT, nullable=False),
        # The type exists already: the models use it without creating it.
        sa.Column("mood", ENUM("happy", "sad", name="mood", create_type=False)),
        *extra,
    )
    return md


async def test_types_from_the_migrations_extensions(tmp_path: Path, pg_database: str) -> None:
    handle = write_project(tmp_path, pg_database, {"0001_users.sql": EXTENSION})
    clean = await check_models(handle, metadata=models())
    assert clean.ok, [c.summary() for c in clean.changes]

    draft = await make_migration(
        handle, "nickname", metadata=models(sa.Column("nickname", CITEXT)), write=False
    )
    assert draft.upgrade == ("ALTER TABLE users ADD COLUMN nickname citext",)
    assert draft.rollback == ("ALTER TABLE users DROP COLUMN nickname",)


async def test_temporary_databases_are_dropped(tmp_path: Path, pg_database: str) -> None:
    sql = "SELECT datname FROM pg_database WHERE datname LIKE 'dbwarden_draft_%'"
    before = set(await query(pg_database, sql))
    handle = write_project(tmp_path, pg_database, {"0001_users.sql": EXTENSION})
    await check_models(handle, metadata=models())
    with pytest.raises(Exception, match="boom"):
        await make_migration(handle, "x", metadata=_broken())
    # Only databases that appeared during this test count: other runs may share the server.
    # Theirs come and go; ours are gone as soon as the calls return.
    left = set(await query(pg_database, sql)) - before
    for _ in range(50):
        if not left:
            break
        await anyio.sleep(0.2)
        left &= set(await query(pg_database, sql))
    assert left == set()


def _broken() -> sa.MetaData:
    md = sa.MetaData()
    sa.Table(
        "users",
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("n", sa.Integer, server_default=sa.text("boom()")),
    )
    return md
