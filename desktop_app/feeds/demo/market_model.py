"""What the demo market is made of: its trading day as a table of phases, the instruments'
day state, and the day's designed events.

Exchange rules (ticks, limits, expiries) and the timetables come from ``market_rules`` and
``market_clock``; this module only turns them into the per-second table the simulator walks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, time

from desktop_app.market_clock import TIMETABLES, Market, SessionPhase, trading_close, trading_open
from desktop_app.market_rules import futures_month, old_style_futures_code

# --------------------------------------------------------------------------- the day's phases


def seconds_of(clock: time) -> int:
    """Seconds after midnight of a wall-clock time."""
    return clock.hour * 3600 + clock.minute * 60 + clock.second


OPEN_S = seconds_of(trading_open(Market.HOSE))
"""The simulated day starts with HOSE's ATO (09:00); the futures' own ATO match prints then."""
CLOSE_S = seconds_of(trading_close(Market.HOSE))
"""The last second simulated (15:00, the end of the put-through session): the close."""

SSI_SESSION = {
    SessionPhase.PRE_OPEN: "C",
    SessionPhase.ATO: "ATO",
    SessionPhase.CONTINUOUS: "LO",
    SessionPhase.LUNCH: "BREAK",
    SessionPhase.ATC: "ATC",
    SessionPhase.PUT_THROUGH: "PT",
    SessionPhase.CLOSED: "C",
}
"""The ``TradingSession`` code SSI sends for each phase."""


def phase_table(market: Market) -> tuple[SessionPhase, ...]:
    """The phase of ``market`` at every simulated second, OPEN_S..CLOSE_S inclusive."""
    windows = [(seconds_of(w.start), seconds_of(w.end), w.phase) for w in TIMETABLES[market]]
    table = []
    for s in range(OPEN_S, CLOSE_S + 1):
        table.append(next((phase for start, end, phase in windows if start <= s < end), SessionPhase.CLOSED))
    return tuple(table)


HOSE_PHASES = phase_table(Market.HOSE)
FUTURES_PHASES = phase_table(Market.DERIVATIVES)


def phase_start(market: Market, phase: SessionPhase, occurrence: int = 0) -> int:
    """Second of the day at which the ``occurrence``-th window of ``phase`` starts."""
    starts = [seconds_of(w.start) for w in TIMETABLES[market] if w.phase is phase]
    return starts[occurrence]


def phase_end(market: Market, phase: SessionPhase, occurrence: int = -1) -> int:
    ends = [seconds_of(w.end) for w in TIMETABLES[market] if w.phase is phase]
    return ends[occurrence]


CONTINUOUS_S = phase_start(Market.HOSE, SessionPhase.CONTINUOUS)  # 09:15, ATO match
LUNCH_S = phase_start(Market.HOSE, SessionPhase.LUNCH)
AFTERNOON_S = phase_start(Market.HOSE, SessionPhase.CONTINUOUS, 1)
ATC_S = phase_start(Market.HOSE, SessionPhase.ATC)
ATC_PRINT_S = phase_start(Market.HOSE, SessionPhase.PUT_THROUGH)  # 14:45, ATC match


def continuous_seconds() -> list[int]:
    """HOSE continuous-session seconds away from the phase edges: where designed events go."""
    return [OPEN_S + i for i, phase in enumerate(HOSE_PHASES)
            if phase is SessionPhase.CONTINUOUS and CONTINUOUS_S + 60 <= OPEN_S + i < ATC_S - 60]


def intraday_profile(s: int) -> float:
    """U-shaped activity: busy after the open and into the close, quiet before lunch."""
    if s < LUNCH_S:
        return 1.0 + 1.6 * math.exp(-(s - CONTINUOUS_S) / 900.0)
    return 0.9 + 1.2 * math.exp(-(ATC_S - s) / 900.0)


def futures_symbol(day: date, ahead: int = 0) -> str:
    """Old-style VN30 futures code ``VN30FYYMM`` (the demo uses this style consistently)."""
    return old_style_futures_code(*futures_month(day, ahead))


# --------------------------------------------------------------------------- instruments


@dataclass
class Instrument:
    """Cumulative day state of anything that prints (a stock or a futures contract)."""

    symbol: str
    exchange: str
    ref: float
    floor: float
    ceiling: float
    total_vol: int = 0
    total_val: float = 0.0
    last: float = 0.0
    highest: float = 0.0
    lowest: float = 0.0
    bar: list | None = None  # [open, high, low, close, volume, value] of the current minute

    def start_day(self) -> None:
        self.total_vol, self.total_val = 0, 0.0
        self.last = self.highest = self.lowest = 0.0
        self.bar = None


@dataclass
class Stock(Instrument):
    """A basket member: its book, its foreign counters and today's character."""

    index: int = 0  # column in the day's price paths
    weight: float = 0.0
    beta: float = 1.0
    anchor: float = 0.0  # where log(fair / ref) drifts to today
    rate: float = 0.2  # prints per second (before the intraday profile)
    lots: float = 25.0  # mean print size in lots
    grid_bid: int = 0  # bid implied by the fair price at the last book reset
    bids: list = field(default_factory=list)  # [[price, volume], ...] best first
    asks: list = field(default_factory=list)
    total_room: int = 0
    room_left: int = 0
    f_buy_vol: int = 0
    f_sell_vol: int = 0
    f_buy_val: float = 0.0
    f_sell_val: float = 0.0
    foreign_dirty: bool = False
    last_r_s: int = 0
    surge: tuple[int, int, int] | None = None  # (start_s, end_s, +1 buy / -1 sell)

    def start_day(self) -> None:
        super().start_day()
        self.f_buy_vol = self.f_sell_vol = 0
        self.f_buy_val = self.f_sell_val = 0.0
        self.surge = None
        self.bids, self.asks, self.grid_bid = [], [], 0

    def surging(self, now_s: int) -> tuple[int, int, int] | None:
        surge = self.surge
        return surge if surge is not None and surge[0] <= now_s < surge[1] else None


@dataclass(frozen=True)
class DayCarry:
    """What one simulated day hands the next: the closes become the next references."""

    index_prior: float
    futures_ref: float
    basis: float


@dataclass(frozen=True)
class DayPlan:
    """The day's designed events, drawn up front so every view and alert has something to show:
    a symbol rallying to its ceiling and one sinking to its floor, block prints, put-throughs
    (some after 14:45 at prices far from the matched close), foreign surges, and a basis flip."""

    hot: str
    cold: str
    hot_from_s: int
    cold_from_s: int
    blocks: tuple[tuple[int, str], ...]
    put_throughs: tuple[tuple[int, str], ...]
    basis_flip_s: int  # the basis target crosses to the other side of zero from here
