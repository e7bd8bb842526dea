"""The curated public surface, and the promise that the core imports no optional extra."""

from __future__ import annotations

import subprocess
import sys

import pytest

import dbwarden


def test_all_names_exist_and_are_exported_from_the_package() -> None:
    for name in dbwarden.__all__:
        assert hasattr(dbwarden, name), name
    public = {n for n in dir(dbwarden) if not n.startswith("_")}
    # Every public attribute that is not a submodule is listed in __all__.
    modules = {n for n in public if type(getattr(dbwarden, n)).__name__ == "module"}
    assert public - modules <= set(dbwarden.__all__) | {"annotations"}


def test_design_names_are_public() -> None:
    for name in ("database_config", "Runner", "get_database"):
        assert name in dbwarden.__all__


def test_import_dbwarden_loads_no_optional_dependency_nor_sqlalchemy() -> None:
    code = (
        "import sys, dbwarden\n"
        "bad = [m for m in ('rich', 'typer', 'fastapi', 'redis', 'prometheus_client', "
        "'sqlalchemy', 'asyncpg', 'aiosqlite') if m in sys.modules]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_every_event_name_resolves_though_six_load_lazily() -> None:
    import dataclasses

    from dbwarden import events

    for name in events.__all__:
        assert getattr(events, name) is not None, name
    kinds = [getattr(events, n) for n in events._EVENTS]
    assert all(dataclasses.is_dataclass(k) for k in kinds)
    plan_made = events.PlanMade("db", None, False)  # type: ignore[arg-type]
    assert isinstance(plan_made, events.Event)
    assert isinstance(events.StepStarted("db", None, 1, 2), events.Event)  # type: ignore[arg-type]
    assert not isinstance("not an event", events.Event)
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        events.Nope  # noqa: B018
