"""A CI check: every applied migration's file must be present and unchanged."""

from __future__ import annotations

import sys

import anyio
from dbwarden import PlanError

from app.database import primary


async def main() -> int:
    try:
        status = await primary.runner.verify()
    except PlanError as exc:  # ChecksumMismatchError or MissingFileError
        print(exc, file=sys.stderr)
        return exc.exit_code
    print(f"{status.database}: {len(status.applied)} applied, {len(status.pending)} pending")
    return 0


if __name__ == "__main__":
    sys.exit(anyio.run(main))
