"""A deterministic VN30 market simulator that speaks the SSI wire format.

``DemoMarket`` simulates trading days second by second (seeded ``random.Random``: same seed and
date, same envelopes) and yields ``(market time, envelope text)`` exactly as the hub sends them
after the first decode (``Content`` double-encoded). ``DemoFeed`` paces that stream on the asyncio
loop for the GUI and ``record``. What it simulates, so that charts and every alert rule have
something real-looking to show:

* HOSE schedule: ATO quotes 09:00-09:15 then one ATO print per symbol at 09:15:00; continuous
  (LO) 09:15-11:30 and 13:00-14:30; lunch silence; ATC quotes then one ATC print at 14:45:00;
  put-through (PT) prints during the day and 14:45-15:00; session status (F) at each change.
* Prices on the HOSE tick grid within floor/ceiling (+-7% of the reference), 100-share lots,
  3-level X-QUOTE books; a buyer-initiated print (Side BU) trades at the prior best ask, a
  seller-initiated one (SD) at the prior best bid; cumulative TotalVol/TotalVal.
* One "hot" symbol that rallies to the ceiling and one "cold" that sinks to the floor, foreign
  surges (> 500k shares net in 5 min), block prints (>= 10 bn VND), per-minute bars (B).
* The VN30 index (MI) as a cap-weighted index of the simulated prices, and front-month futures
  (``VN30FYYMM``, in points) trading at index + a mean-reverting basis that crosses zero and
  sometimes exceeds 15 points; the next month trades thinly as X snapshots.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import random
import sys
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import AsyncIterator, Iterable, Iterator

import numpy as np
import orjson

from desktop_app.domain import VIETNAM_TZ
from desktop_app.feeds.base import FeedState, FeedStateHolder
from desktop_app.feeds.basket import BasketData, load_basket
from desktop_app.feeds.interruptible_sleep import sleep_unless_set

log = logging.getLogger(__name__)

_dumps = orjson.dumps

# Session boundaries, seconds after midnight (Vietnam time).
OPEN_S = 9 * 3600  # ATO starts
CONTINUOUS_S = 9 * 3600 + 15 * 60  # ATO print, continuous starts
LUNCH_S = 11 * 3600 + 30 * 60
AFTERNOON_S = 13 * 3600
ATC_S = 14 * 3600 + 30 * 60
ATC_PRINT_S = 14 * 3600 + 45 * 60
CLOSE_S = 15 * 3600

FUTURES_TICK = 0.1
FUTURES_MULTIPLIER = 100_000  # VND per index point
BOOK_DEPTH = 10  # SSI sends 10 levels; HOSE fills 3


# --------------------------------------------------------------------------- market rules


def hose_tick(price: int) -> int:
    """HOSE tick size for a price in VND."""
    return 10 if price < 10_000 else 50 if price < 50_000 else 100


def snap_down(price: float) -> int:
    """The highest HOSE grid price <= price (tick boundaries align, so one step suffices)."""
    p = int(price)
    return p - p % hose_tick(p)


def tick_up(price: int) -> int:
    return price + hose_tick(price)


def tick_down(price: int) -> int:
    return price - hose_tick(price - 1)


def hose_limits(ref_price: int) -> tuple[int, int]:
    """(floor, ceiling): +-7% of the reference; ceiling rounded down, floor up to the grid."""
    ceiling = snap_down(ref_price * 107 // 100)
    raw_floor = -(-ref_price * 93 // 100)
    floor = snap_down(raw_floor)
    if floor < raw_floor:
        floor = tick_up(floor)
    return floor, ceiling


def third_thursday(year: int, month: int) -> date:
    first = date(year, month, 1)
    offset = (3 - first.weekday()) % 7  # Thursday = 3
    return first + timedelta(days=offset + 14)


def futures_month(day: date, ahead: int = 0) -> tuple[int, int]:
    """(year, month) of the front contract (``ahead`` = 0) or a later one on ``day``."""
    year, month = day.year, day.month
    if day > third_thursday(year, month):
        month += 1
    month += ahead
    year += (month - 1) // 12
    month = (month - 1) % 12 + 1
    return year, month


def futures_symbol(day: date, ahead: int = 0) -> str:
    """Old-style VN30 futures code ``VN30FYYMM`` (the demo uses this style consistently)."""
    year, month = futures_month(day, ahead)
    return f"VN30F{year % 100:02d}{month:02d}"


def previous_weekday(day: date) -> date:
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def next_weekday(day: date) -> date:
    day += timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def _envelope(data_type: str, content: dict) -> str:
    """The hub's envelope after its first decode: Content is itself JSON text."""
    return _dumps({"DataType": data_type, "Content": _dumps(content).decode()}).decode()


_BID_KEYS = tuple((f"BidPrice{i}", f"BidVol{i}") for i in range(1, BOOK_DEPTH + 1))
_ASK_KEYS = tuple((f"AskPrice{i}", f"AskVol{i}") for i in range(1, BOOK_DEPTH + 1))
_EMPTY_BIDS = {k: 0.0 for pair in _BID_KEYS for k in pair}
_EMPTY_ASKS = {k: 0.0 for pair in _ASK_KEYS for k in pair}


def _book_fields(content: dict, bids: list, asks: list) -> None:
    """All 10 levels per side as SSI sends them; unused levels are 0.0."""
    content.update(_EMPTY_BIDS)
    for (pk, vk), (p, v) in zip(_BID_KEYS, bids):
        content[pk] = float(p)
        content[vk] = float(v)
    content.update(_EMPTY_ASKS)
    for (pk, vk), (p, v) in zip(_ASK_KEYS, asks):
        content[pk] = float(p)
        content[vk] = float(v)


# --------------------------------------------------------------------------- instruments


@dataclass
class _Printable:
    """Cumulative day state shared by stocks and futures."""

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


@dataclass
class _Stock(_Printable):
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


@dataclass
class _DayPlan:
    """Scripted events of a day, drawn up front so every alert rule fires."""

    hot: str
    cold: str
    hot_from_s: int
    cold_from_s: int
    blocks: list[tuple[int, str]]
    put_throughs: list[tuple[int, str]]
    basis_shocks: list[tuple[int, float]]


class DemoMarket:
    """Deterministic simulated trading days as SSI envelope texts (optionally with market times)."""

    def __init__(
        self,
        seed: int = 30,
        start: date | None = None,
        days: int = 1,
        symbols: Iterable[str] | None = None,
        basket: BasketData | None = None,
    ) -> None:
        self.basket = basket or load_basket()
        self.first_day = previous_weekday(start or datetime.now(VIETNAM_TZ).date())
        self.days = max(1, int(days))
        self.rng = random.Random(seed)
        self._emit_symbols = None if symbols is None else frozenset(s.upper() for s in symbols)
        known = set(self.basket.symbols)
        if self._emit_symbols is not None and not self._emit_symbols & known:
            raise ValueError(f"none of {sorted(self._emit_symbols)} is in the demo basket")
        total_w = sum(m.weight for m in self.basket.members)
        self._stocks = [
            _Stock(
                symbol=m.symbol,
                exchange="HOSE",
                ref=float(m.ref_price),
                floor=0.0,
                ceiling=0.0,
                index=i,
                weight=m.weight / total_w,
                total_room=m.total_room,
                room_left=m.room_left,
            )
            for i, m in enumerate(self.basket.members)
        ]
        self._index_prior = self.basket.index_prior_value
        self._futures_ref = round(self._index_prior + self.basket.futures_prior_basis, 1)
        self._basis = self.basket.futures_prior_basis

    # ------------------------------------------------------------------ public

    def trading_days(self) -> list[date]:
        out = [self.first_day]
        while len(out) < self.days:
            out.append(next_weekday(out[-1]))
        return out

    def envelopes(self) -> Iterator[str]:
        """Every simulated day's envelope texts, in order."""
        for _, text in self.timed_envelopes():
            yield text

    def timed_envelopes(self) -> Iterator[tuple[datetime, str]]:
        """(market time, envelope text) for every simulated day."""
        for day in self.trading_days():
            yield from self.timed_day(day)

    def day_envelopes(self, day: date | None = None) -> Iterator[str]:
        """One full trading day's envelope texts (the first day by default); for benchmarks/tests."""
        for _, text in self.timed_day(day):
            yield text

    def timed_day(self, day: date | None = None) -> Iterator[tuple[datetime, str]]:
        """One full trading day (09:00-15:00) in time order; state carries into the next day."""
        return _DaySimulation(self, day or self.first_day).run()

    def wants(self, symbol: str) -> bool:
        return self._emit_symbols is None or symbol in self._emit_symbols


class _DaySimulation:
    """One day of the market: per-second steps, envelopes in market-time order."""

    def __init__(self, market: DemoMarket, day: date) -> None:
        self.m = market
        self.rng = market.rng
        self.day = day
        self.date_text = day.strftime("%d/%m/%Y")
        self.stocks = market._stocks
        self.index_prior = market._index_prior
        self.index_value = self.index_prior
        self.fut_symbol = futures_symbol(day)
        self.next_symbol = futures_symbol(day, 1)
        ref = market._futures_ref
        self.fut = _Printable(self.fut_symbol, "DERIVATIVES", ref, round(ref * 0.93 + 0.05, 1),
                              round(ref * 1.07 - 0.05, 1))
        nref = round(ref + 2.5, 1)
        self.nxt = _Printable(self.next_symbol, "DERIVATIVES", nref, round(nref * 0.93 + 0.05, 1),
                              round(nref * 1.07 - 0.05, 1))
        self.fut_book: tuple[float, float] | None = None
        self.out: list[tuple[datetime, str]] = []
        self.now_s = OPEN_S
        self.time_text = ""
        self.stamp: datetime | None = None
        self.session = "ATO"
        self._reset_day()

    # ------------------------------------------------------------------ set-up

    def _reset_day(self) -> None:
        rng = self.rng
        for s in self.stocks:
            s.floor, s.ceiling = (float(v) for v in hose_limits(int(s.ref)))
            s.total_vol, s.total_val = 0, 0.0
            s.last = s.highest = s.lowest = 0.0
            s.anchor = rng.gauss(0.0, 0.012)
            s.beta = rng.uniform(0.7, 1.3)
            s.rate = 0.06 + 3.2 * s.weight
            s.lots = 12.0 + 400.0 * s.weight
            s.f_buy_vol = s.f_sell_vol = 0
            s.f_buy_val = s.f_sell_val = 0.0
            s.surge = None
            s.bids, s.asks, s.grid_bid = [], [], 0
            s.bar = None
        names = [s.symbol for s in self.stocks]
        hot, cold, *surgers = rng.sample(names, 6)
        by_symbol = {s.symbol: s for s in self.stocks}
        for i, sym in enumerate(surgers[:3]):
            start = rng.randint(CONTINUOUS_S + 1800, ATC_S - 1800)
            if LUNCH_S - 600 < start < AFTERNOON_S:
                start = AFTERNOON_S + 600
            by_symbol[sym].surge = (start, start + 420, 1 if i % 2 == 0 else -1)
        day_secs = _continuous_seconds()
        self.plan = _DayPlan(
            hot=hot,
            cold=cold,
            hot_from_s=rng.randint(CONTINUOUS_S, CONTINUOUS_S + 3600),
            cold_from_s=rng.randint(CONTINUOUS_S, CONTINUOUS_S + 3600),
            blocks=sorted((rng.choice(day_secs), rng.choice(names)) for _ in range(4)),
            put_throughs=sorted(
                [(rng.choice(day_secs), rng.choice(names)) for _ in range(6)]
                + [(rng.randint(ATC_PRINT_S + 60, CLOSE_S - 60), rng.choice(names)) for _ in range(6)]
            ),
            basis_shocks=sorted(
                (rng.choice(day_secs), rng.choice((-1.0, 1.0)) * rng.uniform(19.0, 24.0)) for _ in range(2)
            ),
        )
        self._simulate_paths()
        self.fut.total_vol = self.nxt.total_vol = 0
        self.fut.total_val = self.nxt.total_val = 0.0

    # ------------------------------------------------------------------ clock

    def _set_clock(self, s: int) -> None:
        self.now_s = s
        h, rem = divmod(s, 3600)
        mi, se = divmod(rem, 60)
        self.time_text = f"{h:02d}:{mi:02d}:{se:02d}"
        self.stamp = datetime(self.day.year, self.day.month, self.day.day, h, mi, se, tzinfo=VIETNAM_TZ)
        self.fair_now = self.fair_rows[s - OPEN_S]
        self.bid_now = self.bid_rows[s - OPEN_S]

    def _emit(self, data_type: str, content: dict) -> None:
        self.out.append((self.stamp, _envelope(data_type, content)))  # type: ignore[arg-type]

    # ------------------------------------------------------------------ the day

    def run(self) -> Iterator[tuple[datetime, str]]:
        plan = self.plan
        blocks = list(plan.blocks)
        pts = list(plan.put_throughs)
        shocks = list(plan.basis_shocks)
        for s in range(OPEN_S, CLOSE_S + 1):
            self._set_clock(s)
            if s == OPEN_S:
                self._session_change("ATO")
                self._futures_auction_print("ATO")
            if LUNCH_S <= s < AFTERNOON_S:
                if s == LUNCH_S:
                    self._bars_flush()
                    self._session_change("BREAK")
                    self._index()
                continue
            if s == AFTERNOON_S:
                self._session_change("LO")
            continuous = CONTINUOUS_S < s < ATC_S
            if OPEN_S <= s < CONTINUOUS_S:
                if (s - OPEN_S) % 60 == 30:
                    for st in self.stocks:
                        self._auction_quote(st, "ATO")
            elif s == CONTINUOUS_S:
                for st in self.stocks:
                    self._auction_print(st, "ATO")
                self._session_change("LO")
                for st in self.stocks:
                    self._reset_book(st, force=True)
                self._index()
            elif continuous:
                counts = self.trade_counts[s - OPEN_S]
                stocks = self.stocks
                for j in self.active[s - OPEN_S]:
                    self._continuous_step(stocks[j], counts[j])
                while blocks and blocks[0][0] <= s:
                    self._block_print(self._stock(blocks.pop(0)[1]))
                if s % 60 == 0:
                    self._bars_flush()
            elif s == ATC_S:
                self._bars_flush()
                self._session_change("ATC")
            elif ATC_S < s < ATC_PRINT_S:
                if (s - ATC_S) % 60 == 30:
                    for st in self.stocks:
                        self._auction_quote(st, "ATC")
            elif s == ATC_PRINT_S:
                for st in self.stocks:
                    self._auction_print(st, "ATC")
                self._futures_auction_print("ATC")
                self._index()
                self._session_change("PT")
            elif s == CLOSE_S:
                self._session_change("C")
            while pts and pts[0][0] <= s:
                self._put_through(self._stock(pts.pop(0)[1]))
            # futures and index
            if s < ATC_S and s != OPEN_S:
                while shocks and shocks[0][0] <= s:
                    self._basis = shocks.pop(0)[1]
                self._futures_step(_intraday_profile(s) if s > CONTINUOUS_S else 1.0)
            if continuous and s % 2 == 0:
                self._index()
            if continuous or s == ATC_PRINT_S or s > ATC_PRINT_S:
                for st in self.stocks:
                    if st.foreign_dirty and s - st.last_r_s >= 10:
                        self._foreign_room(st)
            if self.out:
                yield from self.out
                self.out.clear()
        self._end_of_day()

    @property
    def _basis(self) -> float:
        return self.m._basis

    @_basis.setter
    def _basis(self, value: float) -> None:
        self.m._basis = value

    def _stock(self, symbol: str) -> _Stock:
        for st in self.stocks:
            if st.symbol == symbol:
                return st
        raise KeyError(symbol)

    def _end_of_day(self) -> None:
        """Carry closes into the next day's references."""
        for st in self.stocks:
            if st.last:
                st.ref = st.last
        self.m._index_prior = round(self.index_value, 2)
        if self.fut.last:
            self.m._futures_ref = self.fut.last

    # ------------------------------------------------------------------ stocks

    def _fair(self, st: _Stock) -> float:
        return self.fair_now[st.index]

    def _simulate_paths(self) -> None:
        """Every stock's fair-price path for the day, drawn at once with numpy (the hot loop).

        log(fair/ref) is mean-reverting towards the stock's daily anchor, driven by a common market
        factor (beta) plus its own noise; the hot/cold symbols are pulled past their limits, surges
        push one way. Also drawn here: the grid bid each second implies and the number of
        continuous-session prints per stock-second (Poisson, U-shaped intraday profile).
        """
        plan, stocks = self.plan, self.stocks
        n_sec, n = CLOSE_S - OPEN_S + 1, len(stocks)
        g = np.random.default_rng(self.rng.getrandbits(64))
        secs = np.arange(OPEN_S, CLOSE_S + 1)
        open_mask = ~((secs >= LUNCH_S) & (secs < AFTERNOON_S))
        dm = g.normal(0.0, 0.012 / math.sqrt(16_200), n_sec) * open_mask
        eps = g.normal(0.0, 0.017 / math.sqrt(16_200), (n_sec, n)) * open_mask[:, None]
        anchor = np.tile(np.array([st.anchor for st in stocks]), (n_sec, 1))
        kappa = np.full((n_sec, n), 1.0 / 3600.0)
        push = np.zeros((n_sec, n))
        rate = np.tile(np.array([st.rate for st in stocks]), (n_sec, 1))
        by_symbol = {st.symbol: st.index for st in stocks}
        for symbol, since, target in ((plan.hot, plan.hot_from_s, 0.085), (plan.cold, plan.cold_from_s, -0.085)):
            rows = secs >= since
            anchor[rows, by_symbol[symbol]] = target
            kappa[rows, by_symbol[symbol]] = 1.0 / 1500.0
        for st in stocks:
            if st.surge:
                rows = slice(st.surge[0] - OPEN_S, st.surge[1] - OPEN_S)
                kappa[rows, st.index] = 0.0
                push[rows, st.index] = 0.01 / 600.0 * st.surge[2]
                rate[rows, st.index] *= 3.0
        kappa *= open_mask[:, None]
        beta = np.array([st.beta for st in stocks])
        ref = np.array([st.ref for st in stocks])
        floor = np.array([st.floor for st in stocks])
        ceiling = np.array([st.ceiling for st in stocks])
        limit = np.log(ceiling / ref) + 0.02
        x = np.zeros(n)
        paths = np.empty((n_sec, n))
        drive = beta[None, :] * dm[:, None] + eps + push
        for t in range(n_sec):
            x += kappa[t] * (anchor[t] - x) + drive[t]
            np.clip(x, -limit, limit, out=x)
            paths[t] = x
        fair = np.clip(ref * np.exp(paths), floor, ceiling)
        p = fair.astype(np.int64)
        bid = p - p % np.where(p < 10_000, 10, np.where(p < 50_000, 50, 100))
        top_bid = np.array([tick_down(int(c)) for c in ceiling])
        bid = np.maximum(np.minimum(bid, top_bid), floor.astype(np.int64))
        profile = np.array([_intraday_profile(int(s_)) if CONTINUOUS_S < s_ < ATC_S and open_mask[i] else 0.0
                            for i, s_ in enumerate(secs)])
        counts = np.minimum(g.poisson(rate * profile[:, None]), 6)
        moved = np.zeros((n_sec, n), dtype=bool)
        moved[1:] = bid[1:] != bid[:-1]
        active = moved | (counts > 0)
        # rows as tuples, not lists: the garbage collector untracks tuples of numbers, so a day's
        # ~65,000 rows don't make every full collection (a frame-long pause) scan them
        self.fair_rows = list(map(tuple, fair.tolist()))
        self.bid_rows = list(map(tuple, bid.tolist()))
        self.trade_counts = list(map(tuple, counts.tolist()))
        self.active = [tuple(np.flatnonzero(row).tolist()) for row in active]
        self.basis_noise = g.normal(0.0, 0.25, n_sec).tolist()
        self.fair_now = self.fair_rows[0]
        self.bid_now = self.bid_rows[0]

    def _level_volume(self, st: _Stock, scale: float = 1.0) -> int:
        return 100 * max(1, int(self.rng.expovariate(1.0 / (st.lots * 4.0 * scale))))

    def _reset_book(self, st: _Stock, force: bool = False) -> None:
        """Re-centre the 3-level book on the fair price when its grid bid moved."""
        bid = self.bid_now[st.index]
        ceiling, floor = int(st.ceiling), int(st.floor)
        if not force and bid == st.grid_bid:
            return
        st.grid_bid = bid
        scale = self._surge_scale(st)
        bids, asks = [], []
        p = bid
        while len(bids) < 3 and p >= floor:
            bids.append([p, self._level_volume(st, scale)])
            p = tick_down(p)
        p = tick_up(bid)
        while len(asks) < 3 and p <= ceiling:
            asks.append([p, self._level_volume(st, scale)])
            p = tick_up(p)
        st.bids, st.asks = bids, asks
        self._quote(st, "LO")

    def _surge_scale(self, st: _Stock) -> float:
        if st.surge and st.surge[0] <= self.now_s < st.surge[1]:
            return 4.0
        return 1.0

    def _quote(self, st: _Stock, session: str) -> None:
        if not self.m.wants(st.symbol):
            return
        content = {
            "RType": "X-QUOTE",
            "TradingDate": self.date_text,
            "Time": self.time_text,
            "Exchange": "HOSE",
            "Symbol": st.symbol,
        }
        _book_fields(content, st.bids, st.asks)
        content["TradingSession"] = session
        self._emit("X-QUOTE", content)

    def _continuous_step(self, st: _Stock, n: int) -> None:
        """One second of one stock: re-centre the book if the fair price moved, then n prints."""
        self._reset_book(st)
        if not n:
            return
        rng = self.rng
        surge = st.surge if st.surge and st.surge[0] <= self.now_s < st.surge[1] else None
        for _ in range(n):
            fair = self._fair(st)
            mid = (st.bids[0][0] + st.asks[0][0]) / 2 if st.bids and st.asks else fair
            tick = hose_tick(int(mid))
            p_buy = 0.5 + 0.35 * math.tanh((fair - mid) / tick)
            if surge:
                p_buy = 0.85 if surge[2] > 0 else 0.15
            buy = rng.random() < p_buy
            side = st.asks if buy else st.bids
            if not side:  # at a limit with one side of the book empty
                buy = not buy
                side = st.asks if buy else st.bids
                if not side:
                    return
            level = side[0]
            want = 100 * max(1, int(rng.expovariate(1.0 / (st.lots * (3.0 if surge else 1.0)))))
            volume = min(want, level[1])
            foreign = rng.random() < (0.9 if surge else 0.12)
            self._print(st, level[0], volume, "LO", "BU" if buy else "SD", foreign_side=(1 if buy else -1) if foreign else 0)
            level[1] -= volume
            if level[1] <= 0:
                self._consume_level(st, buy)
            self._quote(st, "LO")

    def _consume_level(self, st: _Stock, buy: bool) -> None:
        """The best level is gone: the next one becomes best, a new one appears behind."""
        scale = self._surge_scale(st)
        if buy:
            st.asks.pop(0)
            last = st.asks[-1][0] if st.asks else (st.bids[0][0] if st.bids else int(st.floor))
            nxt = tick_up(int(last))
            if nxt <= st.ceiling:
                st.asks.append([nxt, self._level_volume(st, scale)])
        else:
            st.bids.pop(0)
            last = st.bids[-1][0] if st.bids else (st.asks[0][0] if st.asks else int(st.ceiling))
            nxt = tick_down(int(last))
            if nxt >= st.floor:
                st.bids.append([nxt, self._level_volume(st, scale)])

    def _block_print(self, st: _Stock) -> None:
        """A single continuous print worth >= 10 bn VND: the book shows the size, then it trades."""
        if not st.asks:
            return
        price = st.asks[0][0]
        volume = 100 * (int(10_500_000_000 / price / 100) + 1 + self.rng.randint(0, 200))
        st.asks[0][1] = volume
        self._quote(st, "LO")
        self._print(st, price, volume, "LO", "BU", foreign_side=1)
        self._consume_level(st, True)
        self._quote(st, "LO")

    def _auction_quote(self, st: _Stock, session: str) -> None:
        fair = self._fair(st)
        p = min(max(snap_down(fair), int(st.floor)), int(st.ceiling))
        st.bids = [[p, self._level_volume(st, 3.0)]]
        st.asks = [[p, self._level_volume(st, 3.0)]]
        up = tick_up(p)
        if up <= st.ceiling:
            st.asks.append([up, self._level_volume(st)])
        down = tick_down(p)
        if down >= st.floor:
            st.bids.append([down, self._level_volume(st)])
        self._quote(st, session)

    def _auction_print(self, st: _Stock, session: str) -> None:
        fair = self._fair(st)
        price = min(max(snap_down(fair), int(st.floor)), int(st.ceiling))
        volume = 100 * max(10, int(self.rng.expovariate(1.0 / (st.lots * 40))))
        self._print(st, price, volume, session, None, foreign_side=self.rng.choice((-1, 0, 1)))

    def _put_through(self, st: _Stock) -> None:
        ref = st.ref
        price = min(max(snap_down(ref * self.rng.uniform(0.97, 1.03)), int(st.floor)), int(st.ceiling))
        volume = 100 * self.rng.randint(1_000, 20_000)
        self._print(st, price, volume, "PT", None, foreign_side=self.rng.choice((-1, 0, 1)))

    def _print(self, st: _Printable, price: float, volume: int, session: str, side: str | None,
               foreign_side: int = 0, multiplier: int = 1, data_type: str = "X-TRADE",
               extra: dict | None = None) -> None:
        value = price * volume * multiplier
        st.total_vol += volume
        st.total_val += value
        st.last = price
        st.highest = price if not st.highest else max(st.highest, price)
        st.lowest = price if not st.lowest else min(st.lowest, price)
        bar = st.bar
        if bar is None:
            st.bar = [price, price, price, price, volume, value]
        else:
            bar[1] = max(bar[1], price)
            bar[2] = min(bar[2], price)
            bar[3] = price
            bar[4] += volume
            bar[5] += value
        if foreign_side and isinstance(st, _Stock):
            if foreign_side > 0:
                st.f_buy_vol += volume
                st.f_buy_val += value
            else:
                st.f_sell_vol += volume
                st.f_sell_val += value
            st.foreign_dirty = True
        if not self.m.wants(st.symbol) and isinstance(st, _Stock):
            return
        futures = st.exchange == "DERIVATIVES"
        change = price - st.ref
        content = {
            "RType": "X-TRADE" if data_type == "X-TRADE" else "X",
            "TradingDate": self.date_text,
            "Time": self.time_text,
            "Isin": st.symbol,
            "Symbol": st.symbol,
            "Ceiling": st.ceiling,
            "Floor": st.floor,
            "RefPrice": st.ref,
            "AvgPrice": round(st.total_val / st.total_vol / multiplier, 2 if not futures else 1),
            "PriorVal": st.ref,
            "LastPrice": float(price),
            "LastVol": float(volume),
            "TotalVal": round(st.total_val, 1),
            "TotalVol": float(st.total_vol),
            "MarketId": st.exchange,
            "Exchange": st.exchange,
            "TradingSession": session,
            "TradingStatus": "N",
            "Change": round(change, 2),
            "RatioChange": round(change / st.ref * 100, 2),
            "EstMatchedPrice": float(price),
            "Highest": float(st.highest),
            "Lowest": float(st.lowest),
            "Side": side,
        }
        if extra:
            content.update(extra)
        self._emit(data_type, content)

    def _foreign_room(self, st: _Stock) -> None:
        st.foreign_dirty = False
        st.last_r_s = self.now_s
        if not self.m.wants(st.symbol):
            return
        current = min(max(st.room_left - (st.f_buy_vol - st.f_sell_vol), 0), st.total_room)
        self._emit("R", {
            "RType": "R",
            "TradingDate": self.date_text,
            "Time": self.time_text,
            "Isin": st.symbol,
            "Symbol": st.symbol,
            "TotalRoom": float(st.total_room),
            "CurrentRoom": float(current),
            "BuyVol": float(st.f_buy_vol),
            "SellVol": float(st.f_sell_vol),
            "BuyVal": round(st.f_buy_val, 1),
            "SellVal": round(st.f_sell_val, 1),
            "MarketId": "HOSE",
            "Exchange": "HOSE",
        })

    def _bars_flush(self) -> None:
        """B: one bar per symbol per minute in which it printed (continuous session)."""
        for st in (*self.stocks, self.fut):
            bar = st.bar
            if bar is None:
                continue
            st.bar = None
            if not self.m.wants(st.symbol) and isinstance(st, _Stock):
                continue
            self._emit("B", {
                "RType": "B",
                "Symbol": st.symbol,
                "TradingDate": self.date_text,
                "Time": self.time_text,
                "Open": float(bar[0]),
                "High": float(bar[1]),
                "Low": float(bar[2]),
                "Close": float(bar[3]),
                "Volume": float(bar[4]),
                "Value": round(bar[5], 1),
            })

    def _session_change(self, session: str) -> None:
        self.session = session
        for sym, exchange in [(st.symbol, "HOSE") for st in self.stocks] + [(self.fut_symbol, "DERIVATIVES")]:
            if exchange == "HOSE" and not self.m.wants(sym):
                continue
            fut_session = session if session != "PT" else "C"
            self._emit("F", {
                "RType": "F",
                "MarketId": exchange,
                "Exchange": exchange,
                "Symbol": sym,
                "TradingDate": self.date_text,
                "Time": self.time_text,
                "TradingSession": session if exchange == "HOSE" else fut_session,
                "TradingStatus": "N",
            })

    # ------------------------------------------------------------------ index

    def _index(self) -> None:
        """VN30 as a cap-weighted index of the simulated prices, scaled to its prior close."""
        level = 0.0
        adv = dec = unch = ceil_n = floor_n = 0
        qty = 0
        val = 0.0
        for st in self.stocks:
            last = st.last or st.ref
            level += st.weight * last / st.ref
            adv += last > st.ref
            dec += last < st.ref
            unch += last == st.ref
            ceil_n += last >= st.ceiling
            floor_n += last <= st.floor
            qty += st.total_vol
            val += st.total_val
        self.index_value = self.index_prior * level
        value = round(self.index_value, 2)
        change = round(value - self.index_prior, 2)
        self._emit("MI", {
            "RType": "MI",
            "IndexId": "VN30",
            "IndexValue": value,
            "PriorIndexValue": self.index_prior,
            "Change": change,
            "RatioChange": round(change / self.index_prior * 100, 2),
            "TotalQtty": float(qty),
            "TotalValue": round(val, 1),
            "Advances": adv,
            "NoChanges": unch,
            "Declines": dec,
            "Ceilings": ceil_n,
            "Floors": floor_n,
            "TradingDate": self.date_text,
            "Time": self.time_text,
            "TradingSession": self.session if self.session != "PT" else "C",
            "Exchange": "HOSE",
        })

    # ------------------------------------------------------------------ futures

    def _futures_fair(self) -> float:
        return self.index_value + self._basis

    def _futures_step(self, profile: float) -> None:
        rng = self.rng
        # basis: mean-reverting around a small discount, crossing zero now and then
        self._basis += (-1.5 - self._basis) / 900.0 + self.basis_noise[self.now_s - OPEN_S]
        fut = self.fut
        fair = min(max(self._futures_fair(), fut.floor + FUTURES_TICK), fut.ceiling - FUTURES_TICK)
        bid = math.floor(fair * 10 + 1e-9) / 10
        ask = round(bid + FUTURES_TICK, 1)
        bid = round(bid, 1)
        if self.fut_book != (bid, ask):
            self.fut_book = (bid, ask)
            self._futures_quote(bid, ask)
        n = 0
        rate = 0.9 * profile
        while rng.random() < rate / (n + 1) and n < 6:
            n += 1
        for _ in range(n):
            buy = rng.random() < 0.5 + 0.4 * math.tanh((fair - (bid + ask) / 2) / FUTURES_TICK)
            self._print(fut, ask if buy else bid, max(1, int(rng.expovariate(1 / 8.0))), "LO",
                        "BU" if buy else "SD", multiplier=FUTURES_MULTIPLIER)
            self._futures_quote(bid, ask)
        if rng.random() < 0.03 * profile:  # the next month trades thinly, as X snapshots
            carry = 2.5
            price = round(round(fair + carry + rng.uniform(-0.5, 0.5), 1), 1)
            price = min(max(price, self.nxt.floor), self.nxt.ceiling)
            vol = max(1, int(rng.expovariate(1 / 3.0)))
            extra: dict = {"RType": "X"}
            levels_b = [(round(price - 0.1 * (i + 1), 1), 10 * (i + 1)) for i in range(3)]
            levels_a = [(round(price + 0.1 * i, 1), 10 * (i + 1)) for i in range(3)]
            _book_fields(extra, levels_b, levels_a)
            self._print(self.nxt, price, vol, "LO", "BU", multiplier=FUTURES_MULTIPLIER,
                        data_type="X", extra=extra)

    def _futures_quote(self, bid: float, ask: float) -> None:
        rng = self.rng
        bids = [(round(bid - 0.1 * i, 1), 1 + int(rng.random() * 60)) for i in range(3)]
        asks = [(round(ask + 0.1 * i, 1), 1 + int(rng.random() * 60)) for i in range(3)]
        content = {
            "RType": "X-QUOTE",
            "TradingDate": self.date_text,
            "Time": self.time_text,
            "Exchange": "DERIVATIVES",
            "Symbol": self.fut_symbol,
        }
        _book_fields(content, bids, asks)
        content["TradingSession"] = "LO" if self.session in ("LO", "ATO") else self.session
        self._emit("X-QUOTE", content)

    def _futures_auction_print(self, session: str) -> None:
        fut = self.fut
        price = round(min(max(self._futures_fair(), fut.floor), fut.ceiling), 1)
        self._print(fut, price, 100 + self.rng.randint(0, 900), session, None, multiplier=FUTURES_MULTIPLIER)


def _continuous_seconds() -> list[int]:
    return [s for s in range(CONTINUOUS_S + 60, ATC_S - 60) if not LUNCH_S <= s < AFTERNOON_S]


def _intraday_profile(s: int) -> float:
    """U-shaped activity: busy after the open and into the close, quiet before lunch."""
    if s < LUNCH_S:
        return 1.0 + 1.6 * math.exp(-(s - CONTINUOUS_S) / 900.0)
    return 0.9 + 1.2 * math.exp(-(ATC_S - s) / 900.0)


# --------------------------------------------------------------------------- the feed


DEMO_OFF_HOURS_START = time(10, 30)
"""Outside trading hours the demo day is caught up to this time, then runs live from it."""


def default_demo_start(now: datetime) -> tuple[date, time | None]:
    """What makes the GUI look alive at once: during trading hours, today's session caught up to
    now then live; otherwise (lunch, after the close, at night, at weekends) the last trading day
    caught up to mid-morning and live from there, so the board, charts and alerts are never empty
    (starting at 09:00 would show an empty board until the 09:15 ATO match)."""
    local = now.astimezone(VIETNAM_TZ)
    day, tod = local.date(), local.time()
    if day.weekday() < 5 and (time(9, 0) <= tod < time(11, 30) or time(13, 0) <= tod < time(14, 45)):
        return day, tod
    if day.weekday() < 5 and tod < time(9, 0):  # before today's open: yesterday's market
        day -= timedelta(days=1)
    return previous_weekday(day), DEMO_OFF_HOURS_START


class DemoFeed(FeedStateHolder):
    """The simulator paced on the event loop (``speed`` x real time, or ``None`` = max).

    ``start``: a datetime whose date is simulated; events before its time of day are caught up
    unpaced. ``None``: during trading hours, today caught up to now; otherwise today (or the
    previous weekday) from 09:00. Each new day starts paced at its own 09:00 (no overnight wait).
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
            day, catch_up = default_demo_start(datetime.now(VIETNAM_TZ))
        else:
            local = start.astimezone(VIETNAM_TZ) if start.tzinfo else start.replace(tzinfo=VIETNAM_TZ)
            day, catch_up = local.date(), local.time()
            if day.weekday() >= 5:
                day, catch_up = previous_weekday(day), None
        self.seed = 30 if seed is None else seed
        self.speed = speed
        self.market = DemoMarket(seed=self.seed, start=day, days=days, symbols=symbols)
        self._catch_up_until = (
            datetime.combine(self.market.first_day, catch_up, VIETNAM_TZ) if catch_up else None
        )
        self._closed = asyncio.Event()
        self.emitted = 0

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
                            await self._pause(delay)
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

    async def _pause(self, delay: float) -> None:
        await sleep_unless_set(self._closed, delay)

    async def close(self) -> None:
        self._closed.set()


# --------------------------------------------------------------------------- sample replay


def write_sample_replay(path: Path, seed: int = 7, day: date = date(2026, 3, 10)) -> int:
    """A small replay file covering every message kind, plus 3 deliberately bad lines.

    A few symbols, the index and both futures months, around the open, a busy stretch and the
    close. Returns the number of lines written.
    """
    sample_symbols = ("ACB", "FPT", "SSI")
    market = DemoMarket(seed=seed, start=day, symbols=sample_symbols)
    windows = [
        (time(9, 0, 0), time(9, 0, 5)),  # session status, futures ATO
        (time(9, 14, 55), time(9, 16, 0)),  # ATO prints, continuous trading starts
        (time(10, 30, 0), time(10, 30, 40)),
        (time(11, 29, 50), time(11, 30, 0)),  # lunch break
        (time(14, 29, 50), time(14, 30, 10)),  # ATC starts
        (time(14, 44, 59), time(15, 0, 0)),  # ATC prints, put-through, close
    ]
    lines: list[str] = []
    for stamp, text in market.timed_day(day):
        t = stamp.time()
        if any(a <= t <= b for a, b in windows):
            lines.append(text)
    bad = [
        '{"DataType":"X-TRADE","Content":"{\\"Symbol\\":\\"ACB\\",truncated',
        _envelope("X-TRADE", {"RType": "X-TRADE", "TradingDate": day.strftime("%d/%m/%Y"), "Time": "09:16:00",
                              "Symbol": "ACB", "Exchange": "HOSE", "LastPrice": -24500.0, "LastVol": 100.0,
                              "TotalVol": 100.0, "TotalVal": 2450000.0, "TradingSession": "LO"}),
        _envelope("ZZ", {"Symbol": "ACB"}),
    ]
    for i, line in enumerate(bad):
        lines.insert(len(lines) * (i + 1) // 4, line)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m desktop_app.feeds.demo")
    parser.add_argument("--write-sample", type=Path, metavar="FILE",
                        help="write the sample replay file (resources/sample_replay.jsonl)")
    parser.add_argument("--stats", action="store_true", help="simulate one day and print message counts")
    parser.add_argument("--seed", type=int, default=30)
    args = parser.parse_args(argv)
    if args.write_sample:
        n = write_sample_replay(args.write_sample)
        print(f"wrote {n} lines to {args.write_sample}")
    if args.stats:
        counts: dict[str, int] = {}
        for text in DemoMarket(seed=args.seed, start=date(2026, 3, 10)).envelopes():
            dt = orjson.loads(text)["DataType"]
            counts[dt] = counts.get(dt, 0) + 1
        print(orjson.dumps({"total": sum(counts.values()), **counts}).decode())
    return 0


if __name__ == "__main__":
    sys.exit(main())
