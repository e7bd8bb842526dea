"""Smoke test of ``benchmarks/tenants.py``: it runs, cleans up and writes the JSON it promises.

Timings are never compared with the targets here; that is what the benchmark reports.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "tenants.py"


@pytest.mark.slow
@pytest.mark.timeout(60)
def test_tenants_benchmark_quick_sqlite(tmp_path: Path) -> None:
    out = tmp_path / "tenants.json"
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--backends", "sqlite", "--json", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=50,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "speed-up" in proc.stdout and "peak RSS" in proc.stdout

    data = json.loads(out.read_text(encoding="utf-8"))
    assert (data["tenants"], data["migrations"]) == (12, 5)
    assert data["backends"] == ["sqlite"]
    assert data["concurrency"] == [1, 8, 16]
    assert data["skipped"] == {}
    assert data["machine"]["nproc"] >= 1
    assert {"sqlite_library", "python"} <= set(data["machine"])

    passes = data["results"]
    assert [(r["backend"], r["concurrency"]) for r in passes] == [
        ("sqlite", 1),
        ("sqlite", 8),
        ("sqlite", 16),
    ]
    for r in passes:
        assert r["tenants"] == 12
        assert r["applied"] == 12 * 5 and r["failed"] == 0
        assert r["wall_s"] > 0 and r["speedup"] > 0 and r["migrations_per_s"] > 0
        assert r["client_cpu_s"] > 0 and r["peak_rss_mb"] > 0
        phases = r["per_tenant"]
        assert set(phases) == {"run_s", "lock_s", "setup_s", "migrations_s", "teardown_s"}
        assert all(v > 0 for v in phases.values())
        assert phases["run_s"] >= phases["migrations_s"]
        assert r["probes"]["write_transaction_ms"] > 0
    assert passes[0]["speedup"] == pytest.approx(1.0)
    # The sequential pass's CPU-bound limit: SQLite's work is all in the benchmark process.
    assert passes[0]["cpu_work_s"] == passes[0]["client_cpu_s"]
    assert passes[0]["cpu_bound_max_speedup"] > 0

    assert [(r["backend"], r["tenants"]) for r in data["rss"]] == [
        ("sqlite", 4),
        ("sqlite", 8),
        ("sqlite", 12),
    ]
    assert all(r["peak_rss_mb"] > 0 and r["concurrency"] == 8 for r in data["rss"])
    # No PostgreSQL pass, so the PostgreSQL target is not judged.
    assert data["target"]["speedup"] is None and data["target"]["met"] is None
    assert data["target"]["required"] == 4.0

    # Every tenant database and the migrations are gone with the work directory.
    assert not Path(data["workdir"]).exists()


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.timeout(90)
def test_tenants_benchmark_through_the_latency_proxy(tmp_path: Path) -> None:
    from conftest import PG_HOST, PG_PORT, pg_admin_dsn, require_service

    require_service("PostgreSQL", PG_HOST, PG_PORT)
    out = tmp_path / "tenants.json"
    proc = subprocess.run(
        [
            *(sys.executable, str(SCRIPT), "--quick", "--backends", "postgresql"),
            *("--concurrency", "1,8", "--rss-tenants", "", "--latency-ms", "2"),
            *("--pg-url", pg_admin_dsn(), "--json", str(out)),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=80,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "through a local proxy adding 2 ms each way" in proc.stdout

    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["latency_ms"] == 2.0
    for r in data["results"]:
        assert r["applied"] == 12 * 5 and r["failed"] == 0
        assert r["proxy_cpu_s"] >= 0
        # The probes go through the proxy: a round trip pays the delay both ways.
        assert r["probes"]["round_trip_ms"] >= 4.0
    # Measured, but the target is judged on direct connections only.
    assert data["target"]["speedup"] > 0 and data["target"]["met"] is None
    assert data["target"]["latency_ms"] == 2.0
    # The proxy process is gone.
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert "_latency_proxy.py" not in ps
