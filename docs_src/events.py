"""Follow a run as it happens: the runner calls your functions with read-only events."""

from __future__ import annotations

import anyio
from dbwarden import Runner
from dbwarden.events import Event, LockAcquired, LockWaiting, RunFinished, StepApplied

from app.database import primary


def log_event(event: Event) -> None:
    match event:
        case LockWaiting(holder=holder):
            print(f"waiting for the lock held by {holder.describe() if holder else 'someone'}")
        case LockAcquired(waited_s=waited):
            print(f"lock acquired after {waited:.2f}s")
        case StepApplied(step=step, index=index, total=total):
            print(f"[{index}/{total}] {step.action} {step.name}")
        case RunFinished(applied=applied, current_version=version):
            print(f"done: {applied} applied, now at version {version}")
        case _:
            pass


async def main() -> None:
    runner = Runner(primary, events=[log_event])
    await runner.upgrade()


if __name__ == "__main__":
    anyio.run(main)
