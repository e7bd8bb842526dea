"""Progress as events: read-only payloads passed to callables the caller supplies.

The runner emits them and knows nothing of who listens: the CLI renders them with rich,
the metrics module counts them, tests collect them in a list.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._progress import LockAcquired as LockAcquired
    from ._progress import LockReleased as LockReleased
    from ._progress import LockWaiting as LockWaiting
    from ._progress import StepApplied as StepApplied
    from ._progress import StepFailed as StepFailed
    from ._progress import StepStarted as StepStarted
    from .model import Plan

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
    """The plan of a run, made under the lock (or without one, when it has nothing to do)."""

    database: str
    plan: Plan
    dry_run: bool


@dataclass(frozen=True, slots=True)
class RunFinished:
    """A run ended, applied or failed; ``current_version`` is the database's version after it."""

    database: str
    direction: str  # "upgrade" | "rollback" | "seed"
    applied: int
    failed: bool
    duration_s: float
    current_version: str | None


# Six of the eight events, those of steps and locks, live in ``_progress``, loaded on first
# use: a run with nothing to do emits only ``PlanMade`` and ``RunFinished``, and creating the
# six dataclasses would cost each no-op ``migrate`` of a deploy about 3 ms at import.
_EVENTS = (
    "PlanMade",
    "StepStarted",
    "StepApplied",
    "StepFailed",
    "LockWaiting",
    "LockAcquired",
    "LockReleased",
    "RunFinished",
)
_PROGRESS = frozenset(_EVENTS) - {"PlanMade", "RunFinished"}

if TYPE_CHECKING:
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
EventSink = Callable[["Event"], None]


def __getattr__(name: str) -> object:
    """``StepStarted`` & co. and the ``Event`` union, created on first access."""
    value: object
    if name in _PROGRESS:
        from . import _progress

        value = getattr(_progress, name)
    elif name == "Event":
        from typing import Union

        value = Union[tuple(globals().get(n) or __getattr__(n) for n in _EVENTS)]  # noqa: UP007
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def emit(sinks: Sequence[EventSink], event: Event) -> None:
    """Deliver ``event`` to every sink. A sink that raises is a bug in the sink; it must not
    abort a migration half way, so the error is swallowed after the others have run."""
    for sink in sinks:
        try:
            sink(event)
        except Exception:
            import logging

            logging.getLogger("dbwarden").exception("event sink %r failed", sink)
