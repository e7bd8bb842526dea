"""Draft the next migration without writing it: what would `make-migrations` write?"""

from __future__ import annotations

import anyio
from dbwarden.draft import make_migration

from app.database import primary


async def main() -> None:
    draft = await make_migration(primary, "add users.bio", write=False)
    if draft.is_empty:
        print("nothing to draft")
        return
    for change in draft.changes:
        print(change.summary())  # e.g. "add column users.bio: TEXT"
    print(draft.text)  # the file: header, -- upgrade, -- rollback


if __name__ == "__main__":
    anyio.run(main)
