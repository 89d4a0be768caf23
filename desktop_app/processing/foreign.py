"""Foreign-investor flow from SSI's cumulative R messages: day totals, speed, room left.

Speed is measured by *market* time (the message timestamps), so a replay at any speed gives the
numbers the live day gave. Definition: the shares bought (sold) during the last ``window_s``
seconds, divided by the window in minutes. "Bought during the window" = the cumulative total
now minus the cumulative total known at the window's start (the latest snapshot at or before
``now - window``; while the day's history is shorter than the window, the first snapshot seen).
The first snapshot of a run therefore has speed 0: we cannot know when its volume was traded.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from desktop_app.domain import ForeignInvestorData, ForeignRoom
from desktop_app.speedups import fast_constructor
from desktop_app.processing.market_time import market_seconds

log = logging.getLogger(__name__)

_CENT = Decimal("0.01")
_new_foreign_data = fast_constructor(ForeignInvestorData)


@dataclass(frozen=True, slots=True)
class ForeignFlowUpdate:
    """One emitted snapshot plus the exact window volumes the speed was derived from."""

    data: ForeignInvestorData
    window_buy_volume: int
    window_sell_volume: int

    @property
    def window_net_volume(self) -> int:
        return self.window_buy_volume - self.window_sell_volume


_new_update = fast_constructor(ForeignFlowUpdate)


class _Flow:
    __slots__ = ("trading_date", "last", "samples")

    def __init__(self, trading_date: date, first: ForeignRoom, ts: float) -> None:
        self.trading_date = trading_date
        self.last = first
        # (market seconds, cumulative buy volume, cumulative sell volume). samples[0] is always
        # the window's baseline: the latest sample at or before the window start, or the day's
        # first sample while the history is shorter than the window.
        self.samples: deque[tuple[float, int, int]] = deque(((ts, first.buy_volume, first.sell_volume),))


class ForeignFlowTracker:
    """Per-symbol foreign flow; ``update`` returns None for unchanged or out-of-order snapshots."""

    __slots__ = ("window_s", "_per_min", "_flows", "out_of_order", "unchanged")

    def __init__(self, window_s: float = 300.0) -> None:
        if window_s <= 0:
            raise ValueError("foreign speed window must be positive")
        self.window_s = float(window_s)
        self._per_min = Decimal(60) / Decimal(repr(self.window_s))
        self._flows: dict[str, _Flow] = {}
        self.out_of_order = 0  # counters that went down within a day, or an older day
        self.unchanged = 0  # identical to the previous snapshot: not re-emitted

    def reset(self) -> None:
        self._flows.clear()

    def update(self, room: ForeignRoom) -> ForeignFlowUpdate | None:
        symbol = room.symbol
        ts = market_seconds(room.timestamp)
        flow = self._flows.get(symbol)
        if flow is None or room.trading_date > flow.trading_date:
            flow = self._flows[symbol] = _Flow(room.trading_date, room, ts)
            return self._emit(flow, room, ts)
        if room.trading_date < flow.trading_date:
            self.out_of_order += 1
            return None
        last = flow.last
        if (
            room.buy_volume < last.buy_volume
            or room.sell_volume < last.sell_volume
            or room.buy_value < last.buy_value
            or room.sell_value < last.sell_value
        ):
            self.out_of_order += 1
            log.debug("foreign counters went down for %s at %s: ignored", symbol, room.timestamp)
            return None
        if (
            room.buy_volume == last.buy_volume
            and room.sell_volume == last.sell_volume
            and room.buy_value == last.buy_value
            and room.sell_value == last.sell_value
            and room.current_room == last.current_room
        ):
            self.unchanged += 1
            return None
        samples = flow.samples
        last_ts = samples[-1][0]
        if ts < last_ts:  # counters grew but the clock went back: keep the series monotonic
            ts = last_ts
        samples.append((ts, room.buy_volume, room.sell_volume))
        flow.last = room
        return self._emit(flow, room, ts)

    def _emit(self, flow: _Flow, room: ForeignRoom, ts: float) -> ForeignFlowUpdate:
        samples = flow.samples
        start = ts - self.window_s
        while len(samples) > 1 and samples[1][0] <= start:
            samples.popleft()  # samples[1] is a later baseline than samples[0]
        _, base_buy, base_sell = samples[0]
        window_buy = room.buy_volume - base_buy
        window_sell = room.sell_volume - base_sell
        per_min = self._per_min
        data = _new_foreign_data(
            room.symbol,
            room.buy_volume,
            room.sell_volume,
            room.buy_value,
            room.sell_value,
            (window_buy * per_min).quantize(_CENT),
            (window_sell * per_min).quantize(_CENT),
            room.current_room,
            room.timestamp,
        )
        return _new_update(data, window_buy, window_sell)
