"""Smoke test of ``benchmarks/draft.py``: it runs, cleans up and writes the JSON it promises.

Timings are never compared with the targets here; that is what the benchmark reports.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "draft.py"


@pytest.mark.slow
@pytest.mark.timeout(90)
def test_draft_benchmark_quick_sqlite(tmp_path: Path) -> None:
    out = tmp_path / "draft.json"
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--backends", "sqlite", "--json", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=80,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "growth k" in proc.stdout

    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["sizes"] == [10, 40]
    assert data["backends"] == ["sqlite"]
    assert data["skipped"] == {}
    assert [(r["backend"], r["tables"]) for r in data["results"]] == [
        ("sqlite", 10),
        ("sqlite", 40),
    ]
    for row in data["results"]:
        assert row["inprocess"]["median"] > 0
        assert row["process"]["median"] > 0
        assert row["changes"] > 0
        assert "apply the migrations" in row["phases"]
    assert data["results"][1]["growth_exponent"] is not None
