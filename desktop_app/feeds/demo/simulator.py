"""A deterministic VN30 market simulator that speaks the SSI wire format.

``DemoMarket`` simulates trading days second by second (seeded ``random.Random``: same seed and
date, same envelopes) and yields ``(market time, envelope text)`` exactly as the hub sends them
after the first decode. The day walks the exchange's timetable (``market_clock.TIMETABLES``):
entering a phase announces it (F messages) and runs what the exchange does then (the ATO match
as continuous trading starts, the ATC match as put-through starts); each second runs the step of
its phase. What it simulates, so that charts and every alert rule have something plausible:

* Prices on the HOSE tick grid within floor/ceiling (``market_rules``), 100-share lots, 3-level
  books centred on a smoothly moving fair price. A buyer-initiated print (Side BU) takes the best
  ask, a seller-initiated one (SD) the best bid, and a consumed level is refilled at the fair
  price, so consecutive prints differ by the one-tick bid/ask bounce plus the fair price's drift.
* The VN30 index (MI) as the cap-weighted basket, and front-month futures (``VN30FYYMM``) quoted
  one tick wide around index + basis, the basis a slowly mean-reverting few points; the next
  month trades thinly as X snapshots.
* Designed events (``DayPlan``): a ceiling hit, a floor hit, block prints, put-throughs (some
  after 14:45 far from the matched price), three foreign surges and one basis flip through zero.
"""

from __future__ import annotations

import math
import random
from datetime import date, datetime
from decimal import Decimal
from typing import Iterable, Iterator

import numpy as np

from desktop_app.feeds.basket import BasketData, load_basket
from desktop_app.feeds.demo.market_model import (
    AFTERNOON_S,
    ATC_PRINT_S,
    ATC_S,
    CLOSE_S,
    CONTINUOUS_S,
    FUTURES_PHASES,
    HOSE_PHASES,
    LUNCH_S,
    OPEN_S,
    SSI_SESSION,
    DayCarry,
    DayPlan,
    Instrument,
    Stock,
    continuous_seconds,
    futures_symbol,
    intraday_profile,
)
from desktop_app.feeds.demo.wire import (
    DayStamp,
    bar_content,
    book_fields,
    envelope,
    quote_content,
    room_content,
    session_content,
    trade_content,
)
from desktop_app.market_clock import SessionPhase, VIETNAM_TZ, next_trading_day, previous_trading_day, vn_today
from desktop_app.market_rules import (
    BOARD_LOT,
    FUTURES_MULTIPLIER,
    futures_limits,
    hose_limits,
    hose_tick,
    snap_down,
    tick_down,
    tick_up,
)

_TICK = 0.1  # futures tick as a float for the simulation's arithmetic
_P = SessionPhase

BASIS_REVERSION_S = 600.0
"""The basis returns halfway to its target in about 7 minutes (OU time constant)."""
BASIS_NOISE_PER_S = 0.04
"""Points of basis noise per second: a stationary spread of about 0.7 point around the target."""
BASIS_TARGET = (1.5, 3.0)
"""Magnitude range of the basis target (points); the designed flip moves it across zero."""
LIMIT_SPELL_S = 3600
"""The designed limit moves: the day's hot (cold) symbol is pulled to its ceiling (floor) for
this long, reaching it after some 20-30 minutes, then eases off."""


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
        self.first_day = previous_trading_day(start or vn_today())
        self.days = max(1, int(days))
        self.rng = random.Random(seed)
        self._emit_symbols = None if symbols is None else frozenset(s.upper() for s in symbols)
        known = set(self.basket.symbols)
        if self._emit_symbols is not None and not self._emit_symbols & known:
            raise ValueError(f"none of {sorted(self._emit_symbols)} is in the demo basket")
        total_w = sum(m.weight for m in self.basket.members)
        self._stocks = [
            Stock(
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
        prior = self.basket.index_prior_value
        basis = self.basket.futures_prior_basis
        self._carry = DayCarry(prior, round(prior + basis, 1), basis)

    # ------------------------------------------------------------------ public

    def trading_days(self) -> list[date]:
        out = [self.first_day]
        while len(out) < self.days:
            out.append(next_trading_day(out[-1]))
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
        """One full trading day (09:00-15:00) in time order; state carries into the next day.

        The day's paths are drawn here (about half a second of numpy: call it in an executor);
        the returned iterator then steps through the day second by second.
        """
        simulation = DaySimulation(self, day or self.first_day, self._stocks, self._carry)
        return self._run(simulation)

    def wants(self, symbol: str) -> bool:
        return self._emit_symbols is None or symbol in self._emit_symbols

    def _run(self, simulation: "DaySimulation") -> Iterator[tuple[datetime, str]]:
        yield from simulation.run()
        self._carry = simulation.carry()


class DaySimulation:
    """One day of the market: per-second steps driven by the phase tables, envelopes in
    market-time order."""

    def __init__(self, market: DemoMarket, day: date, stocks: list[Stock], carry: DayCarry) -> None:
        self.wants = market.wants
        self.rng = market.rng
        self.day = day
        self.at = DayStamp(day.strftime("%d/%m/%Y"))
        self.stocks = stocks
        self.by_symbol = {st.symbol: st for st in stocks}
        self.index_prior = carry.index_prior
        self.index_value = self.index_prior
        self.start_basis = carry.basis
        self.fut_symbol = futures_symbol(day)
        self.next_symbol = futures_symbol(day, 1)
        self.fut = self._contract(self.fut_symbol, carry.futures_ref)
        self.nxt = self._contract(self.next_symbol, round(carry.futures_ref + 2.5, 1))
        self.fut_book: tuple[float, float] | None = None
        self.out: list[tuple[datetime, str]] = []
        self.now_s = OPEN_S
        self.stamp: datetime | None = None
        self.session = "ATO"
        self._start_day()

    @staticmethod
    def _contract(symbol: str, ref: float) -> Instrument:
        floor, ceiling = futures_limits(Decimal(repr(ref)))
        return Instrument(symbol, "DERIVATIVES", ref, float(floor), float(ceiling))

    # ------------------------------------------------------------------ set-up

    def _start_day(self) -> None:
        rng = self.rng
        for s in self.stocks:
            s.floor, s.ceiling = (float(v) for v in hose_limits(int(s.ref)))
            s.start_day()
            s.anchor = rng.gauss(0.0, 0.012)
            s.beta = rng.uniform(0.7, 1.3)
            s.rate = 0.06 + 3.2 * s.weight
            s.lots = 12.0 + 400.0 * s.weight
        names = [s.symbol for s in self.stocks]
        hot, cold, *surgers = rng.sample(names, 6)
        for i, sym in enumerate(surgers[:3]):
            start = rng.randint(CONTINUOUS_S + 1800, ATC_S - 1800)
            if LUNCH_S - 600 < start < AFTERNOON_S:
                start = AFTERNOON_S + 600
            self.by_symbol[sym].surge = (start, start + 420, 1 if i % 2 == 0 else -1)
        day_secs = continuous_seconds()
        self.plan = DayPlan(
            hot=hot,
            cold=cold,
            hot_from_s=rng.randint(CONTINUOUS_S, CONTINUOUS_S + 3600),
            cold_from_s=rng.randint(CONTINUOUS_S, CONTINUOUS_S + 3600),
            blocks=tuple(sorted((rng.choice(day_secs), rng.choice(names)) for _ in range(4))),
            put_throughs=tuple(sorted(
                [(rng.choice(day_secs), rng.choice(names)) for _ in range(6)]
                + [(rng.randint(ATC_PRINT_S + 60, CLOSE_S - 60), rng.choice(names)) for _ in range(6)]
            )),
            basis_flip_s=rng.choice([s for s in day_secs if AFTERNOON_S + 900 <= s < ATC_S - 1800]
                                    + [s for s in day_secs if CONTINUOUS_S + 1800 <= s < LUNCH_S - 900]),
        )
        self._simulate_paths()
        self.fut.start_day()
        self.nxt.start_day()

    def carry(self) -> DayCarry:
        """The closes this day hands the next (stocks carry their own closes as references)."""
        return DayCarry(round(self.index_value, 2), self.fut.last or self.fut.ref, self.basis)

    # ------------------------------------------------------------------ clock

    def _set_clock(self, s: int) -> None:
        self.now_s = s
        h, rem = divmod(s, 3600)
        mi, se = divmod(rem, 60)
        self.at.time_text = f"{h:02d}:{mi:02d}:{se:02d}"
        self.stamp = datetime(self.day.year, self.day.month, self.day.day, h, mi, se, tzinfo=VIETNAM_TZ)
        i = s - OPEN_S
        self.fair_now = self.fair_rows[i]
        self.bid_now = self.bid_rows[i]
        self.basis = self.basis_rows[i]

    def _emit(self, data_type: str, content: dict) -> None:
        self.out.append((self.stamp, envelope(data_type, content)))  # type: ignore[arg-type]

    # ------------------------------------------------------------------ the day, phase by phase

    def run(self) -> Iterator[tuple[datetime, str]]:
        blocks = list(self.plan.blocks)
        pts = list(self.plan.put_throughs)
        phase = fphase = None
        for s in range(OPEN_S, CLOSE_S + 1):
            self._set_clock(s)
            i = s - OPEN_S
            new_phase, new_fphase = HOSE_PHASES[i], FUTURES_PHASES[i]
            entered = new_phase is not phase
            if entered:
                self._enter(phase, new_phase)
            if new_fphase is not fphase and new_fphase is _P.CONTINUOUS and fphase is not _P.LUNCH:
                self._futures_auction_print("ATO")  # the futures' opening match
            phase, fphase = new_phase, new_fphase
            if phase is _P.LUNCH:
                continue
            if phase is _P.ATO or phase is _P.ATC:
                if (s - OPEN_S) % 60 == 30:
                    for st in self.stocks:
                        self._auction_quote(st, SSI_SESSION[phase])
            elif phase is _P.CONTINUOUS and not (entered and s == CONTINUOUS_S):
                counts = self.trade_counts[i]
                stocks = self.stocks
                for j in self.active[i]:
                    self._continuous_step(stocks[j], counts[j])
                while blocks and blocks[0][0] <= s:
                    self._block_print(self.by_symbol[blocks.pop(0)[1]])
                if s % 60 == 0:
                    self._bars_flush()
            while pts and pts[0][0] <= s:
                self._put_through(self.by_symbol[pts.pop(0)[1]])
            if fphase is _P.CONTINUOUS and s != OPEN_S:
                self._futures_step(intraday_profile(s) if s > CONTINUOUS_S else 1.0)
            continuous = phase is _P.CONTINUOUS and s != CONTINUOUS_S
            if continuous and s % 2 == 0:
                self._index()
            if continuous or s >= ATC_PRINT_S:
                for st in self.stocks:
                    if st.foreign_dirty and s - st.last_r_s >= 10:
                        self._foreign_room(st)
            if self.out:
                yield from self.out
                self.out.clear()
        self._end_of_day()

    def _enter(self, before: SessionPhase | None, phase: SessionPhase) -> None:
        """What the exchange does as a phase begins, then the session announcement."""
        if phase is _P.CONTINUOUS and before is _P.ATO:
            for st in self.stocks:
                self._auction_print(st, "ATO")  # the opening match
            self._session_change("LO")
            for st in self.stocks:
                self._reset_book(st, force=True)
            self._index()
            return
        if phase is _P.LUNCH or phase is _P.ATC:
            self._bars_flush()
        if phase is _P.PUT_THROUGH:
            for st in self.stocks:
                self._auction_print(st, "ATC")  # the closing match
            self._futures_auction_print("ATC")
            self._index()
        self._session_change(SSI_SESSION[phase])
        if phase is _P.LUNCH:
            self._index()

    def _end_of_day(self) -> None:
        """Carry closes into the next day's references."""
        for st in self.stocks:
            if st.last:
                st.ref = st.last

    # ------------------------------------------------------------------ stocks

    def _fair(self, st: Stock) -> float:
        return self.fair_now[st.index]

    def _simulate_paths(self) -> None:
        """Every stock's fair-price path and the basis path for the day, drawn at once with numpy.

        log(fair/ref) is mean-reverting towards the stock's daily anchor, driven by a common market
        factor (beta) plus its own noise; the hot/cold symbols are pulled past their limits, surges
        push one way. Also drawn here: the grid bid each second implies, the number of
        continuous-session prints per stock-second (Poisson, U-shaped intraday profile), and the
        basis (an Ornstein-Uhlenbeck walk towards a target of a few points whose sign turns at
        the planned flip).
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
        for symbol, since, sign in ((plan.hot, plan.hot_from_s, 1.0), (plan.cold, plan.cold_from_s, -1.0)):
            # pulled past its limit for a while (it reaches it and sits there), then it eases off
            column = by_symbol[symbol]
            rows = secs >= since
            anchor[rows, column] = sign * 0.085
            kappa[rows, column] = 1.0 / 1500.0
            anchor[secs >= since + LIMIT_SPELL_S, column] = sign * 0.045
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
        profile = np.array([intraday_profile(int(s_)) if CONTINUOUS_S < s_ < ATC_S and open_mask[i] else 0.0
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
        self.basis_rows = self._basis_path(g, secs, open_mask).tolist()
        self.fair_now = self.fair_rows[0]
        self.bid_now = self.bid_rows[0]
        self.basis = self.basis_rows[0]

    def _basis_path(self, g: np.random.Generator, secs: np.ndarray, open_mask: np.ndarray) -> np.ndarray:
        """The basis each second: mean-reverting to a target that crosses zero at the flip."""
        start = self.start_basis
        side = 1.0 if start >= 0 else -1.0
        low, high = BASIS_TARGET
        before = side * g.uniform(low, high)
        after = -side * g.uniform(low, high)
        ramp = np.clip((secs - self.plan.basis_flip_s) / 900.0, 0.0, 1.0)  # 15 minutes
        target = before + (after - before) * ramp
        noise = g.normal(0.0, BASIS_NOISE_PER_S, len(secs)) * open_mask
        pull = open_mask / BASIS_REVERSION_S
        basis = np.empty(len(secs))
        b = min(max(start, -high), high)
        for t in range(len(secs)):
            b += pull[t] * (target[t] - b) + noise[t]
            basis[t] = b
        return basis

    def _level_volume(self, st: Stock, scale: float = 1.0) -> int:
        return BOARD_LOT * max(1, int(self.rng.expovariate(1.0 / (st.lots * 4.0 * scale))))

    def _reset_book(self, st: Stock, force: bool = False) -> None:
        """Re-centre the 3-level book on the fair price when its grid bid moved."""
        bid = self.bid_now[st.index]
        ceiling, floor = int(st.ceiling), int(st.floor)
        if not force and bid == st.grid_bid:
            return
        st.grid_bid = bid
        scale = 4.0 if st.surging(self.now_s) else 1.0
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

    def _quote(self, st: Stock, session: str) -> None:
        if self.wants(st.symbol):
            self._emit("X-QUOTE", quote_content(self.at, "HOSE", st.symbol, st.bids, st.asks, session))

    def _continuous_step(self, st: Stock, n: int) -> None:
        """One second of one stock: re-centre the book if the fair price moved, then n prints."""
        self._reset_book(st)
        if not n:
            return
        rng = self.rng
        surge = st.surging(self.now_s)
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
            want = BOARD_LOT * max(1, int(rng.expovariate(1.0 / (st.lots * (3.0 if surge else 1.0)))))
            volume = min(want, level[1])
            foreign = rng.random() < (0.9 if surge else 0.12)
            self._print(st, level[0], volume, "LO", "BU" if buy else "SD", foreign_side=(1 if buy else -1) if foreign else 0)
            level[1] -= volume
            if level[1] <= 0:
                self._refill(st)
            else:
                self._quote(st, "LO")

    def _refill(self, st: Stock) -> None:
        """The best level is gone: new orders arrive around the fair price, so the book re-centres
        there instead of walking away from it (no multi-tick runs and snap-backs)."""
        self._reset_book(st, force=True)

    def _block_print(self, st: Stock) -> None:
        """A single continuous print worth >= 10 bn VND: the book shows the size, then it trades."""
        if not st.asks:
            return
        price = st.asks[0][0]
        volume = BOARD_LOT * (int(10_500_000_000 / price / BOARD_LOT) + 1 + self.rng.randint(0, 200))
        st.asks[0][1] = volume
        self._quote(st, "LO")
        self._print(st, price, volume, "LO", "BU", foreign_side=1)
        self._refill(st)

    def _auction_quote(self, st: Stock, session: str) -> None:
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

    def _auction_print(self, st: Stock, session: str) -> None:
        fair = self._fair(st)
        price = min(max(snap_down(fair), int(st.floor)), int(st.ceiling))
        volume = BOARD_LOT * max(10, int(self.rng.expovariate(1.0 / (st.lots * 40))))
        self._print(st, price, volume, session, None, foreign_side=self.rng.choice((-1, 0, 1)))

    def _put_through(self, st: Stock) -> None:
        """A negotiated block: any price inside the band, often far from the matched price."""
        ref = st.ref
        price = min(max(snap_down(ref * self.rng.uniform(0.97, 1.03)), int(st.floor)), int(st.ceiling))
        volume = BOARD_LOT * self.rng.randint(1_000, 20_000)
        self._print(st, price, volume, "PT", None, foreign_side=self.rng.choice((-1, 0, 1)))

    def _print(self, st: Instrument, price: float, volume: int, session: str, side: str | None,
               foreign_side: int = 0, multiplier: int = 1, data_type: str = "X-TRADE",
               extra: dict | None = None) -> None:
        value = price * volume * multiplier
        st.total_vol += volume
        st.total_val += value
        matched = session != "PT"
        if matched:  # a put-through moves neither the last price nor the day's range
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
        is_stock = isinstance(st, Stock)
        if foreign_side and is_stock:
            if foreign_side > 0:
                st.f_buy_vol += volume
                st.f_buy_val += value
            else:
                st.f_sell_vol += volume
                st.f_sell_val += value
            st.foreign_dirty = True
        if is_stock and not self.wants(st.symbol):
            return
        content = trade_content(self.at, st, price, volume, session, side, multiplier, data_type)
        if extra:
            content.update(extra)
        self._emit(data_type, content)

    def _foreign_room(self, st: Stock) -> None:
        st.foreign_dirty = False
        st.last_r_s = self.now_s
        if not self.wants(st.symbol):
            return
        current = min(max(st.room_left - (st.f_buy_vol - st.f_sell_vol), 0), st.total_room)
        self._emit("R", room_content(self.at, st, current))

    def _bars_flush(self) -> None:
        """B: one bar per symbol per minute in which it printed (continuous session)."""
        for st in (*self.stocks, self.fut):
            bar = st.bar
            if bar is None:
                continue
            st.bar = None
            if isinstance(st, Stock) and not self.wants(st.symbol):
                continue
            self._emit("B", bar_content(self.at, st.symbol, bar))

    def _session_change(self, session: str) -> None:
        self.session = session
        for sym, exchange in [(st.symbol, "HOSE") for st in self.stocks] + [(self.fut_symbol, "DERIVATIVES")]:
            if exchange == "HOSE" and not self.wants(sym):
                continue
            fut_session = session if session != "PT" else "C"
            self._emit("F", session_content(self.at, sym, exchange, session if exchange == "HOSE" else fut_session))

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
            "TradingDate": self.at.date_text,
            "Time": self.at.time_text,
            "TradingSession": self.session if self.session != "PT" else "C",
            "Exchange": "HOSE",
        })

    # ------------------------------------------------------------------ futures

    def _futures_fair(self) -> float:
        return self.index_value + self.basis

    def _futures_step(self, profile: float) -> None:
        """One second of the front month: a one-tick book around index + basis, then prints."""
        rng = self.rng
        fut = self.fut
        fair = min(max(self._futures_fair(), fut.floor + _TICK), fut.ceiling - _TICK)
        bid = round(math.floor(fair * 10 + 1e-9) / 10, 1)
        ask = round(bid + _TICK, 1)
        if self.fut_book != (bid, ask):
            self.fut_book = (bid, ask)
            self._futures_quote(bid, ask)
        n = 0
        rate = 0.9 * profile
        while rng.random() < rate / (n + 1) and n < 6:
            n += 1
        for _ in range(n):
            buy = rng.random() < 0.5 + 0.4 * math.tanh((fair - (bid + ask) / 2) / _TICK)
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
            book_fields(extra, levels_b, levels_a)
            self._print(self.nxt, price, vol, "LO", "BU", multiplier=FUTURES_MULTIPLIER,
                        data_type="X", extra=extra)

    def _futures_quote(self, bid: float, ask: float) -> None:
        rng = self.rng
        bids = [(round(bid - 0.1 * i, 1), 1 + int(rng.random() * 60)) for i in range(3)]
        asks = [(round(ask + 0.1 * i, 1), 1 + int(rng.random() * 60)) for i in range(3)]
        session = "LO" if self.session in ("LO", "ATO") else self.session
        self._emit("X-QUOTE", quote_content(self.at, "DERIVATIVES", self.fut_symbol, bids, asks, session))

    def _futures_auction_print(self, session: str) -> None:
        fut = self.fut
        price = round(min(max(self._futures_fair(), fut.floor), fut.ceiling), 1)
        self._print(fut, price, 100 + self.rng.randint(0, 900), session, None, multiplier=FUTURES_MULTIPLIER)
