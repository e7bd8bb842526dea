"""Run the migrations on a connection from your own SQLAlchemy engine (any async dialect).

The lock still uses a connection of its own. A connection that is not in a transaction is
used like dbwarden's own: each migration commits together with its history row.
"""

from __future__ import annotations

import anyio
from dbwarden import Runner
from sqlalchemy.ext.asyncio import create_async_engine

from app.database import primary


async def main() -> None:
    engine = create_async_engine(primary.async_url())
    try:
        async with engine.connect() as conn:
            result = await Runner(primary, connection=conn).upgrade()
        print(f"applied {len(result.applied)} migrations through the app's engine")
    finally:
        await engine.dispose()


if __name__ == "__main__":
    anyio.run(main)
