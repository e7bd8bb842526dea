"""Migrate, then load the development seeds; show what status reports about them."""

from __future__ import annotations

import anyio

from app.database import primary


async def main() -> None:
    runner = primary.runner
    await runner.upgrade()  # seeds run after the migrations

    result = await runner.seed()  # ENVIRONMENT unset: env-restricted seeds are skipped
    print("applied", [s.name for s in result.applied], "warnings", list(result.plan.warnings))

    result = await runner.seed(environment="development")
    print("applied", [s.name for s in result.applied])

    status = await runner.status()
    print("seed version", status.seed_version, "pending", len(status.seeds_pending))


if __name__ == "__main__":
    anyio.run(main)
