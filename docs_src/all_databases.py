"""Migrate every configured database at once (what `dbwarden migrate --all` does)."""

from __future__ import annotations

import anyio
from dbwarden import DBWardenError, upgrade_all

import app.database  # noqa: F401  (importing the config registers its databases)


async def main() -> None:
    results = await upgrade_all(concurrency=4)
    for name, outcome in results.items():
        if isinstance(outcome, DBWardenError):
            print(f"{name}: failed (exit code {outcome.exit_code}): {outcome}")
        elif outcome.applied:
            print(f"{name}: applied {len(outcome.applied)} migrations")
        else:
            print(f"{name}: nothing to apply ({outcome.state})")


if __name__ == "__main__":
    anyio.run(main)
