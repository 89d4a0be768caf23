"""Replay a JSON Lines file of hub envelopes (docs/ARCHITECTURE.md, "Replay files").

Lines are yielded as recorded, bad ones included: the pipeline's parser is the one place that
judges and counts rejections, so a replay shows exactly what a live run would have rejected.
Only blank lines are skipped; bytes that are not UTF-8 are decoded with replacement characters.

Pacing (``speed`` not None) follows the recorded market time read cheaply from each line
(``TradingDate``/``Time`` inside Content, no full parse): a line recorded t seconds after the
first timed line is yielded t/speed seconds after it. Lines without a readable time go out at
once; when the trading date changes the clock re-anchors, so a multi-day file does not sleep
overnight. The file is read in batches in an executor so the loop never blocks on disk.
"""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import date, datetime
from pathlib import Path
from typing import AsyncIterator, Awaitable, BinaryIO, Callable

from desktop_app.domain import VIETNAM_TZ
from desktop_app.feeds.base import FeedState, FeedStateHolder
from desktop_app.feeds.interruptible_sleep import sleep_unless_set

log = logging.getLogger(__name__)

READ_BATCH_LINES = 2_000
YIELD_EVERY = 256  # at max speed, give the loop a turn this often

# Works on the raw line whether Content is double-encoded (\"Time\":\"09:15:00\") or an object.
_DATE_RE = re.compile(r'TradingDate\W{1,8}(\d\d)/(\d\d)/(\d{4})')
_TIME_RE = re.compile(r'(?<![A-Za-z])(?:Trading)?Time\W{1,8}(\d\d):(\d\d):(\d\d)')


def recorded_time(line: str, last_date: date | None = None) -> datetime | None:
    """The market time a line was recorded at, or None when it carries no readable time."""
    tm = _TIME_RE.search(line)
    if tm is None:
        return None
    dm = _DATE_RE.search(line)
    try:
        day = date(int(dm.group(3)), int(dm.group(2)), int(dm.group(1))) if dm else last_date
        if day is None:
            return None
        return datetime(day.year, day.month, day.day, int(tm.group(1)), int(tm.group(2)),
                        int(tm.group(3)), tzinfo=VIETNAM_TZ)
    except ValueError:  # 31/02/2026, 25:00:00: the parser will reject it; pace nothing on it
        return None


def _read_batch(handle: BinaryIO, max_lines: int) -> list[bytes]:
    lines = []
    for _ in range(max_lines):
        line = handle.readline()
        if not line:
            break
        lines.append(line)
    return lines


class ReplayFeed(FeedStateHolder):
    """``ReplayFeed(path, speed)``: ``speed`` x recorded time, or ``None`` for as fast as consumed.

    ``clock``/``sleep`` default to the running loop's clock and a close-aware sleep; tests pass a
    virtual clock to check pacing without wall-clock timing.
    """

    name = "replay"

    def __init__(
        self,
        path: Path | str,
        speed: float | None = 1.0,
        *,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
    ) -> None:
        super().__init__(FeedState.CONNECTING)
        if speed is not None and not speed > 0:
            raise ValueError(f"speed must be positive or None (max), got {speed!r}")
        self.path = Path(path)
        self.speed = speed
        self._clock = clock
        self._sleep = sleep
        self._closed = asyncio.Event()
        self.lines_read = 0

    async def envelopes(self) -> AsyncIterator[str]:
        if self._closed.is_set():
            self._set_state(FeedState.ENDED)
            return
        loop = asyncio.get_running_loop()
        clock = self._clock or loop.time
        sleep = self._sleep or self._pause
        try:
            handle = await loop.run_in_executor(None, self.path.open, "rb")
        except OSError:
            log.exception("cannot open replay file %s", self.path)
            self._set_state(FeedState.FAILED)
            raise
        self._set_state(FeedState.REPLAY)
        anchor_wall = 0.0
        anchor_market: datetime | None = None
        last_date: date | None = None
        since_yield = 0
        try:
            while not self._closed.is_set():
                batch = await loop.run_in_executor(None, _read_batch, handle, READ_BATCH_LINES)
                if not batch:
                    break
                for raw in batch:
                    if self._closed.is_set():
                        return
                    line = raw.decode("utf-8", errors="replace").strip()
                    if not line:
                        continue
                    self.lines_read += 1
                    if self.speed is not None:
                        stamp = recorded_time(line, last_date)
                        if stamp is not None:
                            if anchor_market is None or stamp.date() != last_date:
                                anchor_wall, anchor_market = clock(), stamp
                            last_date = stamp.date()
                            target = anchor_wall + (stamp - anchor_market).total_seconds() / self.speed
                            delay = target - clock()
                            if delay > 0:
                                await sleep(delay)
                                since_yield = 0
                                if self._closed.is_set():
                                    return
                    since_yield += 1
                    if since_yield >= YIELD_EVERY:
                        since_yield = 0
                        await asyncio.sleep(0)
                    yield line
        finally:
            handle.close()  # no I/O left to wait for: closing a read handle does not block
            if self.state is not FeedState.FAILED:
                self._set_state(FeedState.ENDED)

    async def _pause(self, delay: float) -> None:
        await sleep_unless_set(self._closed, delay)

    async def close(self) -> None:
        self._closed.set()
