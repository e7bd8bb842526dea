"""The drafting page's examples (docs_src/draft_*.py) run against a copy of the example
project, whose app/models.py describes what its migrations create."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from test_docs import load

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "migrations_example"

pytestmark = pytest.mark.anyio


def _forget_app() -> None:
    for name in [n for n in sys.modules if n == "app" or n.startswith("app.")]:
        del sys.modules[name]


@pytest.fixture
def example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    dest = tmp_path / "project"
    shutil.copytree(EXAMPLE, dest, ignore=shutil.ignore_patterns("*.db", "__pycache__"))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'docs.db'}")
    monkeypatch.delenv("ENVIRONMENT", raising=False)
    monkeypatch.syspath_prepend(str(dest))
    _forget_app()
    yield dest
    _forget_app()


def _add_bio(project: Path) -> None:
    models = project / "app" / "models.py"
    text = models.read_text(encoding="utf-8")
    anchor = "    display_name: Mapped[str] = mapped_column(String(100))\n"
    assert anchor in text
    models.write_text(
        text.replace(anchor, anchor + "    bio: Mapped[str | None] = mapped_column(Text)\n"),
        encoding="utf-8",
    )


async def test_check(example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert await load("draft_check.py").main() == 0
    assert capsys.readouterr().out == "primary: 0 difference(s) at version 6\n"
    _forget_app()
    _add_bio(example)
    assert await load("draft_check.py").main() == 1
    assert capsys.readouterr().out.splitlines() == [
        "column users.bio: only in the models (TEXT)",
        "primary: 1 difference(s) at version 6",
    ]


async def test_preview(example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    await load("draft_preview.py").main()
    assert capsys.readouterr().out == "nothing to draft\n"
    _forget_app()
    _add_bio(example)
    await load("draft_preview.py").main()
    out = capsys.readouterr().out
    assert out.startswith("add column users.bio: TEXT\n-- add users.bio\n")
    assert "-- upgrade\nALTER TABLE users ADD COLUMN bio TEXT;\n" in out
    assert "-- rollback\nALTER TABLE users DROP COLUMN bio;\n" in out
    assert not list((example / "migrations" / "primary").glob("0007_*"))  # nothing written
