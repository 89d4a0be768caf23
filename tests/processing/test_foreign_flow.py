"""Foreign flow: day totals, speed over a market-time window, unchanged and out-of-order snapshots."""

from __future__ import annotations

from decimal import Decimal

from desktop_app.domain import ForeignInvestorData
from desktop_app.processing.processor import MarketDataProcessor

from .events import DAY, at, foreign


def emitted(processor: MarketDataProcessor, *events) -> list[ForeignInvestorData]:
    out: list = []
    processor.subscribe(out.append)
    processor.process_all(events)
    return [v for v in out if isinstance(v, ForeignInvestorData)]


def speeds(data: list[ForeignInvestorData]) -> list[tuple[Decimal, Decimal]]:
    return [(d.buy_speed_per_min, d.sell_speed_per_min) for d in data]


def test_speed_is_the_volume_traded_in_the_last_five_market_minutes_per_minute() -> None:
    data = emitted(
        MarketDataProcessor(),
        foreign(100_000, 50_000, clock="10:00:00"),  # first snapshot: when it was traded is unknown
        foreign(160_000, 50_000, clock="10:02:00"),  # +60,000 bought since 10:00 -> /5 min
        foreign(250_000, 80_000, clock="10:05:00"),  # window 10:00-10:05: +150,000 / +30,000
        foreign(250_000, 110_000, clock="10:06:00"),  # baseline still 10:00 (latest at/before 10:01)
        foreign(260_000, 110_000, clock="10:08:00"),  # baseline now 10:02 (160,000 / 50,000)
    )
    assert speeds(data) == [
        (Decimal("0.00"), Decimal("0.00")),
        (Decimal("12000.00"), Decimal("0.00")),
        (Decimal("30000.00"), Decimal("6000.00")),
        (Decimal("30000.00"), Decimal("12000.00")),
        (Decimal("20000.00"), Decimal("12000.00")),
    ]
    last = data[-1]
    assert (last.buy_volume, last.sell_volume, last.net_volume) == (260_000, 110_000, 150_000)
    assert last.net_value == Decimal(150_000 * 30_000)
    assert last.room_left == 806_887_173
    assert last.timestamp == at("10:08:00")


def test_window_is_configurable_and_measured_by_message_time_not_wall_clock() -> None:
    # Twenty minutes of market time replayed in an instant: the speeds are the market's.
    data = emitted(
        MarketDataProcessor(foreign_window_s=60),
        foreign(0, 0, clock="10:00:00"),
        foreign(3_000, 0, clock="10:00:30"),
        foreign(9_000, 1_000, clock="10:01:00"),
        foreign(9_500, 1_000, clock="10:20:00"),
    )
    assert speeds(data) == [
        (Decimal("0.00"), Decimal("0.00")),
        (Decimal("3000.00"), Decimal("0.00")),
        (Decimal("9000.00"), Decimal("1000.00")),
        (Decimal("500.00"), Decimal("0.00")),  # baseline = the 10:01 snapshot
    ]


def test_unchanged_snapshots_are_not_re_emitted() -> None:
    processor = MarketDataProcessor()
    data = emitted(
        processor,
        foreign(100_000, 50_000, clock="10:00:00"),
        foreign(100_000, 50_000, clock="10:00:03"),
        foreign(100_000, 50_000, clock="10:00:09"),
        foreign(100_000, 50_000, clock="10:00:10", room=806_000_000),  # the room moved: news
    )
    assert [d.timestamp for d in data] == [at("10:00:00"), at("10:00:10")]
    assert data[-1].room_left == 806_000_000
    assert processor.counters.foreign_snapshots == 2
    assert processor.counters.foreign_unchanged == 2


def test_counters_going_down_within_a_day_are_ignored_and_counted() -> None:
    processor = MarketDataProcessor()
    data = emitted(
        processor,
        foreign(100_000, 50_000, clock="10:00:00"),
        foreign(120_000, 50_000, clock="10:01:00"),
        foreign(110_000, 50_000, clock="10:00:30"),  # a late copy of an older snapshot
        foreign(120_000, 40_000, clock="10:01:30"),  # sell counter went backwards
        foreign(130_000, 55_000, clock="10:02:00"),
    )
    assert [d.buy_volume for d in data] == [100_000, 120_000, 130_000]
    assert processor.counters.out_of_order == 2
    assert processor.stats.symbol("SSI").foreign_net_volume == 75_000


def test_each_symbol_has_its_own_flow() -> None:
    data = emitted(
        MarketDataProcessor(),
        foreign(100_000, 0, symbol="SSI", clock="10:00:00"),
        foreign(5_000, 0, symbol="VNM", clock="10:00:00"),
        foreign(150_000, 0, symbol="SSI", clock="10:01:00"),
        foreign(5_500, 0, symbol="VNM", clock="10:01:00"),
    )
    by_symbol = {d.symbol: d.buy_speed_per_min for d in data}
    assert by_symbol == {"SSI": Decimal("10000.00"), "VNM": Decimal("100.00")}


def test_live_stats_show_foreign_net_and_speeds() -> None:
    processor = MarketDataProcessor()
    emitted(processor, foreign(100_000, 50_000, clock="10:00:00"), foreign(160_000, 55_000, clock="10:02:00"))
    row = processor.stats.symbol("SSI")
    assert row is not None
    assert (row.foreign_buy_volume, row.foreign_sell_volume, row.foreign_net_volume) == (160_000, 55_000, 105_000)
    assert (row.foreign_buy_speed_per_min, row.foreign_sell_speed_per_min) == (Decimal("12000.00"), Decimal("1000.00"))
    assert row.foreign_room_left == 806_887_173
    assert processor.stats.trading_date == DAY
