"""A clock a test moves forward instead of waiting: stands in for the ``time`` module of the one
module under test, so deadlines (token refresh, timeouts) pass without real sleeps while the event
loop and everything else keep the real clock."""

from __future__ import annotations

import time as _time
from typing import Any


class ShiftedClock:
    """The real clocks plus an offset that only ``advance`` changes."""

    def __init__(self) -> None:
        self.offset = 0.0

    def advance(self, seconds: float) -> None:
        self.offset += seconds

    def monotonic(self) -> float:
        return _time.monotonic() + self.offset

    def time(self) -> float:
        return _time.time() + self.offset

    def perf_counter(self) -> float:
        return _time.perf_counter() + self.offset

    def __getattr__(self, name: str) -> Any:  # everything else of ``time`` unchanged
        return getattr(_time, name)
