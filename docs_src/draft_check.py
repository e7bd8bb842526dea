"""A CI check: the models must match the schema the migrations produce.

The same as `dbwarden check`, from Python: exits 1 listing the differences when a model
changed and no migration says so.
"""

from __future__ import annotations

import sys

import anyio
from dbwarden.draft import check_models

from app.database import primary


async def main() -> int:
    result = await check_models(primary)  # imports primary's model_paths
    migrations, models = result.labels
    for change in result.changes:
        print(change.difference(migrations, models))
    print(f"{result.database}: {len(result.changes)} difference(s) at version {result.version}")
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(anyio.run(main))
