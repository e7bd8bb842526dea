"""The example's database configuration, read by the dbwarden CLI and importable by the app.

The CLI finds this file through ``[tool.dbwarden] config = "app/database.py"`` in
``pyproject.toml``. Relative paths (the SQLite file, the migrations directory) resolve
against the directory holding that ``pyproject.toml``, whatever the working directory.
"""

from __future__ import annotations

import os

from dbwarden import database_config

primary = database_config(
    database_name="primary",
    default=True,
    # Defaults to a SQLite file next to pyproject.toml; point DATABASE_URL at PostgreSQL
    # (postgresql://user@localhost/blog) to run the same migrations there.
    database_url=os.environ.get("DATABASE_URL", "sqlite:///example.db"),
    migrations_dir="migrations/primary",
    seeds_dir="seeds/primary",
    model_paths=["app.models"],
)
