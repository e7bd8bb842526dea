"""Golden tests: for each operation, the exact SQL drafted on SQLite and on PostgreSQL.

Each case starts from a history that builds the base models and drafts the change to one
model; the whole file (upgrade and rollback) is compared with ``golden/<dialect>/<case>.sql``.
Each pinned file is then applied and rolled back by the runner. Set ``DBWARDEN_UPDATE_GOLDEN=1`` to rewrite the files after a deliberate change, then
review the diff.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import MetaData

from dbwarden.draft import make_migration
from dbwarden.errors import IrreversibleError
from helpers import write_project

from .golden_models import (
    CASES,
    ENUM_CASES,
    RENAMES,
    SEQUENCE_CASES,
    base,
    enum_base,
    sequence_base,
)

pytestmark = pytest.mark.anyio

GOLDEN = Path(__file__).parent / "golden"
UPDATE = bool(os.environ.get("DBWARDEN_UPDATE_GOLDEN"))
PG_ONLY = {"alter_comment", "create_sequence"} | set(ENUM_CASES) | set(SEQUENCE_CASES)

ALL: list[tuple[str, Callable[[], MetaData], Callable[[], MetaData]]] = [
    *((name, base, build) for name, build in CASES.items()),
    *((name, enum_base, build) for name, build in ENUM_CASES.items()),
    *((name, sequence_base, build) for name, build in SEQUENCE_CASES.items()),
]


_BASES: dict[tuple[str, str], str] = {}


@pytest.mark.parametrize(("case", "start", "build"), ALL, ids=[c[0] for c in ALL])
async def test_golden(
    tmp_path: Path,
    database_url: str,
    case: str,
    start: Callable[[], MetaData],
    build: Callable[[], MetaData],
) -> None:
    handle = write_project(tmp_path, database_url, {})
    dialect = handle.dialect()
    key = (dialect, start.__name__)
    if key not in _BASES:  # drafting the base once per dialect keeps the suite quick
        first = await make_migration(handle, "base", metadata=start(), write=False)
        assert first.text is not None
        _BASES[key] = first.text
    (handle.migrations_dir / "0001_base.sql").write_text(_BASES[key], encoding="utf-8")
    result = await make_migration(
        handle, case, metadata=build(), renames=RENAMES.get(case, ()), write=False
    )
    golden = GOLDEN / dialect / f"{case}.sql"
    if dialect == "sqlite" and case in PG_ONLY:
        assert result.is_empty, result.text  # SQLite has no comments, enums or sequences
        return
    assert result.text is not None
    if UPDATE:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(result.text, encoding="utf-8")
    assert result.text == golden.read_text(encoding="utf-8")

    # The pinned SQL runs, both ways.
    (handle.migrations_dir / f"0002_{case}.sql").write_text(result.text, encoding="utf-8")
    applied = await handle.runner.upgrade()
    assert [s.name for s in applied.applied] == ["0001_base", f"0002_{case}"]
    if result.irreversible:
        with pytest.raises(IrreversibleError):
            await handle.runner.rollback()
    else:
        await handle.runner.rollback()
