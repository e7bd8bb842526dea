"""Undo the newest migration, then everything above version 3."""

from __future__ import annotations

import anyio

from app.database import primary


async def main() -> None:
    runner = primary.runner

    last = await runner.rollback()  # steps=1 by default
    print("rolled back", [step.name for step in last.applied])

    preview = await runner.rollback(to=3, dry_run=True)  # what would run, nothing written
    print("would roll back", [step.name for step in preview.plan.steps])

    down = await runner.rollback(to=3)
    print("rolled back", [step.name for step in down.applied])
    print("now at version", (await runner.status()).current_version)


if __name__ == "__main__":
    anyio.run(main)
