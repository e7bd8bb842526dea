"""``upgrade_all``: several databases (SQLite files and PostgreSQL databases) at once, one of
them failing; the others complete, nothing is rolled back, and the concurrency bound holds."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import create_pg_database, drop_pg_database, pg_url
from dbwarden import DatabaseHandle, database_config, upgrade_all
from dbwarden.errors import ConfigError, MigrationFailedError
from dbwarden.events import Event, RunFinished
from dbwarden.model import RunResult
from helpers import migration, query, tables

pytestmark = [pytest.mark.anyio, pytest.mark.postgres]

MIGRATIONS = 4


def files(url: str, *, failing: bool) -> dict[str, str]:
    """Four migrations, each slow enough (~0.15 s) that concurrent runs overlap; in the
    failing database the third one fails half way (its table is created, then an error)."""
    pause = (
        "SELECT pg_sleep(0.15);"
        if url.startswith("postgresql")
        else "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 400000) "
        "SELECT count(*) FROM c;"
    )
    out = {}
    for i in range(1, MIGRATIONS + 1):
        up = f"CREATE TABLE t{i} (id integer);\nINSERT INTO t{i} VALUES ({i});\n{pause}"
        if failing and i == 3:
            up += "\nINSERT INTO no_such_table VALUES (1);"
        out[f"{i:04d}_t{i}.sql"] = migration(up, f"DROP TABLE t{i};")
    return out


@pytest.fixture
def pg_databases() -> Iterator[list[str]]:
    names: list[str] = []
    try:
        for _ in range(2):
            names.append(create_pg_database())
        yield [pg_url(n) for n in names]
    finally:
        for name in names:
            drop_pg_database(name)


class Concurrency:
    """An event sink that records each run's interval, as the runner measures it (its
    ``RunFinished`` carries the run's duration), and computes how many overlapped at most."""

    def __init__(self) -> None:
        self.runs: dict[str, tuple[float, float]] = {}

    def __call__(self, event: Event) -> None:
        if isinstance(event, RunFinished):
            now = time.monotonic()  # the clock the runner times itself with
            self.runs[event.database] = (now - event.duration_s, now)

    @property
    def peak(self) -> int:
        edges = sorted(
            [(end, -1) for _, end in self.runs.values()]
            + [(start, 1) for start, _ in self.runs.values()]
        )  # at equal times an end sorts before a start
        running = peak = 0
        for _, step in edges:
            running += step
            peak = max(peak, running)
        return peak


def configure(root: Path, urls: dict[str, str], failing: str) -> list[DatabaseHandle]:
    handles = []
    for name, url in urls.items():
        mdir = root / "migrations" / name
        mdir.mkdir(parents=True)
        for filename, text in files(url, failing=name == failing).items():
            (mdir / filename).write_text(text, encoding="utf-8")
        handles.append(database_config(name, database_url=url, base_dir=root, lock_timeout=30))
    return handles


@pytest.mark.slow
@pytest.mark.timeout(90)
@pytest.mark.parametrize("concurrency", [1, 2, 3])
async def test_one_failing_database_stops_no_other(
    tmp_path: Path, pg_databases: list[str], concurrency: int
) -> None:
    urls = {
        "sqlite_a": f"sqlite:///{tmp_path / 'a.db'}",
        "pg_a": pg_databases[0],
        "sqlite_b": f"sqlite:///{tmp_path / 'b.db'}",
        "pg_b": pg_databases[1],
        "sqlite_c": f"sqlite:///{tmp_path / 'c.db'}",
    }
    failing = "pg_a"
    handles = configure(tmp_path, urls, failing)
    tracker = Concurrency()

    results = await upgrade_all(handles, concurrency=concurrency, events=[tracker])

    assert list(results) == list(urls)  # in the order given
    error = results[failing]
    assert isinstance(error, MigrationFailedError)
    assert error.path is not None and error.path.name == "0003_t3.sql"
    assert "no_such_table" in error.db_message
    for name, url in urls.items():
        present = await tables(url)
        history = [
            r[0] for r in await query(url, "SELECT name FROM dbwarden_migrations ORDER BY name")
        ]
        if name == failing:
            # Everything before the failing migration stays applied; it and what follows
            # left nothing behind.
            assert history == ["0001_t1", "0002_t2"]
            assert {"t1", "t2"} <= present and not {"t3", "t4"} & present
        else:
            result = results[name]
            assert isinstance(result, RunResult)
            assert [s.name for s in result.applied] == [f"{i:04d}_t{i}" for i in range(1, 5)]
            assert len(history) == MIGRATIONS
            assert {f"t{i}" for i in range(1, MIGRATIONS + 1)} <= present
            for i in range(1, MIGRATIONS + 1):
                assert await query(url, f"SELECT id FROM t{i}") == [(i,)]

    # Every run finished (the failed one too), and never more than `concurrency` at once;
    # with five databases of slow migrations the bound is reached.
    assert set(tracker.runs) == set(urls)
    assert tracker.peak == concurrency, tracker.runs

    # The fixed file applies on the next call; the others have nothing left to do.
    fixed = files(urls[failing], failing=False)["0003_t3.sql"]
    (tmp_path / "migrations" / failing / "0003_t3.sql").write_text(fixed, encoding="utf-8")
    again = await upgrade_all(handles, concurrency=concurrency)
    assert all(isinstance(r, RunResult) for r in again.values()), again
    applied = {name: [s.name for s in r.applied] for name, r in again.items()}  # type: ignore[union-attr]
    assert applied == {name: (["0003_t3", "0004_t4"] if name == failing else []) for name in urls}


async def test_concurrency_must_be_positive(tmp_path: Path) -> None:
    handle = database_config("x", database_url=f"sqlite:///{tmp_path / 'x.db'}", base_dir=tmp_path)
    with pytest.raises(ConfigError, match="concurrency"):
        await upgrade_all([handle], concurrency=0)
    assert not (tmp_path / "x.db").exists()
