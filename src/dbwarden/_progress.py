"""The events of steps and locks (``dbwarden.events`` re-exports them, loaded on first use)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .errors import DBWardenError, LockHolder
    from .model import Step

__all__ = [
    "LockAcquired",
    "LockReleased",
    "LockWaiting",
    "StepApplied",
    "StepFailed",
    "StepStarted",
]


@dataclass(frozen=True, slots=True)
class StepStarted:
    """A step is about to run (``index`` of ``total``)."""

    database: str
    step: Step
    index: int
    total: int


@dataclass(frozen=True, slots=True)
class StepApplied:
    """A step ran and committed."""

    database: str
    step: Step
    index: int
    total: int
    duration_s: float


@dataclass(frozen=True, slots=True)
class StepFailed:
    """A step failed; its transaction was rolled back."""

    database: str
    step: Step
    error: DBWardenError
    duration_s: float


@dataclass(frozen=True, slots=True)
class LockWaiting:
    """Another run holds the lock; this one polls (``holder`` when known)."""

    database: str
    kind: str  # "database" | "redis"
    holder: LockHolder | None
    waited_s: float


@dataclass(frozen=True, slots=True)
class LockAcquired:
    """The lock is this run's."""

    database: str
    kind: str
    waited_s: float


@dataclass(frozen=True, slots=True)
class LockReleased:
    """The lock was released."""

    database: str
    kind: str
