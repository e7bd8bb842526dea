"""Squash files in the parser and the planner, fed from memory: the `squashes=` directive,
which files a squash may replace, and how history before and after a squash is read."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from dbwarden.errors import (
    ChecksumMismatchError,
    MarkerError,
    PlanError,
    SquashError,
    UnknownVersionError,
)
from dbwarden.history import History
from dbwarden.model import AppliedRow, MigrationFile
from dbwarden.parse import parse_text
from dbwarden.plan import analyse, plan_rollback, plan_upgrade, squashed_history
from dbwarden.squash import choose


def mf(
    name: str, header: str = "", up: str = "SELECT 1;", down: str | None = "SELECT 0;"
) -> MigrationFile:
    text = f"{header}-- upgrade\n{up}\n"
    if down is not None:
        text += f"-- rollback\n{down}\n"
    return parse_text(text, Path("migrations") / name, "postgresql")


def row(f: MigrationFile) -> AppliedRow:
    return AppliedRow(
        version=f.version,
        name=f.name,
        kind=f.kind,
        checksum=f.checksum,
        rollback_checksum=f.rollback_checksum,
        applied_at=datetime(2026, 1, int(f.version or 1), tzinfo=UTC),
        duration_ms=2,
        applied_by="test@host",
        dbwarden_version="0",
    )


OLD = [mf(f"000{v}_step{v}.sql", up=f"CREATE TABLE t{v} (id int);") for v in range(1, 7)]
SQUASH = mf("0006_squashed.sql", "-- dbwarden: squashes=1-6\n", up="CREATE TABLE all_of_them ();")
LATER = mf("0007_later.sql")
NOW = [SQUASH, LATER]  # the migrations directory after `dbwarden squash --to 6`


# --- the directive ---------------------------------------------------------------------------


def test_squashes_directive_is_normalised_and_expanded() -> None:
    f = mf("0012_squashed.sql", "-- dbwarden: squashes=0001-0003,5,7-12\n")
    assert f.directives == ("squashes=1-3,5,7-12",)
    assert f.squashes == ("1", "2", "3", "5", "7", "8", "9", "10", "11", "12")
    assert mf("0001_plain.sql").squashes == ()


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("-- dbwarden: squashes=1-20\n", "must be the highest version it squashes (20)"),
        ("-- dbwarden: squashes=3-1,12\n", "the range 3-1 goes backwards"),
        ("-- dbwarden: squashes=1-5,4-12\n", "the ranges overlap"),
        ("-- dbwarden: squashes=1-x\n", "'1-x' is not a version or a range a-b"),
        ("-- dbwarden: squashes=1-12\n-- dbwarden: squashes=12\n", "a second `squashes=`"),
        ("-- dbwarden: squashes=1-12, no-transaction\n", "runs in one transaction"),
    ],
)
def test_bad_squashes_directives_name_the_file_and_line(header: str, message: str) -> None:
    with pytest.raises(MarkerError) as info:
        mf("0012_squashed.sql", header)
    assert message in str(info.value)
    assert info.value.line is not None
    assert str(info.value).startswith("migrations/0012_squashed.sql:")


def test_a_huge_range_is_refused() -> None:
    with pytest.raises(MarkerError, match="more than 100000 versions"):
        mf("20261122000000_squashed.sql", "-- dbwarden: squashes=1-20261122000000\n")


def test_a_repeatable_cannot_squash() -> None:
    with pytest.raises(MarkerError, match="only a versioned migration can squash"):
        mf("R__views.sql", "-- dbwarden: squashes=1\n", down=None)


# --- which files a squash replaces -------------------------------------------------------------


def test_choose_takes_every_versioned_file_up_to_the_version() -> None:
    files = [*OLD, LATER, mf("R__views.sql", down=None)]
    assert [f.version for f in choose(files, "0006")] == ["1", "2", "3", "4", "5", "6"]
    assert [f.version for f in choose(files, 3)] == ["1", "2", "3"]


@pytest.mark.parametrize(
    ("files", "to", "error", "message"),
    [
        (OLD, "abc", UnknownVersionError, "'abc' is not a version"),
        (OLD, "-3", UnknownVersionError, "is not a version"),
        (
            OLD,
            9,
            UnknownVersionError,
            "no migration file has version 9; the last file is version 6",
        ),
        ([OLD[0], OLD[2]], 2, UnknownVersionError, "no migration file has version 2;"),
        (NOW, 6, SquashError, "0006_squashed.sql already squashes versions up to 6"),
        (NOW, 4, SquashError, "version 4 is already squashed into 0006_squashed.sql"),
        (OLD, 1, SquashError, "nothing to squash"),
        (
            [*OLD[:2], mf("0003_index.sql", "-- dbwarden: no-transaction\n"), *OLD[3:]],
            5,
            SquashError,
            "0003_index.sql is marked `-- dbwarden: no-transaction`, and a squash runs in one "
            "transaction; squash up to a version before it (--to 2)",
        ),
    ],
)
def test_choose_refuses_what_cannot_be_squashed(
    files: list[MigrationFile], to: str | int, error: type[Exception], message: str
) -> None:
    with pytest.raises(error) as info:
        choose(files, to)
    assert message in str(info.value)
    assert getattr(info.value, "exit_code", None) == 2


def test_a_later_squash_may_fold_an_earlier_one() -> None:
    assert [f.name for f in choose([*NOW, mf("0008_more.sql")], 8)] == [
        "0006_squashed",
        "0007_later",
        "0008_more",
    ]


# --- history -----------------------------------------------------------------------------------


def test_a_new_database_runs_the_squash_then_the_rest() -> None:
    plan = plan_upgrade(NOW, [], dialect="postgresql")
    assert [s.file.name for s in plan.steps] == ["0006_squashed", "0007_later"]
    after = plan_upgrade(NOW, [row(SQUASH)], dialect="postgresql")
    assert [s.file.name for s in after.steps] == ["0007_later"]


def test_a_database_that_ran_the_old_files_counts_the_squash_as_applied() -> None:
    history = [row(f) for f in OLD]
    plan = plan_upgrade(NOW, history, dialect="postgresql")
    assert [s.file.name for s in plan.steps] == ["0007_later"]
    assert plan.current_version == "6"

    analysis = analyse(NOW, history)
    assert analysis.missing == ()
    assert analysis.mismatches == ()
    assert analysis.ahead == ()
    assert [r.name for r in squashed_history(NOW, history)] == ["0006_squashed"]
    merged = squashed_history(NOW, history)[0]
    assert merged.checksum == SQUASH.checksum
    assert merged.applied_at == history[-1].applied_at
    assert merged.duration_ms == 12

    done = [*history, row(LATER)]
    assert analyse(NOW, done).state == "up_to_date"


def test_a_database_that_ran_only_some_of_the_old_files_is_an_error() -> None:
    with pytest.raises(PlanError) as info:
        plan_upgrade(NOW, [row(f) for f in OLD[:3]], dialect="postgresql")
    message = str(info.value)
    assert "applied version(s) 1, 2, 3 of the migrations that 0006_squashed.sql squashes" in message
    assert "versions 1-6" in message
    assert "but not version 6" in message
    assert "release from before the squash" in message


def test_an_edited_squash_is_a_checksum_mismatch_once_it_ran() -> None:
    edited = mf("0006_squashed.sql", "-- dbwarden: squashes=1-6\n", up="CREATE TABLE other ();")
    with pytest.raises(ChecksumMismatchError):
        plan_upgrade([edited, LATER], [row(SQUASH)], dialect="postgresql")
    # ...but not on a database that ran the old files: their checksums are not the squash's.
    plan_upgrade([edited, LATER], [row(f) for f in OLD], dialect="postgresql")


def test_rolling_back_the_squash_undoes_all_of_it_on_either_history() -> None:
    for history in ([row(SQUASH), row(LATER)], [*(row(f) for f in OLD), row(LATER)]):
        plan = plan_rollback(NOW, history, steps=2)
        assert [s.file.name for s in plan.steps] == ["0007_later", "0006_squashed"]
        assert plan_rollback(NOW, history, to=0).steps == plan.steps
        assert [s.file.name for s in plan_rollback(NOW, history, to=6).steps] == ["0007_later"]


def test_a_version_inside_a_squash_is_not_a_target() -> None:
    with pytest.raises(UnknownVersionError) as info:
        plan_rollback(NOW, [row(SQUASH), row(LATER)], to=3)
    assert "version 3 was squashed into 0006_squashed.sql (versions 1-6)" in str(info.value)
    assert "rolls back as a whole" in str(info.value)
    with pytest.raises(UnknownVersionError, match="version 3 was squashed into 0006_squashed"):
        plan_upgrade(NOW, [], dialect="postgresql", target=3)


def test_nested_squash_covers_a_database_that_ran_the_first_squash() -> None:
    outer = mf("0008_squashed.sql", "-- dbwarden: squashes=1-8\n", up="CREATE TABLE everything ();")
    eight = mf("0008_more.sql")
    assert analyse([outer], [row(SQUASH), row(LATER), row(eight)]).state == "up_to_date"
    assert analyse([outer], [*(row(f) for f in OLD), row(LATER), row(eight)]).state == "up_to_date"


class _Params:
    dialect = "postgresql"

    @staticmethod
    def param(index: int) -> str:
        return f"${index}"


def test_the_rollback_of_a_squash_deletes_the_rows_of_every_version_it_replaced() -> None:
    history = History(_Params(), table="dbwarden_migrations")  # type: ignore[arg-type]
    statement = history.remove(SQUASH)
    assert statement.sql == (
        "DELETE FROM dbwarden_migrations WHERE version IN ($1, $2, $3, $4, $5, $6)"
    )
    assert statement.params == ("1", "2", "3", "4", "5", "6")
    assert history.remove(LATER).sql == "DELETE FROM dbwarden_migrations WHERE version = $1"
