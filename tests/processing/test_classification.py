"""Every classification path, observed as the ClassifiedTrade the processor emits."""

from __future__ import annotations

from decimal import Decimal

import pytest

from desktop_app.domain import ClassifiedTrade, Side, TradeType, TradingSession
from desktop_app.processing.processor import MarketDataProcessor

from .events import Tape, at, session_status


def run(*events) -> list[ClassifiedTrade]:
    processor = MarketDataProcessor()
    out: list = []
    processor.subscribe(out.append)
    processor.process_all(events)
    return [v for v in out if isinstance(v, ClassifiedTrade)]


def last_type(*events) -> TradeType:
    return run(*events)[-1].trade_type


def test_ssi_side_bu_is_an_active_buy_even_below_the_bid() -> None:
    t = Tape()
    assert last_type(t.quote(100_000, 100_100), t.trade(99_900, side=Side.BUY)) is TradeType.BUY


def test_ssi_side_sd_is_an_active_sell_even_at_the_ask() -> None:
    t = Tape()
    assert last_type(t.quote(100_000, 100_100), t.trade(100_100, side=Side.SELL)) is TradeType.SELL


@pytest.mark.parametrize("price", [100_100, 100_200])
def test_quote_rule_at_or_above_the_ask_is_a_buy(price: int) -> None:
    t = Tape()
    assert last_type(t.quote(100_000, 100_100), t.trade(price)) is TradeType.BUY


@pytest.mark.parametrize("price", [100_000, 99_900])
def test_quote_rule_at_or_below_the_bid_is_a_sell(price: int) -> None:
    t = Tape()
    assert last_type(t.quote(100_000, 100_100), t.trade(price)) is TradeType.SELL


def test_classified_trade_carries_the_quote_before_the_print_and_its_value() -> None:
    t = Tape()
    (ct,) = run(t.quote(100_000, 100_100, clock="10:00:00"), t.trade(100_100, 300, clock="10:00:05"))
    assert ct == ClassifiedTrade(
        symbol="FPT",
        price=Decimal("100100"),
        volume=300,
        value=Decimal("30030000"),
        trade_type=TradeType.BUY,
        bid_price=Decimal("100000"),
        ask_price=Decimal("100100"),
        timestamp=at("10:00:05"),
        total_volume=300,  # the print's TotalVol: its identity for exactly-once storage
    )


def test_a_later_quote_replaces_the_one_used() -> None:
    t = Tape()
    trades = run(t.quote(100_000, 100_100), t.quote(100_100, 100_200, clock="10:00:01"), t.trade(100_100))
    assert (trades[0].trade_type, trades[0].bid_price) == (TradeType.SELL, Decimal("100100"))


def test_tick_test_uptick_is_a_buy_and_downtick_a_sell_inside_the_spread() -> None:
    t = Tape()
    types = [
        c.trade_type
        for c in run(
            t.quote(99_000, 101_000),
            t.trade(100_000),  # no earlier print: neutral
            t.trade(100_100),  # uptick
            t.trade(100_000),  # downtick
        )
    ]
    assert types == [TradeType.NEUTRAL, TradeType.BUY, TradeType.SELL]


def test_zero_tick_keeps_the_direction_of_the_last_price_change() -> None:
    t = Tape()
    types = [
        c.trade_type
        for c in run(
            t.quote(99_000, 101_000),
            t.trade(100_000),
            t.trade(100_000),  # zero tick, no earlier change: neutral
            t.trade(100_100),  # uptick
            t.trade(100_100),  # zero-uptick
            t.trade(100_100, side=Side.SELL),  # SSI's side wins, but the tick state is unchanged
            t.trade(100_100),  # still a zero-uptick
            t.trade(100_000),  # downtick
            t.trade(100_000),  # zero-downtick
        )
    ]
    assert types == [
        TradeType.NEUTRAL,
        TradeType.NEUTRAL,
        TradeType.BUY,
        TradeType.BUY,
        TradeType.SELL,
        TradeType.BUY,
        TradeType.SELL,
        TradeType.SELL,
    ]


def test_without_quote_or_earlier_print_a_print_is_neutral() -> None:
    assert last_type(Tape().trade(100_000)) is TradeType.NEUTRAL


def test_a_crossed_book_falls_through_to_the_tick_test() -> None:
    t = Tape()
    assert last_type(t.trade(100_000), t.quote(100_200, 100_100), t.trade(100_100)) is TradeType.BUY


@pytest.mark.parametrize(
    ("session", "expected"),
    [
        (TradingSession.ATO, TradeType.ATO),
        (TradingSession.ATC, TradeType.ATC),
        (TradingSession.PUT_THROUGH, TradeType.PUT_THROUGH),
    ],
)
def test_auction_and_put_through_prints_get_their_own_type_never_buy_or_sell(session, expected) -> None:
    t = Tape()
    # Even at the ask and with SSI's side set, a single-price match is not active buying.
    assert last_type(t.quote(100_000, 100_100), t.trade(100_100, side=Side.BUY, session=session)) is expected


def test_put_through_does_not_move_the_tick_reference() -> None:
    t = Tape()
    types = [
        c.trade_type
        for c in run(
            t.quote(99_000, 101_000),
            t.trade(100_000),
            t.trade(95_000, 50_000, session=TradingSession.PUT_THROUGH),
            t.trade(100_100),  # uptick against 100,000, not against the put-through
        )
    ]
    assert types == [TradeType.NEUTRAL, TradeType.PUT_THROUGH, TradeType.BUY]


def test_an_unknown_session_print_takes_the_session_announced_by_f_messages() -> None:
    t = Tape()
    trades = run(
        session_status("FPT", TradingSession.ATC, clock="14:30:00"),
        t.trade(100_000, clock="14:45:00", side=Side.BUY, session=TradingSession.UNKNOWN),
    )
    assert trades[0].trade_type is TradeType.ATC


def test_an_exchange_wide_session_announcement_applies_to_its_symbols() -> None:
    t = Tape()
    trades = run(
        session_status("HOSE", TradingSession.ATO, clock="09:00:00"),
        t.trade(100_000, clock="09:15:00", session=TradingSession.UNKNOWN),
    )
    assert trades[0].trade_type is TradeType.ATO
