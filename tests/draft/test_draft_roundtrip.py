"""Round trips on SQLite and PostgreSQL: for every step of a history of model versions,
the drafted file applied by the runner makes ``check`` clean (against the models and
against the live database); rolling it back restores the previous schema exactly; applying
it again gives the same schema."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from dbwarden.config import DatabaseHandle
from dbwarden.draft import check_live, check_models, make_migration
from dbwarden.draft.diff import changes, diff
from dbwarden.draft.schema import live_database, reflect
from dbwarden.draft.snapshot import Schema
from dbwarden.draft.sqlite import canon
from dbwarden.errors import IrreversibleError
from helpers import migration, write_project

from .versions import STEPS

pytestmark = pytest.mark.anyio


async def live(handle: DatabaseHandle) -> tuple[Schema, dict[str, str]]:
    """The live schema, and (SQLite) each table's stored text, whitespace aside."""
    async with live_database(handle.resolve()) as conn:
        schema = await reflect(conn) if conn is not None else Schema(handle.dialect(), {})
    texts = {n: canon(t.sql) for n, t in schema.tables.items() if t.sql}
    if schema.dialect == "postgresql":
        # PostgreSQL cannot place a column: a rolled-back DROP COLUMN re-adds it last.
        tables = {
            n: replace(t, columns=tuple(sorted(t.columns, key=lambda c: c.name)))
            for n, t in schema.tables.items()
        }
        schema = replace(schema, tables=tables)
    return schema, texts


def explain(actual: tuple[Schema, dict[str, str]], expected: tuple[Schema, dict[str, str]]) -> str:
    found = [c.summary() for c in changes(diff(expected[0], actual[0]))]
    texts = {
        n: (expected[1].get(n), actual[1].get(n))
        for n in expected[1].keys() | actual[1].keys()
        if expected[1].get(n) != actual[1].get(n)
    }
    return f"differences: {found}; stored texts: {texts}"


async def test_round_trip(tmp_path: Path, database_url: str) -> None:
    handle = write_project(tmp_path, database_url, {}, model_paths=["models"])
    dialect = handle.dialect()
    runner = handle.runner
    before = await live(handle)
    drafted = 0
    for number, step in enumerate(STEPS, start=1):
        if dialect in step.by_hand:
            up, down = step.by_hand[dialect]
            name = f"{number:04d}_by_hand.sql"
            (handle.migrations_dir / name).write_text(migration(up, down), encoding="utf-8")
            await runner.upgrade()
            before = await live(handle)
        models = step.build()
        result = await make_migration(handle, step.name, metadata=models, renames=step.renames)
        assert result.path is not None, f"step {number} ({step.name}) drafted nothing"
        assert bool(result.irreversible) == (dialect in step.irreversible_on), result.text
        drafted += 1

        await runner.upgrade()
        after = await live(handle)
        clean = await check_models(handle, metadata=models)
        assert clean.ok, (number, [c.summary() for c in clean.changes], result.text)
        if dialect == "sqlite" or number % 4 == 0 or number == len(STEPS):
            # Each check costs PostgreSQL a temporary database; every fourth step will do.
            drift = await check_live(handle)
            assert drift.ok, (number, [c.summary() for c in drift.changes], result.text)

        if result.irreversible:
            with pytest.raises(IrreversibleError):
                await runner.rollback()
        else:
            await runner.rollback()
            restored = await live(handle)
            assert restored == before, (number, explain(restored, before), result.text)
            await runner.upgrade()
            again = await live(handle)
            assert again == after, (number, explain(again, after), result.text)
        before = after
    assert drafted == len(STEPS)
