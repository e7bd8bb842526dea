"""Print the exact SQL a migrate would run, bookkeeping included, without writing anything."""

from __future__ import annotations

import anyio

from app.database import primary


async def main() -> None:
    result = await primary.runner.upgrade(dry_run=True)
    print(f"-- {len(result.plan.steps)} steps, state {result.plan.state}")
    for statement in result.sql:
        print(statement)


if __name__ == "__main__":
    anyio.run(main)
