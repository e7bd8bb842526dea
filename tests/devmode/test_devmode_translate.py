"""PostgreSQL → SQLite translation, statement by statement, and the sections it builds.

Each translated statement is also run on a real SQLite database: "translated" means SQLite
accepts it, not only that sqlglot printed something.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

from dbwarden import translate
from dbwarden.errors import ConfigError, TranslationError
from dbwarden.parse import parse_text
from dbwarden.translate import translate_files, translate_statement


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    translate._memory.clear()


def sqlite_runs(*statements: str) -> None:
    with closing(sqlite3.connect(":memory:")) as db:
        for statement in statements:
            db.execute(statement)


# (PostgreSQL, the SQLite it becomes). Each case runs after the ones before it.
TRANSLATED = [
    (
        "CREATE TABLE users (id bigserial PRIMARY KEY, email citext NOT NULL UNIQUE, "
        "name varchar(100) NOT NULL DEFAULT '', created_at timestamptz NOT NULL DEFAULT now(), "
        "active boolean NOT NULL DEFAULT true, meta jsonb NOT NULL DEFAULT '{}'::jsonb, "
        "tags text[] NOT NULL DEFAULT '{}', price numeric(10,2), "
        "token uuid NOT NULL DEFAULT gen_random_uuid(), photo bytea)",
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, "
        "name VARCHAR(100) NOT NULL DEFAULT '', created_at TIMESTAMP NOT NULL DEFAULT "
        "CURRENT_TIMESTAMP, active BOOLEAN NOT NULL DEFAULT TRUE, meta TEXT NOT NULL DEFAULT "
        "(CAST('{}' AS TEXT)), tags TEXT NOT NULL DEFAULT '{}', price NUMERIC(10, 2), "
        "token CHAR(36) NOT NULL DEFAULT (",
    ),
    (
        "CREATE TABLE public.posts (id integer GENERATED ALWAYS AS IDENTITY, "
        "author_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE, "
        "title text NOT NULL CHECK (title !~ '^\\s*$'), PRIMARY KEY (id))",
        "CREATE TABLE posts (id INTEGER PRIMARY KEY, author_id INTEGER NOT NULL REFERENCES "
        "users (id) ON DELETE CASCADE, title TEXT NOT NULL)",
    ),
    (
        "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS users_name ON users USING btree "
        "(lower(name) text_pattern_ops DESC NULLS LAST) INCLUDE (email) WHERE active",
        "CREATE UNIQUE INDEX IF NOT EXISTS users_name ON users(LOWER(name) DESC) WHERE active",
    ),
    ("CREATE INDEX users_meta ON users USING gin (meta)", "CREATE INDEX users_meta ON users(meta)"),
    (
        "ALTER TABLE posts ADD COLUMN IF NOT EXISTS slug varchar(220), ADD COLUMN n int",
        "ALTER TABLE posts ADD COLUMN slug VARCHAR(220)\nALTER TABLE posts ADD COLUMN n INTEGER",
    ),
    ("ALTER TABLE posts RENAME COLUMN n TO m", "ALTER TABLE posts RENAME COLUMN n TO m"),
    ("ALTER TABLE posts DROP COLUMN m", "ALTER TABLE posts DROP COLUMN m"),
    (
        "ALTER TABLE posts ADD CONSTRAINT posts_slug_key UNIQUE (slug)",
        "CREATE UNIQUE INDEX posts_slug_key ON posts(slug)",
    ),
    (
        "INSERT INTO users (email, tags) VALUES ('a@x', ARRAY['x', 'y']) "
        "ON CONFLICT (email) DO UPDATE SET name = EXCLUDED.name RETURNING id",
        "INSERT INTO users (email, tags) VALUES ('a@x', JSON_ARRAY('x', 'y')) "
        "ON CONFLICT(email) DO UPDATE SET name = EXCLUDED.name RETURNING id",
    ),
    (
        "INSERT INTO users (email, name) VALUES ('b@x', E'it\\'s')",
        "INSERT INTO users (email, name) VALUES ('b@x', 'it''s')",
    ),
    (
        "UPDATE users SET meta = '{\"a\": 1}'::jsonb WHERE email ILIKE 'A%'",
        "UPDATE users SET meta = CAST('{\"a\": 1}' AS TEXT) WHERE LOWER(email) LIKE LOWER('A%')",
    ),
    (
        "CREATE OR REPLACE VIEW active_users AS SELECT id, meta->>'a' AS a FROM users WHERE active",
        "DROP VIEW IF EXISTS active_users\nCREATE VIEW active_users AS SELECT id, "
        "meta ->> '$.a' AS a FROM users WHERE active",
    ),
    ("DROP VIEW IF EXISTS active_users CASCADE", "DROP VIEW IF EXISTS active_users"),
    ("TRUNCATE posts, users", "DELETE FROM posts\nDELETE FROM users"),
    ("DROP INDEX CONCURRENTLY IF EXISTS users_meta", "DROP INDEX IF EXISTS users_meta"),
    (
        "DROP TABLE IF EXISTS posts, users CASCADE",
        "DROP TABLE IF EXISTS posts\nDROP TABLE IF EXISTS users",
    ),
]


def test_statements_translate_and_sqlite_runs_them() -> None:
    with closing(sqlite3.connect(":memory:")) as db:
        for postgres, expected in TRANSLATED:
            result = translate_statement(postgres)
            assert result.untranslatable is None, (postgres, result)
            assert "\n".join(result.sql).startswith(expected), (postgres, result.sql)
            for statement in result.sql:
                db.execute(statement)


def test_generated_uuid_default_is_a_uuid() -> None:
    result = translate_statement(
        "CREATE TABLE t (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), n int)"
    )
    with closing(sqlite3.connect(":memory:")) as db:
        db.execute(result.sql[0])
        db.execute("INSERT INTO t (n) VALUES (1)")
        (value,) = db.execute("SELECT id FROM t").fetchone()
    import uuid

    assert uuid.UUID(value).version == 4


def test_identity_and_serial_keys_number_rows() -> None:
    sql = [
        translate_statement(s).sql[0]
        for s in (
            "CREATE TABLE a (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, v text)",
            "CREATE TABLE b (id serial PRIMARY KEY, v text)",
            "CREATE TABLE c (id int GENERATED ALWAYS AS IDENTITY, v text, PRIMARY KEY (id))",
        )
    ]
    with closing(sqlite3.connect(":memory:")) as db:
        for statement in sql:
            db.execute(statement)
        for table in "abc":
            db.execute(f"INSERT INTO {table} (v) VALUES ('x')")
            db.execute(f"INSERT INTO {table} (v) VALUES ('y')")
            assert db.execute(f"SELECT id FROM {table} ORDER BY id").fetchall() == [(1,), (2,)]


DROPPED = [
    ("CREATE EXTENSION IF NOT EXISTS citext", "SQLite has no extensions"),
    ("COMMENT ON COLUMN users.id IS 'x'", "SQLite keeps no comments"),
    ("SET statement_timeout = '5s'", "a PostgreSQL setting"),
    ("SET LOCAL lock_timeout TO '1s'", "a PostgreSQL setting"),
    ("GRANT SELECT ON users TO reader", "SQLite has no privileges"),
    ("REVOKE ALL ON users FROM public", "SQLite has no privileges"),
    ("ALTER TABLE users OWNER TO app", "SQLite has no object owners"),
    ("VACUUM (ANALYZE) users", "maintenance"),
    ("CREATE TYPE mood AS ENUM ('sad', 'ok')", "columns of such types are TEXT"),
    ("ALTER TYPE mood ADD VALUE 'happy'", "columns of such types are TEXT"),
    ("DROP TYPE IF EXISTS mood", "columns of such types are TEXT"),
    ("CREATE DOMAIN zip AS text CHECK (VALUE ~ '^[0-9]{5}$')", "columns of such types are TEXT"),
    ("CREATE POLICY own ON users USING (true)", "row-level security"),
    ("ALTER TABLE users ENABLE ROW LEVEL SECURITY", "row-level security"),
    ("SELECT setval('users_id_seq', 10)", "SQLite has no sequences"),
    (
        "ALTER TABLE posts ADD CONSTRAINT posts_author_fk FOREIGN KEY (author_id) "
        "REFERENCES users (id)",
        "cannot add a FOREIGN KEY constraint",
    ),
    ("ALTER TABLE posts ADD CONSTRAINT c CHECK (length(title) > 0)", "cannot add a CHECK"),
    ("ALTER TABLE posts ALTER COLUMN title SET NOT NULL", "whether a column accepts NULL"),
    ("ALTER TABLE posts ALTER COLUMN title DROP DEFAULT", "a column's default"),
    ("ALTER TABLE posts ALTER COLUMN n TYPE bigint USING n::bigint", "a column's type"),
    ("ALTER TABLE posts VALIDATE CONSTRAINT c", "validation settings"),
]


@pytest.mark.parametrize(("postgres", "reason"), DROPPED)
def test_statements_that_only_matter_to_postgres_are_left_out(postgres: str, reason: str) -> None:
    result = translate_statement(postgres)
    assert result.untranslatable is None
    assert result.sql == ()
    assert len(result.dropped) == 1
    assert reason in result.dropped[0]


def test_drop_constraint_drops_the_unique_index_it_became() -> None:
    result = translate_statement("ALTER TABLE users DROP CONSTRAINT IF EXISTS users_email_key")
    assert result.sql == ("DROP INDEX IF EXISTS users_email_key",)
    assert "cannot drop a constraint" in result.dropped[0]


def test_a_check_sqlite_cannot_evaluate_is_left_out_of_its_table() -> None:
    result = translate_statement(
        "CREATE TABLE p (id int PRIMARY KEY, name text CHECK (name ~ '^[a-z]+$'), "
        "CONSTRAINT positive CHECK (id > 0))"
    )
    assert result.sql == (
        "CREATE TABLE p (id INTEGER PRIMARY KEY, name TEXT, CONSTRAINT positive CHECK (id > 0))",
    )
    assert "SQLite has no regular expressions" in result.dropped[0]
    sqlite_runs(*result.sql)


UNTRANSLATABLE = [
    (
        "CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$",
        "a PostgreSQL function",
    ),
    ("DO $$ BEGIN PERFORM 1; END $$", "a PL/pgSQL block"),
    ("CREATE TRIGGER t BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION f()", "trigger"),
    ("DROP TRIGGER IF EXISTS t ON users", "trigger"),
    ("DROP FUNCTION IF EXISTS f()", "SQLite has no functions"),
    ("CREATE SEQUENCE s START 100", "SQLite has no sequences"),
    ("CREATE MATERIALIZED VIEW mv AS SELECT 1", "materialized views"),
    ("CREATE SCHEMA app", "SQLite has no schemas"),
    ("CREATE TABLE app.x (id int)", "SQLite has no schemas (schema app)"),
    ("CREATE RULE r AS ON INSERT TO users DO NOTHING", "a PostgreSQL rule"),
    ("ALTER TABLE posts ALTER COLUMN n TYPE bigint USING n * 100", "changes its data"),
    ("ALTER INDEX ix RENAME TO iy", "SQLite cannot ALTER INDEX"),
    ("SELECT date_trunc('day', created_at) FROM users", "SQLite has no function"),
    ("SELECT slugify(name) FROM users", "SQLite has no function slugify()"),
    ("SELECT tags[1] FROM users", "SQLite has no arrays"),
    ("SELECT id FROM users WHERE 1 = ANY(tags)", "SQLite has no arrays"),
    ("SELECT id FROM users WHERE meta @> '{}'", "array or jsonb operators"),
    ("SELECT id FROM users WHERE name ~ 'x'", "regular expressions"),
    ("SELECT now() - interval '1 day'", "SQLite has no intervals"),
    ("CREATE UNLOGGED TABLE u (id int)", "SQLite has no equivalent"),
    ("PREPARE q AS SELECT 1", "dev mode does not translate PREPARE statements"),
]


@pytest.mark.parametrize(("postgres", "reason"), UNTRANSLATABLE)
def test_statements_that_cannot_run_on_sqlite(postgres: str, reason: str) -> None:
    result = translate_statement(postgres)
    assert result.untranslatable is not None
    assert reason in result.untranslatable
    assert result.sql == ()


def test_only_postgres_to_sqlite_is_translated() -> None:
    assert translate.translates("postgresql", "sqlite")
    assert not translate.translates("sqlite", "postgresql")
    assert not translate.translates("postgresql", "postgresql")
    with pytest.raises(ValueError, match="no translation"):
        translate_statement("SELECT 1", "sqlite", "postgresql")


# --- files ---------------------------------------------------------------------------------

FILE = """\
-- users and their touch trigger
-- upgrade
CREATE EXTENSION IF NOT EXISTS citext;

CREATE TABLE users (
    id bigserial PRIMARY KEY,
    email citext NOT NULL
);
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RETURN NEW;
END;
$$;
ALTER TABLE users ADD COLUMN a int, ADD COLUMN b int;

-- rollback
DROP FUNCTION touch();
DROP TABLE users;
"""


def test_untranslatable_statement_fails_with_file_and_line() -> None:
    original = parse_text(FILE, Path("migrations/0001_users.sql"), "postgresql")
    with pytest.raises(TranslationError) as info:
        translate_files([original], "postgresql", "sqlite")
    assert info.value.line == 9
    assert str(info.value).startswith("migrations/0001_users.sql:9: ")
    assert "CREATE FUNCTION touch()" in str(info.value)
    assert "-- dbwarden: postgres-only" in str(info.value)
    assert info.value.exit_code == 2


def test_postgres_only_file_skips_what_cannot_translate_and_keeps_lines_and_checksums() -> None:
    text = "-- dbwarden: postgres-only\n" + FILE
    original = parse_text(text, Path("migrations/0001_users.sql"), "postgresql")
    (dev,) = translate_files([original], "postgresql", "sqlite")

    assert dev.checksum == original.checksum
    assert dev.rollback_checksum == original.rollback_checksum
    assert [(s.line, s.text) for s in dev.upgrade.statements] == [
        (6, "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL)"),
        (15, "ALTER TABLE users ADD COLUMN a INTEGER"),
        (15, "ALTER TABLE users ADD COLUMN b INTEGER"),
    ]
    for s in dev.upgrade.statements:  # offsets point into the translated section text
        assert dev.upgrade.text[s.start : s.start + len(s.text)] == s.text
    assert dev.upgrade.warnings == (
        "0001_users.sql:4: left out in dev mode (SQLite has no extensions): "
        "CREATE EXTENSION IF NOT EXISTS citext",
        "0001_users.sql:10: skipped in dev mode (postgres-only; a PostgreSQL function): "
        "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$",
    )
    assert [s.text for s in dev.rollback.statements] == ["DROP TABLE users"]
    assert dev.rollback.warnings[0].startswith("0001_users.sql:18: skipped in dev mode")
    sqlite_runs(*(s.text for s in dev.upgrade.statements))


def test_translations_are_cached_in_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    original = parse_text(
        "-- dbwarden: postgres-only\n" + FILE, Path("0001_users.sql"), "postgresql"
    )
    calls: list[str] = []
    real = translate.translate_statement

    def counting(text: str, *args: object) -> translate.Translation:
        calls.append(text)
        return real(text, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(translate, "translate_statement", counting)
    first = translate_files([original], "postgresql", "sqlite")
    n = len(calls)
    assert n > 0
    again = translate_files([original], "postgresql", "sqlite")
    assert len(calls) == n  # the second load translated nothing
    assert again == first


def test_translations_are_cached_on_disk_and_a_hit_does_not_import_sqlglot(
    tmp_path: Path,
) -> None:
    migration = tmp_path / "0001_users.sql"
    migration.write_text("-- dbwarden: postgres-only\n" + FILE)
    cache = tmp_path / "cache"
    probe = f"""
import json, sys
from pathlib import Path
from dbwarden.parse import parse_text
from dbwarden.translate import translate_files
text = Path({str(migration)!r}).read_text()
f = parse_text(text, Path({str(migration)!r}), "postgresql")
(dev,) = translate_files([f], "postgresql", "sqlite", cache_dir=Path({str(cache)!r}))
print(json.dumps({{"sql": [s.text for s in dev.upgrade.statements],
                  "sqlglot": "sqlglot" in sys.modules}}))
"""
    env = {k: v for k, v in os.environ.items() if k != "DBWARDEN_CACHE_DIR"}

    def run() -> dict[str, object]:
        out = subprocess.run(
            [sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True
        ).stdout
        return json.loads(out)

    cold = run()
    assert cold["sqlglot"] is True
    assert len(list((cache / "translate").glob("*.json"))) == 2  # upgrade and rollback
    warm = run()
    assert warm == {"sql": cold["sql"], "sqlglot": False}


def test_a_damaged_disk_cache_entry_is_translated_again(tmp_path: Path) -> None:
    original = parse_text(
        "-- upgrade\nCREATE TABLE t (id serial PRIMARY KEY);\n-- rollback\nDROP TABLE t;\n",
        Path("0001_t.sql"),
        "postgresql",
    )
    translate_files([original], "postgresql", "sqlite", cache_dir=tmp_path)
    for entry in (tmp_path / "translate").glob("*.json"):
        entry.write_text("{not json")
    translate._memory.clear()
    (dev,) = translate_files([original], "postgresql", "sqlite", cache_dir=tmp_path)
    assert dev.upgrade.statements[0].text == "CREATE TABLE t (id INTEGER PRIMARY KEY)"


def test_cache_dir_follows_the_environment(tmp_path: Path) -> None:
    assert translate.cache_dir({"DBWARDEN_CACHE_DIR": str(tmp_path)}) == tmp_path
    assert translate.cache_dir({"DBWARDEN_CACHE_DIR": ""}) is None
    assert translate.cache_dir({"XDG_CACHE_HOME": str(tmp_path)}) == tmp_path / "dbwarden"


def test_missing_sqlglot_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sqlglot", None)  # import sqlglot → ImportError
    translate._sqlglot.cache_clear()
    try:
        original = parse_text(
            "-- upgrade\nCREATE TABLE t (id int);\n-- rollback\nDROP TABLE t;\n",
            Path("0001_t.sql"),
            "postgresql",
        )
        with pytest.raises(ConfigError, match=r'pip install "dbwarden\[dev-sqlite\]"'):
            translate_files([original], "postgresql", "sqlite")
    finally:
        translate._sqlglot.cache_clear()
