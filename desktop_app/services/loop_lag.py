"""LoopLagMonitor: how late the event loop runs a timer — the UI's "did we stall?" figure.

A task sleeps ``interval_s`` and measures how much later than asked it woke up. With qasync the
loop is the Qt thread, so this lag is exactly how long the UI could not repaint or react.
Percentiles are over a sliding window (the status bar) and over the whole run (the ``record``
summary keeps ``max`` exact and p50/p99 over the retained samples).

It samples every 10 ms (``INTERVAL_S``): a p99 needs a hundred samples, and at 50 ms the status
bar's "p99" of a start-up's first seconds was the maximum of a few dozen. The samples cost about
2 ms of CPU a second.

For the samples later than a frame it also keeps how much of their time the loop thread was
actually running (``late_cpu_share``): the answer to "busy with our own work, or waiting for a
CPU / the GIL?".
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from dataclasses import dataclass

log = logging.getLogger(__name__)

FRAME_MS = 1000.0 / 60  # one frame at 60 Hz: a sample later than this is a visible hitch
INTERVAL_S = 0.01


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

    def __init__(self, interval_s: float = INTERVAL_S, *, window_s: float = 60.0, history: int = 100_000) -> None:
        self.interval_s = interval_s
        self._window: deque[float] = deque(maxlen=max(1, int(window_s / interval_s)))
        self._all: deque[float] = deque(maxlen=history)
        self._max_ms = 0.0
        # For the samples later than one frame: their wall time and the loop thread's CPU time in
        # it. A low share means the thread was mostly NOT running while late (waiting for a CPU
        # or for the GIL held by another thread), not busy with its own callbacks.
        self._late_wall_s = 0.0
        self._late_cpu_s = 0.0
        self._late_others_s = 0.0  # the process's other threads' CPU time in the same samples
        self._late_samples = 0
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
        self._late_wall_s = self._late_cpu_s = self._late_others_s = 0.0
        self._late_samples = 0

    def record_cpu(self, lag_ms: float, wall_s: float, cpu_s: float, others_cpu_s: float = 0.0) -> None:
        """A sample's lag plus the wall time it spanned, the loop thread's CPU time in it and the
        CPU time of the process's other threads (the writer's encoder holds the GIL while it runs)."""
        self.record(lag_ms)
        if lag_ms > FRAME_MS:
            self._late_samples += 1
            self._late_wall_s += wall_s
            self._late_cpu_s += cpu_s
            self._late_others_s += max(0.0, others_cpu_s)

    def late_others_share(self) -> float | None:
        """For the samples later than a frame: the other threads' CPU time over their wall time
        (an upper bound on the GIL's share of the wait; the rest waited for a CPU)."""
        if not self._late_samples or self._late_wall_s <= 0:
            return None
        return self._late_others_s / self._late_wall_s

    def late_cpu_share(self) -> tuple[int, float | None]:
        """(samples later than a frame, share of their wall time the loop thread was on a CPU)."""
        if not self._late_samples or self._late_wall_s <= 0:
            return self._late_samples, None
        return self._late_samples, min(1.0, self._late_cpu_s / self._late_wall_s)

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
        clock, thread_cpu, process_cpu = time.perf_counter, time.thread_time, time.process_time
        while True:
            started, cpu_started, process_started = clock(), thread_cpu(), process_cpu()
            await asyncio.sleep(interval)
            now = clock()
            cpu = thread_cpu() - cpu_started
            self.record_cpu((now - started - interval) * 1000.0, now - started, cpu,
                            process_cpu() - process_started - cpu)
