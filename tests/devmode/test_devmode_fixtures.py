"""The real-world PostgreSQL files of ``sql_fixtures/`` (functions, triggers, enums, rules,
dollar quotes) as migrations, next to the example project's, run in dev mode on SQLite:
which statements translate, which are left out, which need ``postgres-only``; and the
SQLite database that results is usable by the example app's models. On PostgreSQL the same
files run as written, to the same tables."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from dbwarden import DatabaseHandle, database_config
from dbwarden.errors import TranslationError
from dbwarden.runner import Runner
from dbwarden.sql import split
from dbwarden.translate import translate_statement
from helpers import tables

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "sql_fixtures"
EXAMPLE = ROOT / "migrations_example"
UNUSED_PG = "postgresql://nobody@127.0.0.1:9/never"  # production, never contacted here

# Per file, per statement line: T translated, D left out (always), U untranslatable (needs
# `-- dbwarden: postgres-only`, then skipped in dev mode).
OUTCOMES: dict[str, dict[int, str]] = {
    "pg_begin_atomic.sql": {2: "T", 4: "U", 10: "U", 17: "U", 18: "U"},
    "pg_concurrently.sql": {3: "T", 4: "T", 5: "T", 6: "D", 7: "D", 8: "T"},
    "pg_do_block.sql": {1: "U", 9: "U", 19: "U"},
    "pg_dollar_function.sql": {2: "U", 14: "U", 19: "D", 21: "U"},
    "pg_e_strings.sql": {2: "T", 3: "T", 4: "T", 5: "U", 8: "T", 9: "T", 10: "U"},
    "pg_enum_and_check.sql": {1: "D", 2: "D", 3: "D", 4: "T", 12: "T", 14: "U"},
    "pg_nested_comments.sql": {4: "T", 8: "T", 9: "T"},
    "pg_nested_tags.sql": {3: "U", 14: "U", 16: "U", 19: "U", 21: "U"},
    "pg_operators_and_params.sql": {2: "T", 3: "T", 4: "U", 5: "U", 6: "U", 7: "U", 8: "T"},
    "pg_rules_parens.sql": {1: "T", 2: "T", 4: "U", 9: "T", 10: "T"},
    "pg_trigger_function.sql": {1: "T", 7: "U", 15: "U", 21: "T", 22: "T"},
}
NO_TRANSACTION = {"pg_concurrently.sql"}
FIXTURE_TABLES = {
    "counters",
    "events",
    "quotes",
    "people",
    "accounts",
    "metrics",
    "items",
    "items_log",
    "documents",
}
EXAMPLE_TABLES = {"users", "posts", "tags", "post_tags", "user_post_counts"}


def outcome(text: str) -> str:
    result = translate_statement(text)
    if result.untranslatable is not None:
        return "U"
    return "T" if result.sql else "D"


def test_every_postgres_fixture_is_covered() -> None:
    assert set(OUTCOMES) == {p.name for p in FIXTURES.glob("pg_*.sql")}


@pytest.mark.parametrize("name", sorted(OUTCOMES))
def test_which_statements_translate(name: str) -> None:
    statements = split((FIXTURES / name).read_text(encoding="utf-8"), "postgresql")
    assert {s.line: outcome(s.text) for s in statements} == OUTCOMES[name]


def header(name: str) -> str:
    directives = ["irreversible"]
    if "U" in OUTCOMES[name].values():
        directives.append("postgres-only")
    if name in NO_TRANSACTION:
        directives.append("no-transaction")
    return f"-- {name}\n-- dbwarden: {', '.join(directives)}\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The example project's migrations, then each fixture as migration 0101, 0102, ..."""
    root = tmp_path / "project"
    shutil.copytree(EXAMPLE / "migrations", root / "migrations")
    for n, name in enumerate(sorted(OUTCOMES), start=101):
        body = (FIXTURES / name).read_text(encoding="utf-8")
        target = root / "migrations" / "primary" / f"0{n}_{name.removesuffix('.sql')}.sql"
        target.write_text(header(name) + "-- upgrade\n" + body, encoding="utf-8")
    return root


def configure(root: Path, url: str, dev_url: str | None = None) -> DatabaseHandle:
    return database_config(
        "primary",
        default=True,
        database_url=url,
        dev_database_url=dev_url,
        base_dir=root,
    )


async def test_fixtures_run_in_dev_mode_on_sqlite(project: Path, tmp_path: Path) -> None:
    dev_db = tmp_path / "dev.db"
    handle = configure(project, UNUSED_PG, f"sqlite:///{dev_db}")
    runner = Runner(handle, dev=True)
    result = await runner.upgrade()

    assert len(result.applied) == 6 + len(OUTCOMES) + 1  # example, fixtures, the view
    skipped = [w for w in result.plan.warnings if "skipped in dev mode" in w]
    left_out = [w for w in result.plan.warnings if "left out in dev mode" in w]
    assert len(skipped) == sum(list(o.values()).count("U") for o in OUTCOMES.values())
    assert any("0111_pg_trigger_function.sql:10: skipped" in w for w in skipped)  # +3 header
    assert any("0106_pg_enum_and_check.sql:6: left out" in w for w in left_out)
    assert await tables(f"sqlite:///{dev_db}") == (
        EXAMPLE_TABLES | FIXTURE_TABLES | {"dbwarden_migrations", "dbwarden_lock"}
    )

    # History holds the checksums of the files as written, so the same files on
    # PostgreSQL would verify against them.
    written = {f.name: f.checksum for f in Runner(handle, dev=False).load_files()}
    history = await runner.history()
    assert {r.name: r.checksum for r in history} == written

    status = await runner.status()
    assert status.state == "up_to_date"
    await runner.verify()


def test_a_fixture_without_postgres_only_fails_with_its_file_and_line(project: Path) -> None:
    trigger = project / "migrations" / "primary" / "0111_pg_trigger_function.sql"
    trigger.write_text(
        trigger.read_text().replace(
            "-- dbwarden: irreversible, postgres-only", "-- dbwarden: irreversible"
        )
    )
    handle = configure(project, UNUSED_PG, "sqlite:///dev.db")
    with pytest.raises(TranslationError) as info:
        Runner(handle, dev=True).load_files()
    assert info.value.path == trigger
    assert info.value.line == 10
    assert "CREATE OR REPLACE FUNCTION touch_updated_at()" in str(info.value)
    assert not (project / "dev.db").exists()


@pytest.fixture
def example_models() -> Iterator[ModuleType]:
    """migrations_example/app/models.py, imported under a private name."""
    name = "_devmode_example_models"
    spec = importlib.util.spec_from_file_location(name, EXAMPLE / "app" / "models.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    yield module
    del sys.modules[name]


async def test_the_example_models_work_on_the_dev_database(
    project: Path, tmp_path: Path, example_models: ModuleType
) -> None:
    from sqlalchemy import func, select
    from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
    from sqlalchemy.orm import selectinload

    dev_db = tmp_path / "dev.db"
    await Runner(configure(project, UNUSED_PG, f"sqlite:///{dev_db}"), dev=True).upgrade()

    m = example_models
    engine = create_async_engine(f"sqlite+aiosqlite:///{dev_db}")
    try:
        async with AsyncSession(engine) as session:
            general = await session.get(m.Tag, 1)  # reference data from 0006
            assert general is not None
            assert general.name == "general"
            ada = m.User(id=1, email="ada@example.com", display_name="Ada")
            post = m.Post(id=1, author=ada, title="Hello", slug="hello-1", tags=[general])
            session.add_all([ada, post])
            await session.commit()

        async with AsyncSession(engine) as session:
            user = (
                await session.scalars(
                    select(m.User).options(selectinload(m.User.posts).selectinload(m.Post.tags))
                )
            ).one()
            assert user.created_at is not None  # the server default ran
            assert [p.title for p in user.posts] == ["Hello"]
            assert [t.name for t in user.posts[0].tags] == ["general"]
            assert user.posts[0].body == ""
            count = await session.scalar(select(func.count()).select_from(m.Post))
            assert count == 1
    finally:
        await engine.dispose()


@pytest.mark.postgres
async def test_the_same_files_run_as_written_on_postgresql(
    project: Path, tmp_path: Path, pg_database: str
) -> None:
    handle = configure(project, pg_database, f"sqlite:///{tmp_path / 'dev.db'}")
    prod = await Runner(handle, dev=False).upgrade()
    dev = await Runner(handle, dev=True).upgrade()
    assert [s.name for s in prod.applied] == [s.name for s in dev.applied]
    assert prod.plan.warnings == ()

    on_postgres = await tables(pg_database)
    on_sqlite = await tables(f"sqlite:///{tmp_path / 'dev.db'}")
    # The DO block of pg_do_block.sql creates two tables on PostgreSQL; in dev mode it is
    # PL/pgSQL and skipped. Everything else is the same.
    made_by_plpgsql = {t for t in on_postgres if t.startswith("tbl_")}
    assert len(made_by_plpgsql) == 2
    assert on_postgres - made_by_plpgsql == on_sqlite - {"dbwarden_lock"}
