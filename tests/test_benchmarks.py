"""Smoke test of ``benchmarks/apply.py``: it runs, cleans up and writes the JSON it promises.

Timings are never compared with the targets here; that is what the benchmark reports.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "apply.py"


@pytest.mark.slow
@pytest.mark.timeout(90)
def test_apply_benchmark_quick_sqlite(tmp_path: Path) -> None:
    out = tmp_path / "apply.json"
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--backends", "sqlite", "--json", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=80,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "dbwarden (s)" in proc.stdout

    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["n"] == 100
    assert data["repeat"] == 1
    assert data["backends"] == ["sqlite"]
    assert data["skipped"] == {}
    assert sum(data["generated"].values()) == 100
    for key in ("nproc", "python", "packages", "sqlite_library"):
        assert key in data["machine"]
    assert data["machine"]["nproc"] >= 1

    rows = {(r["backend"], r["key"]): r for r in data["results"]}
    expected = {
        ("sqlite", "apply_inprocess"),
        ("sqlite", "apply_inprocess_cpu"),
        ("sqlite", "apply_process"),
        ("sqlite", "noop_process"),
        ("-", "help_process"),
    }
    assert expected <= set(rows)
    for row in rows.values():
        for side in ("dbwarden", "baseline"):
            stats = row[side]
            assert stats["median"] > 0
            assert stats["min"] > 0
            assert stats["runs"]
            assert all(t > 0 for t in stats["runs"])
        assert row["ratio"] > 0
        assert row["ok"] in (True, False, None)
        assert "text" in row["target"]
    assert rows[("sqlite", "apply_inprocess")]["target"]["ratio"] == pytest.approx(1.1)
    assert rows[("sqlite", "noop_process")]["target"]["seconds"] == pytest.approx(0.25)
    assert rows[("-", "help_process")]["target"]["seconds"] == pytest.approx(0.15)
    assert all(v["median"] > 0 for v in data["references"].values())

    # The run's working directory (migrations, SQLite files, byte-code cache) is gone.
    assert not Path(data["workdir"]).exists()
