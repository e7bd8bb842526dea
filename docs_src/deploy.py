"""A deploy step: migrate, and turn each kind of failure into the CLI's exit codes."""

from __future__ import annotations

import sys

import anyio
from dbwarden import (
    DBWardenError,
    LockTimeoutError,
    MigrationFailedError,
    PlanError,
)

from app.database import primary


async def main() -> int:
    try:
        result = await primary.runner.upgrade()
    except LockTimeoutError as exc:  # another deploy is migrating: exit code 3
        print(f"lock busy: {exc.holder.describe() if exc.holder else exc}", file=sys.stderr)
        return exc.exit_code
    except MigrationFailedError as exc:  # the database rejected a statement: exit code 1
        print(f"{exc.path}:{exc.line}: {exc.db_message}", file=sys.stderr)
        return exc.exit_code
    except PlanError as exc:  # files and history disagree (edited file, ...): exit code 2
        print(exc, file=sys.stderr)
        return exc.exit_code
    except DBWardenError as exc:  # anything else dbwarden raises on purpose
        print(exc, file=sys.stderr)
        return exc.exit_code

    if result.state == "ahead":
        print(f"the database is ahead of this release: {', '.join(result.plan.ahead_versions)}")
    else:
        print(f"applied {len(result.applied)} migrations")
    return 0


if __name__ == "__main__":
    sys.exit(anyio.run(main))
