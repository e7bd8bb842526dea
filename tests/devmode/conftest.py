"""Dev mode tests: a project whose production database is PostgreSQL (never contacted unless
a test asks for a real one) and whose dev database is a SQLite file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dbwarden import translate


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test starts with empty translation caches and keeps its disk cache to itself."""
    monkeypatch.setenv("DBWARDEN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("ENVIRONMENT", raising=False)
    translate._memory.clear()
    yield
    translate._memory.clear()
