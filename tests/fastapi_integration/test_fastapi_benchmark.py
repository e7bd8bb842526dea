"""Smoke test of ``benchmarks/fastapi_session.py``: it runs, cleans up and writes its JSON.

Timings are never compared with the targets here; that is what the benchmark reports.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "fastapi_session.py"


@pytest.mark.slow
@pytest.mark.timeout(90)
def test_fastapi_session_benchmark_smoke(tmp_path: Path) -> None:
    out = tmp_path / "fastapi_session.json"
    quick = ["--rounds", "1", "--duration", "1", "--warmup", "1", "--connections", "4"]
    health = ["--health-duration", "1", "--health-requests", "50"]
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--backends", "sqlite", *quick, *health, "--json", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=80,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "primary.async_session (req/s)" in proc.stdout
    data = json.loads(out.read_text(encoding="utf-8"))
    (result,) = data["results"]
    assert result["backend"] == "sqlite"
    assert result["dbwarden_rps"]["median"] > 0
    assert result["baseline_rps"]["median"] > 0
    assert result["ratio"] > 0
    assert 0 < result["health_ms"]["p50"] <= result["health_ms"]["p99"]
    assert data["targets"] == {"ratio": 0.95, "health_p99_ms": 20.0}
    assert not Path(data["workdir"]).exists()  # the app, migrations and SQLite file are gone
