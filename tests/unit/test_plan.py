"""The planner, fed from memory: no files on disk, no database."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dbwarden.errors import (
    ChecksumMismatchError,
    IrreversibleError,
    MissingFileError,
    OutOfOrderError,
    PlanError,
    TransactionError,
    UnknownVersionError,
)
from dbwarden.model import AppliedRow, Kind, MigrationFile
from dbwarden.parse import parse_text
from dbwarden.plan import analyse, plan_rollback, plan_upgrade


def mf(
    name: str, up: str = "SELECT 1;", down: str | None = "SELECT 0;", header: str = ""
) -> MigrationFile:
    text = f"{header}-- upgrade\n{up}\n"
    if down is not None:
        text += f"-- rollback\n{down}\n"
    return parse_text(text, name, "postgresql")


def row(f: MigrationFile, checksum: str | None = None) -> AppliedRow:
    return AppliedRow(
        version=f.version,
        name=f.name,
        kind=f.kind,
        checksum=checksum or f.checksum,
        rollback_checksum=f.rollback_checksum,
        applied_at=datetime(2026, 1, 1, tzinfo=UTC),
        duration_ms=1,
        applied_by="test@host",
        dbwarden_version="0",
    )


def ghost(version: str) -> AppliedRow:
    return AppliedRow(
        version,
        f"{version}_ghost",
        Kind.VERSIONED,
        "sha256:x",
        None,
        datetime(2026, 1, 1, tzinfo=UTC),
        1,
        "t",
        "0",
    )


F1, F2, F10 = mf("0001_a.sql"), mf("0002_b.sql"), mf("0010_c.sql")
RA = mf("RA__views.sql", down=None)
ROC = mf("ROC__audit.sql", down=None)


def names(plan: object) -> list[str]:
    return [s.name for s in plan.steps]  # type: ignore[attr-defined]


def test_pending_in_numeric_order_then_on_change_then_always() -> None:
    plan = plan_upgrade([RA, F10, ROC, F2, F1], [], dialect="postgresql")
    assert names(plan) == ["0001_a", "0002_b", "0010_c", "ROC__audit", "RA__views"]
    assert plan.state == "pending"


def test_up_to_date_runs_only_runs_always() -> None:
    plan = plan_upgrade([F1, RA, ROC], [row(F1), row(ROC)], dialect="postgresql")
    assert names(plan) == ["RA__views"]
    assert plan.state == "up_to_date"
    assert plan.current_version == "1"


def test_changed_runs_on_change_is_reapplied() -> None:
    edited = mf("ROC__audit.sql", up="SELECT 2;", down=None)
    plan = plan_upgrade([F1, edited], [row(F1), row(ROC)], dialect="postgresql")
    assert [(s.name, s.action) for s in plan.steps] == [("ROC__audit", "reapply")]
    assert plan.state == "pending"


def test_checksum_mismatch_names_file_and_repair() -> None:
    with pytest.raises(ChecksumMismatchError) as info:
        plan_upgrade([F1, F2], [row(F1, "sha256:old")], dialect="postgresql")
    assert info.value.version == "1"
    assert "0001_a.sql" in str(info.value) and "dbwarden repair" in str(info.value)


def test_applied_version_with_file_gone_below_highest_is_an_error() -> None:
    with pytest.raises(MissingFileError, match="version 2"):
        plan_upgrade([F1, F10], [row(F1), ghost("2")], dialect="postgresql")


def test_database_ahead_of_code_is_a_state() -> None:
    plan = plan_upgrade(
        [F1, F2, RA], [row(F1), row(F2), ghost("3"), ghost("4")], dialect="postgresql"
    )
    assert plan.state == "ahead"
    assert plan.steps == ()  # not even runs-always: the newer release owns the views now
    assert plan.ahead_versions == ("3", "4")
    assert analyse([F1, F2], [row(F1), row(F2), ghost("3")]).state == "ahead"


def test_out_of_order_refused_unless_allowed() -> None:
    with pytest.raises(OutOfOrderError, match="0002_b.sql"):
        plan_upgrade([F1, F2, F10], [row(F1), row(F10)], dialect="postgresql")
    plan = plan_upgrade(
        [F1, F2, F10], [row(F1), row(F10)], dialect="postgresql", allow_out_of_order=True
    )
    assert names(plan) == ["0002_b"]


def test_target_stops_and_skips_repeatables() -> None:
    plan = plan_upgrade([F1, F2, F10, RA], [], dialect="postgresql", target="0002")
    assert names(plan) == ["0001_a", "0002_b"]
    plan = plan_upgrade([F1, F2, F10, RA], [], dialect="postgresql", target=10)
    assert names(plan) == ["0001_a", "0002_b", "0010_c", "RA__views"]


def test_target_errors() -> None:
    with pytest.raises(UnknownVersionError):
        plan_upgrade([F1], [], dialect="postgresql", target=7)
    with pytest.raises(UnknownVersionError):
        plan_upgrade([F1], [], dialect="postgresql", target="abc")
    with pytest.raises(PlanError, match="rollback --to 1"):
        plan_upgrade([F1, F2], [row(F1), row(F2)], dialect="postgresql", target=1)


def test_non_transactional_statement_needs_the_directive() -> None:
    f = mf("0003_idx.sql", up="SELECT 1;\nCREATE INDEX CONCURRENTLY i ON t (a);")
    with pytest.raises(TransactionError) as info:
        plan_upgrade([f], [], dialect="postgresql")
    assert info.value.line == 3
    assert "no-transaction" in str(info.value) and "0003_idx.sql:3" in str(info.value)
    ok = mf(
        "0003_idx.sql",
        up="CREATE INDEX CONCURRENTLY i ON t (a);",
        header="-- dbwarden: no-transaction\n",
    )
    assert names(plan_upgrade([ok], [], dialect="postgresql")) == ["0003_idx"]


def test_rollback_by_steps_newest_first() -> None:
    plan = plan_rollback([F1, F2, F10], [row(F1), row(F2), row(F10)], steps=2)
    assert names(plan) == ["0010_c", "0002_b"]
    assert all(s.action == "rollback" for s in plan.steps)
    assert names(plan_rollback([F1], [row(F1)], steps=5)) == ["0001_a"]
    assert plan_rollback([F1], [], steps=1).steps == ()


def test_rollback_to_version() -> None:
    applied = [row(F1), row(F2), row(F10)]
    assert names(plan_rollback([F1, F2, F10], applied, to="1")) == ["0010_c", "0002_b"]
    assert names(plan_rollback([F1, F2, F10], applied, to=0)) == ["0010_c", "0002_b", "0001_a"]
    with pytest.raises(UnknownVersionError):
        plan_rollback([F1, F2, F10], applied, to=5)
    with pytest.raises(PlanError):
        plan_rollback([F1], [row(F1)], steps=0)


def test_rollback_refuses_across_irreversible() -> None:
    irr = mf("0002_drop.sql", down=None, header="-- dbwarden: irreversible\n")
    with pytest.raises(IrreversibleError, match="0002_drop.sql"):
        plan_rollback([F1, irr, F10], [row(F1), row(irr), row(F10)], to=1)
    # Rolling back only what lies above it is fine.
    assert names(plan_rollback([F1, irr, F10], [row(F1), row(irr), row(F10)], steps=1)) == [
        "0010_c"
    ]


def test_rollback_of_a_version_this_code_does_not_know() -> None:
    with pytest.raises(MissingFileError, match="newer release"):
        plan_rollback([F1], [row(F1), ghost("2")], steps=1)


def test_analysis_reports_everything_without_raising() -> None:
    a = analyse([F1, F2, F10, ROC], [row(F1, "sha256:old"), ghost("5")])
    assert [m.name for m in a.mismatches] == ["0001_a"]
    assert [r.version for r in a.missing] == ["5"]
    assert [f.name for f in a.pending] == ["0002_b", "0010_c"]
    assert [f.name for f in a.out_of_order] == ["0002_b"]
    assert [f.name for f in a.changed] == ["ROC__audit"]
