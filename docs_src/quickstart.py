"""Migrate from Python: the runner the CLI uses, bound to the database in app/database.py.

Save as migrate.py in the project root and run `python migrate.py`.
"""

from __future__ import annotations

import anyio

from app.database import primary


async def main() -> None:
    result = await primary.runner.upgrade()
    for step in result.applied:
        print(f"applied {step.name} in {step.duration_ms} ms")

    status = await primary.runner.status()
    print(f"{status.database}: {status.state}, at version {status.current_version}")


if __name__ == "__main__":
    anyio.run(main)
