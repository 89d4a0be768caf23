"""The demo simulator as a Feed: paced on the asyncio loop for the GUI and ``record``."""

from __future__ import annotations

import asyncio
import logging
from datetime import date, datetime, time, timedelta
from typing import AsyncIterator, Iterable

from desktop_app.feeds.base import FeedState, FeedStateHolder
from desktop_app.feeds.demo.market_model import CLOSE_S
from desktop_app.feeds.demo.simulator import DemoMarket
from desktop_app.feeds.interruptible_sleep import sleep_unless_set
from desktop_app.market_clock import (
    VIETNAM_TZ,
    Market,
    SessionPhase,
    is_trading_day,
    previous_trading_day,
    session_at,
    to_vietnam,
    vn_now,
)

log = logging.getLogger(__name__)

DEMO_OFF_HOURS_START = time(10, 30)
"""Outside trading hours the demo day is caught up to this time, then runs live from it."""

_LIVE_PHASES = frozenset({SessionPhase.ATO, SessionPhase.CONTINUOUS, SessionPhase.ATC})


def default_demo_start(now: datetime) -> tuple[date, time | None]:
    """What makes the GUI look alive at once: during trading hours, today's session caught up to
    now then live; otherwise (lunch, after the close, at night, at weekends) the last trading day
    caught up to mid-morning and live from there, so the board, charts and alerts are never empty
    (starting at 09:00 would show an empty board until the 09:15 ATO match)."""
    local = to_vietnam(now)
    day, tod = local.date(), local.time()
    if session_at(local, Market.HOSE) in _LIVE_PHASES:
        return day, tod
    if is_trading_day(day) and tod < time(9, 0):  # before today's open: yesterday's market
        day -= timedelta(days=1)
    return previous_trading_day(day), DEMO_OFF_HOURS_START


class DemoFeed(FeedStateHolder):
    """The simulator paced on the event loop (``speed`` x real time, or ``None`` = max).

    ``start``: a datetime whose date is simulated; events before its time of day are caught up
    unpaced. ``None``: during trading hours, today caught up to now; otherwise the last trading
    day caught up to mid-morning. ``resume_from`` moves the catch-up point later, to where the
    stored history of this source ends. Each new day starts paced at its own 09:00.
    """

    name = "demo"

    def __init__(
        self,
        seed: int | None = None,
        speed: float | None = 1.0,
        start: datetime | None = None,
        days: int = 1,
        symbols: Iterable[str] | None = None,
    ) -> None:
        super().__init__(FeedState.CONNECTING)
        if speed is not None and not speed > 0:
            raise ValueError(f"speed must be positive or None (max), got {speed!r}")
        if start is None:
            day, catch_up = default_demo_start(vn_now())
        else:
            local = to_vietnam(start)
            day, catch_up = local.date(), local.time()
            if not is_trading_day(day):
                day, catch_up = previous_trading_day(day), None
        self.seed = 30 if seed is None else seed
        self.speed = speed
        self.market = DemoMarket(seed=self.seed, start=day, days=days, symbols=symbols)
        self._catch_up_until = (
            datetime.combine(self.market.first_day, catch_up, VIETNAM_TZ) if catch_up else None
        )
        self._closed = asyncio.Event()
        self.emitted = 0

    @property
    def catch_up_until(self) -> datetime | None:
        """Market time up to which the first day is emitted unpaced (None: paced from 09:00)."""
        return self._catch_up_until

    def resume_from(self, stored_until: datetime) -> None:
        """Catch the simulated day up at least to ``stored_until`` (the end of what this source
        already stored), then run live from there; a day that ended before it is emitted whole
        and unpaced (the writer keeps nothing twice), and the feed then ends or moves on."""
        first_day = self.market.first_day
        local = to_vietnam(stored_until)
        if local.date() < first_day:
            return  # stored history ends before the simulated day: nothing to skip
        until = local if local.date() == first_day else datetime.combine(
            first_day, time(0), VIETNAM_TZ) + timedelta(seconds=CLOSE_S + 1)
        if self._catch_up_until is None or until > self._catch_up_until:
            log.info("demo feed: resuming after the stored history, caught up to %s", until.time())
            self._catch_up_until = until

    async def envelopes(self) -> AsyncIterator[str]:
        if self._closed.is_set():
            self._set_state(FeedState.ENDED)
            return
        loop = asyncio.get_running_loop()
        self._set_state(FeedState.LIVE)
        try:
            for day in self.market.trading_days():
                anchor_wall: float | None = None
                anchor_market: datetime | None = None
                log.info("demo feed: simulating %s (seed %d) at %s, caught up to %s", day, self.seed,
                         "max speed" if self.speed is None else f"{self.speed:g}x",
                         self._catch_up_until.time() if self._catch_up_until else "09:00")
                # drawing the day's price paths takes ~0.5 s of numpy: keep it off the loop
                day_stream = await loop.run_in_executor(None, self.market.timed_day, day)
                for n, (stamp, text) in enumerate(day_stream):
                    if self._closed.is_set():
                        return
                    caught_up = self._catch_up_until is None or stamp >= self._catch_up_until
                    if self.speed is not None and caught_up:
                        if anchor_market is None:
                            anchor_wall, anchor_market = loop.time(), stamp
                        target = anchor_wall + (stamp - anchor_market).total_seconds() / self.speed  # type: ignore[operator]
                        delay = target - loop.time()
                        if delay > 0.001:
                            await sleep_unless_set(self._closed, delay)
                            if self._closed.is_set():
                                return
                        elif n % 256 == 0:
                            await asyncio.sleep(0)
                    elif n % 256 == 0:
                        await asyncio.sleep(0)  # never hog the loop, even at max speed
                    self.emitted += 1
                    yield text
                self._catch_up_until = None
        finally:
            self._set_state(FeedState.ENDED)

    async def close(self) -> None:
        self._closed.set()



