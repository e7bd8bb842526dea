"""``shielded()``: protect cleanup (closing a connection) from cancellation, cheaply.

An anyio ``CancelScope(shield=True)`` needs anyio's asyncio backend, a module that costs a
command-line start-up ~25 ms to import. Only an anyio cancel scope can deliver anyio
cancellation, and creating one imports that backend; so while it is not imported, no anyio
scope exists that could cancel the cleanup, and there is nothing to shield it from. A run
that takes a lock (and so creates scopes) gets the real shield.
"""

from __future__ import annotations

import sys
from contextlib import AbstractContextManager, nullcontext

__all__ = ["shielded"]

_BACKEND = "anyio._backends._asyncio"


def shielded() -> AbstractContextManager[object]:
    """``anyio.CancelScope(shield=True)``, or a no-op while no anyio scope can exist."""
    if _BACKEND not in sys.modules:
        return nullcontext()
    import anyio

    return anyio.CancelScope(shield=True)
