"""A pause that ends early when an event is set, so ``close()`` never waits out a feed's delay."""

from __future__ import annotations

import asyncio


async def sleep_unless_set(event: asyncio.Event, delay: float) -> None:
    """Wait ``delay`` seconds, or less if ``event`` is (or becomes) set meanwhile."""
    try:
        await asyncio.wait_for(event.wait(), timeout=delay)
    except TimeoutError:
        pass
