"""A clock a test moves instead of waiting.

``ManualClock`` stands in for the ``time`` module of the one module under test (monkeypatch that
module's ``time``), and ``AsyncioWithClock`` for its ``asyncio``, whose ``sleep`` then moves the
clock instead of waiting. The event loop and every other module keep the real clock, so deadlines
and pacing are checked exactly, without real sleeps and whatever the machine's load.
"""

from __future__ import annotations

import asyncio
import time as _time
from typing import Any


class ManualClock:
    """Stands still until ``advance`` (or ``sleep``) moves it."""

    def __init__(self, start: float = 1_000.0) -> None:
        self.now = start
        self.slept: list[float] = []

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def monotonic(self) -> float:
        return self.now

    def perf_counter(self) -> float:
        return self.now

    async def sleep(self, seconds: float, result: Any = None) -> Any:
        self.slept.append(seconds)
        self.advance(max(0.0, seconds))
        await asyncio.sleep(0)  # still a suspension point, as a real sleep is
        return result

    def __getattr__(self, name: str) -> Any:  # the rest of ``time`` (``time.time`` included) is real
        return getattr(_time, name)


class AsyncioWithClock:
    """``asyncio`` for one module under test, except that ``sleep`` moves ``clock``."""

    def __init__(self, clock: ManualClock) -> None:
        self.sleep = clock.sleep

    def __getattr__(self, name: str) -> Any:
        return getattr(asyncio, name)
