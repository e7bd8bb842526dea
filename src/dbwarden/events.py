"""Progress as events: read-only payloads passed to callables the caller supplies.

The runner emits them and knows nothing of who listens: the CLI renders them with rich,
the metrics module counts them, tests collect them in a list.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .errors import DBWardenError, LockHolder
from .model import Plan, Step

__all__ = [
    "Event",
    "EventSink",
    "LockAcquired",
    "LockReleased",
    "LockWaiting",
    "PlanMade",
    "RunFinished",
    "StepApplied",
    "StepFailed",
    "StepStarted",
    "emit",
]


@dataclass(frozen=True, slots=True)
class PlanMade:
    database: str
    plan: Plan
    dry_run: bool


@dataclass(frozen=True, slots=True)
class StepStarted:
    database: str
    step: Step
    index: int
    total: int


@dataclass(frozen=True, slots=True)
class StepApplied:
    database: str
    step: Step
    index: int
    total: int
    duration_s: float


@dataclass(frozen=True, slots=True)
class StepFailed:
    database: str
    step: Step
    error: DBWardenError
    duration_s: float


@dataclass(frozen=True, slots=True)
class LockWaiting:
    database: str
    kind: str  # "database" | "redis"
    holder: LockHolder | None
    waited_s: float


@dataclass(frozen=True, slots=True)
class LockAcquired:
    database: str
    kind: str
    waited_s: float


@dataclass(frozen=True, slots=True)
class LockReleased:
    database: str
    kind: str


@dataclass(frozen=True, slots=True)
class RunFinished:
    database: str
    direction: str  # "upgrade" | "rollback" | "seed"
    applied: int
    failed: bool
    duration_s: float
    current_version: str | None


Event = (
    PlanMade
    | StepStarted
    | StepApplied
    | StepFailed
    | LockWaiting
    | LockAcquired
    | LockReleased
    | RunFinished
)
EventSink = Callable[[Event], None]


def emit(sinks: Sequence[EventSink], event: Event) -> None:
    """Deliver ``event`` to every sink. A sink that raises is a bug in the sink; it must not
    abort a migration half way, so the error is swallowed after the others have run."""
    for sink in sinks:
        try:
            sink(event)
        except Exception:
            import logging

            logging.getLogger("dbwarden").exception("event sink %r failed", sink)
