"""Three app instances migrate on boot at once: a Redis lock (taken before the database lock)
lets one of them apply the migrations while the others wait, then find nothing to do.

Needs the redis extra: pip install "dbwarden[redis]".
"""

from __future__ import annotations

import os

import anyio
from dbwarden import Runner

from app.database import primary

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")


async def boot(instance: int) -> None:
    # In a real fleet, set redis_url= in database_config (or DBWARDEN_REDIS_URL) instead.
    runner = Runner(primary, redis_url=REDIS_URL, lock_timeout=120)
    result = await runner.upgrade()
    versioned = [step.name for step in result.applied if step.version is not None]
    print(f"instance {instance}: applied {len(versioned)} versioned migrations")


async def main() -> None:
    async with anyio.create_task_group() as tg:
        for instance in (1, 2, 3):
            tg.start_soon(boot, instance)


if __name__ == "__main__":
    anyio.run(main)
