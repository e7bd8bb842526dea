"""The curated public surface, and the promise that the core imports no optional extra."""

from __future__ import annotations

import subprocess
import sys

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
