"""Live order flow against the history service: the same numbers, bar for bar.

A hand-built day (every definition, arrivals out of time order too) and a replayed tape run
through the real pipeline into a real database; the live aggregates and the history service
must agree exactly on flow bars, the volume profile, big prints and basket flow.
"""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import asyncpg

from desktop_app.config import Settings
from desktop_app.domain import ClassifiedTrade, TradeType
from desktop_app.feeds.spec import FeedSpec
from desktop_app.order_flow import BasketValueSums, SessionSplit, basket_bars
from desktop_app.processing.order_flow import OrderFlowBook
from desktop_app.services.history import HistoryService
from desktop_app.services.pipeline import Pipeline
from tests.services.order_flow_day import DAY, TRADES, at, insert_day

SAMPLE = Path(__file__).resolve().parents[2] / "resources" / "sample_replay.jsonl"


def _classified(symbol: str, price: str, volume: int, trade_type: str, ts) -> ClassifiedTrade:  # type: ignore[no-untyped-def]
    p = Decimal(price)
    return ClassifiedTrade(symbol, p, volume, p * volume, TradeType(trade_type), None, None, ts)


async def _assert_same_as_history(book: OrderFlowBook, history: HistoryService, day, symbols) -> None:  # type: ignore[no-untyped-def]
    for symbol in symbols:
        live = book.symbol(symbol)
        assert live is not None and live.day == day
        stored_bars = await history.flow(symbol, day, 1)
        assert stored_bars, symbol
        assert live.bars() == stored_bars, symbol
        assert live.bars()[-1].cvd == live.cvd and live.bars()[-1].vwap == live.vwap
        assert live.profile() == await history.volume_profile(symbol, day), symbol
        floor = book.big_trade_min_value
        assert live.big_trades() == await history.big_trades(symbol, day, floor), symbol
        assert [live.totals()] == await history.basket_totals([symbol], day), symbol
    assert book.basket_flow(symbols) == await history.basket_flow(symbols, day, 1)


async def test_hand_built_day_live_equals_history(pool: asyncpg.Pool) -> None:
    await insert_day(pool)
    book = OrderFlowBook(big_trade_min_value=Decimal(10_000_000))
    current_day = [t for t in TRADES if t[4].date() == DAY]
    shuffled = current_day[:]
    random.Random(7).shuffle(shuffled)  # late arrivals: bars and levels must not care
    # ... except between prints of the same instant, whose arrival order decides open and close
    same_instant = [t for t in current_day if t[4] == at(13, 0)]
    slots = [i for i, t in enumerate(shuffled) if t[4] == at(13, 0)]
    for i, t in zip(slots, same_instant):
        shuffled[i] = t
    assert shuffled != current_day
    book.add_all(_classified(*t) for t in shuffled)
    await _assert_same_as_history(book, HistoryService(pool), DAY, ["HPG", "VWP", "TIE1", "TIE2"])
    hpg = book.symbol("HPG")
    assert hpg is not None
    assert hpg.cvd == 40110 and hpg.vwap == Decimal("25152.04")
    assert [b.time.strftime("%H:%M") for b in hpg.bars()] == ["09:15", "09:16", "09:17", "11:29", "13:00", "13:05", "14:45"]
    assert hpg.session_split() == SessionSplit(
        ato_volume=1000, ato_value=Decimal(25_000_000),
        continuous_volume=41560, continuous_value=Decimal("1043073000"),
        atc_volume=50000, atc_value=Decimal(1_260_000_000),
    )
    assert [t.trade_type for t in hpg.big_trades()] == [TradeType.PUT_THROUGH, TradeType.BUY, TradeType.SELL,
                                                        TradeType.BUY]
    assert [t.trade_type for t in hpg.big_trades(Decimal(1_000_000_000))] == [TradeType.PUT_THROUGH, TradeType.BUY]


async def test_a_replayed_day_through_the_pipeline_agrees_with_the_history_service(db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(home=tmp_path / "home")
    pipeline = Pipeline(settings, FeedSpec("replay", SAMPLE, None), db)
    book = OrderFlowBook(big_trade_min_value=Decimal(100_000_000))
    pipeline.processor.subscribe(book.on_value)
    await pipeline.start()
    await pipeline.wait_finished()
    await pipeline.stop()
    assert pipeline.writer.metrics().rows_written["trades"] > 100
    symbols = [s for s in book.symbols if book.symbol(s).bars()]  # type: ignore[union-attr]
    assert len(symbols) >= 3
    day = book.symbol(symbols[0]).day  # type: ignore[union-attr]
    await _assert_same_as_history(book, HistoryService(db.pool), day, symbols)


def _basket_flow_from_scratch(book: OrderFlowBook, symbols: list[str]) -> list:
    """The plain computation: every member's whole day summed again."""
    totals: dict = {}
    for symbol in symbols:
        flow = book.symbol(symbol)
        if flow is None:
            continue
        for minute in flow.minutes():
            t = totals.setdefault(minute, [Decimal(0)] * 4)
            for i, value in enumerate(flow.minute_value_sums(minute)):
                t[i] += value
    return basket_bars(BasketValueSums(time, *t) for time, t in sorted(totals.items()))


def test_the_incremental_basket_flow_equals_summing_the_whole_day_again() -> None:
    """Asked between prints — in order, late, put-throughs, a non-member, a member that starts
    late, a new day — the basket's flow is what summing every member's day again gives."""
    rng = random.Random(7)
    members = ["ACB", "FPT", "VNM", "HPG"]
    book = OrderFlowBook(big_trade_min_value=Decimal(10**9))
    kinds = ["buy", "sell", "neutral", "ato", "atc", "put_through"]
    start = at(9, 15)
    asked = 0
    for day_offset in (0, 1):
        for n in range(1_500):
            symbol = rng.choice(members[:3] if n < 500 else members + ["SSI"])  # HPG joins late
            late = rng.random() < 0.05
            second = max(0, n * 2 - (rng.randint(60, 600) if late else 0))
            ts = start + timedelta(days=day_offset, seconds=second)
            book.add(_classified(symbol, str(20_000 + 50 * rng.randint(-5, 5)), 100 * rng.randint(1, 50),
                                 rng.choice(kinds), ts))
            if rng.random() < 0.05:
                assert book.basket_flow(members) == _basket_flow_from_scratch(book, members), (day_offset, n)
                asked += 1
        assert book.basket_flow(members) == _basket_flow_from_scratch(book, members)
    assert asked > 100
    assert book.basket_flow(["FPT"]) == _basket_flow_from_scratch(book, ["FPT"])  # another basket
    assert book.basket_flow(members) == _basket_flow_from_scratch(book, members)
