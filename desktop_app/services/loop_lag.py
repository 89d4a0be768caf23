"""LoopLagMonitor: how late the event loop runs a timer — the UI's "did we stall?" figure.

A task sleeps ``interval_s`` and measures how much later than asked it woke up. With qasync the
loop is the Qt thread, so this lag is exactly how long the UI could not repaint or react.
Percentiles are over a sliding window (the status bar) and over the whole run (the ``record``
summary keeps ``max`` exact and p50/p99 over the retained samples).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class LoopLagStats:
    samples: int
    p50_ms: float
    p99_ms: float
    max_ms: float

    def as_dict(self) -> dict[str, float]:
        return {"p50": round(self.p50_ms, 3), "p99": round(self.p99_ms, 3), "max": round(self.max_ms, 3)}


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an ascending list (0.0 for an empty one)."""
    if not sorted_values:
        return 0.0
    rank = min(len(sorted_values) - 1, max(0, int(round(fraction * len(sorted_values) + 0.5)) - 1))
    return sorted_values[rank]


class LoopLagMonitor:
    """Start it on the loop to watch; read ``window()`` / ``overall()`` from anywhere on it."""

    def __init__(self, interval_s: float = 0.05, *, window_s: float = 60.0, history: int = 100_000) -> None:
        self.interval_s = interval_s
        self._window: deque[float] = deque(maxlen=max(1, int(window_s / interval_s)))
        self._all: deque[float] = deque(maxlen=history)
        self._max_ms = 0.0
        self._task: asyncio.Task | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        if self.running:
            return
        self._task = asyncio.get_running_loop().create_task(self._run(), name="loop-lag-monitor")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass

    def reset(self) -> None:
        self._window.clear()
        self._all.clear()
        self._max_ms = 0.0

    def record(self, lag_ms: float) -> None:
        lag_ms = max(0.0, lag_ms)
        self._window.append(lag_ms)
        self._all.append(lag_ms)
        if lag_ms > self._max_ms:
            self._max_ms = lag_ms

    def window(self) -> LoopLagStats:
        """The last ``window_s`` seconds (status bar)."""
        values = sorted(self._window)
        return LoopLagStats(len(values), percentile(values, 0.50), percentile(values, 0.99),
                            values[-1] if values else 0.0)

    def overall(self) -> LoopLagStats:
        """The whole run since start (or reset)."""
        values = sorted(self._all)
        return LoopLagStats(len(values), percentile(values, 0.50), percentile(values, 0.99), self._max_ms)

    async def _run(self) -> None:
        interval = self.interval_s
        while True:
            expected = time.perf_counter() + interval
            await asyncio.sleep(interval)
            self.record((time.perf_counter() - expected) * 1000.0)
