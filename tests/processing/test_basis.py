"""Basis: contract codes, front-month selection and roll, emission, sign flips."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from desktop_app.domain import BasisPoint, TradingSession
from desktop_app.market_rules import third_thursday
from desktop_app.processing.basis import FrontMonthSelector, parse_vn30_futures
from desktop_app.processing.processor import MarketDataProcessor

from .events import DAY, at, futures_trade, vn30


@pytest.mark.parametrize(
    ("code", "year", "month", "expiry"),
    [
        ("VN30F2412", 2024, 12, date(2024, 12, 19)),
        ("VN30F2604", 2026, 4, date(2026, 4, 16)),
        ("41I1G4000", 2026, 4, date(2026, 4, 16)),  # the example SSI documents
        ("41I1F4000", 2025, 4, date(2025, 4, 17)),  # VPS: VN30F2504 -> 41I1F4000
        ("41I1GA000", 2026, 10, date(2026, 10, 15)),
        ("41I1GC000", 2026, 12, date(2026, 12, 17)),
        ("41I1H3000", 2027, 3, date(2027, 3, 18)),  # next char of the KRX year alphabet
    ],
)
def test_both_code_styles_decode_to_a_contract_month_expiring_on_the_third_thursday(code, year, month, expiry) -> None:
    contract = parse_vn30_futures(code, DAY)
    assert contract is not None
    assert (contract.year, contract.month, contract.expiry) == (year, month, expiry)
    assert contract.expiry.weekday() == 3


@pytest.mark.parametrize("code", ["VN30F1M", "VN30F2M", "FPT", "VN100F2604", "41I2G4000", "41B5G4000", "VN30F2613"])
def test_aliases_other_products_and_stocks_are_not_dated_vn30_contracts(code) -> None:
    assert parse_vn30_futures(code, DAY) is None


def test_an_unknown_krx_year_char_is_read_as_the_next_occurrence_of_the_month() -> None:
    # 'Z' is outside the documented alphabet: May on 8 April 2026 -> May 2026; March -> March 2027.
    assert (parse_vn30_futures("41I1Z5000", DAY).year, parse_vn30_futures("41I1Z3000", DAY).year) == (2026, 2027)


def test_third_thursday() -> None:
    assert [third_thursday(2026, m).day for m in (1, 2, 3, 4, 5, 6)] == [15, 19, 19, 16, 21, 18]


def test_front_month_is_the_nearest_unexpired_contract_and_rolls_after_expiry() -> None:
    selector = FrontMonthSelector()
    for code in ("VN30F2606", "41I1G5000", "41I1G4000", "VN30F2603"):  # March 2026 already expired
        assert selector.observe(code, DAY)
    assert selector.front(DAY) == "41I1G4000"
    assert selector.front(date(2026, 4, 16)) == "41I1G4000"  # expiry day: still trading
    assert selector.front(date(2026, 4, 17)) == "41I1G5000"  # rolled
    assert selector.front(date(2026, 5, 22)) == "VN30F2606"
    assert selector.front(date(2026, 6, 19)) is None  # everything seen has expired


def test_front_month_mixes_code_styles() -> None:
    selector = FrontMonthSelector()
    selector.observe("41I1G6000", DAY)
    selector.observe("VN30F2605", DAY)
    assert selector.front(DAY) == "VN30F2605"


def collect(processor: MarketDataProcessor, *events) -> list[BasisPoint]:
    out: list = []
    processor.subscribe(out.append)
    processor.process_all(events)
    return [v for v in out if isinstance(v, BasisPoint)]


def test_basis_is_front_month_minus_vn30_whenever_either_moves_and_both_are_known() -> None:
    processor = MarketDataProcessor()
    points = collect(
        processor,
        futures_trade("41I1G4000", "1290.5", clock="09:00:05", total_volume=1),  # no index yet
        vn30("1280.2", clock="09:15:00"),
        vn30("1280.2", clock="09:15:03"),  # index did not move: no new point
        futures_trade("41I1G4000", "1290.5", clock="09:15:04", total_volume=2),  # nor did the futures
        futures_trade("41I1G4000", "1279.0", clock="09:15:05", total_volume=3),
        futures_trade("41I1G5000", "1300.0", clock="09:15:06", total_volume=1),  # second month
        vn30("1281.0", clock="09:15:08"),
    )
    assert [(p.futures_symbol, p.futures_price, p.spot_value, p.basis, p.timestamp) for p in points] == [
        ("41I1G4000", Decimal("1290.5"), Decimal("1280.2"), Decimal("10.3"), at("09:15:00")),
        ("41I1G4000", Decimal("1279.0"), Decimal("1280.2"), Decimal("-1.2"), at("09:15:05")),
        ("41I1G4000", Decimal("1279.0"), Decimal("1281.0"), Decimal("-2.0"), at("09:15:08")),
    ]
    market = processor.stats.market()
    assert (market.futures_symbol, market.futures_price, market.basis) == ("41I1G4000", Decimal("1279.0"), Decimal("-2.0"))
    assert (market.vn30_value, market.vn30_change) == (Decimal("1281.0"), Decimal("31.0"))
    assert processor.counters.basis_points == 3


def test_a_nearer_contract_appearing_takes_over_as_front_month() -> None:
    points = collect(
        MarketDataProcessor(),
        vn30("1280.0"),
        futures_trade("VN30F2605", "1295.0", clock="10:00:01"),
        futures_trade("VN30F2604", "1285.0", clock="10:00:02"),
    )
    assert [(p.futures_symbol, p.basis) for p in points] == [("VN30F2605", Decimal("15.0")), ("VN30F2604", Decimal("5.0"))]


def test_rolling_alias_vn30f1m_is_the_dated_front_month_under_another_name() -> None:
    points = collect(
        MarketDataProcessor(),
        vn30("1280.0"),
        futures_trade("VN30F2604", "1285.0", clock="10:00:01"),
        futures_trade("VN30F1M", "1286.0", clock="10:00:02"),  # the same contract: its latest print
        futures_trade("VN30F2604", "1287.0", clock="10:00:03", total_volume=2),  # the dated code again
        futures_trade("VN30F2M", "1299.0", clock="10:00:04"),  # the second month: not the front
    )
    assert [(p.futures_symbol, p.basis) for p in points] == [
        ("VN30F2604", Decimal("5.0")),
        ("VN30F2604", Decimal("6.0")),
        ("VN30F2604", Decimal("7.0")),
    ]


def test_a_rarely_printing_alias_does_not_freeze_the_basis_beside_a_busy_dated_contract() -> None:
    """KRX code prints every few seconds; VN30F1M printed once, early: the basis keeps moving and
    a real crossing of the dead band still fires basis_flip."""
    events = [vn30("1280.0", clock="10:00:00"), futures_trade("VN30F1M", "1283.0", clock="10:00:01")]
    for i, price in enumerate(["1282.0", "1281.0", "1280.6", "1279.9", "1279.4", "1279.0", "1278.2"]):
        events.append(futures_trade("41I1G4000", price, clock=f"10:0{1 + i}:30", total_volume=i + 1))
    processor = MarketDataProcessor()
    out: list = []
    processor.subscribe(out.append)
    processor.process_all(events)
    points = [v for v in out if isinstance(v, BasisPoint)]
    assert [str(p.basis) for p in points] == ["3.0", "2.0", "1.0", "0.6", "-0.1", "-0.6", "-1.0", "-1.8"]
    assert {p.futures_symbol for p in points[1:]} == {"41I1G4000"}
    assert processor.stats.market().basis == Decimal("-1.8")
    flips = [a for a in out if getattr(a, "alert_type", None) == "basis_flip"]
    assert [f.timestamp for f in flips] == [at("10:05:30")]  # from >= +0.5 to <= -0.5


def test_the_alias_alone_is_the_front_month_until_a_dated_code_appears() -> None:
    points = collect(
        MarketDataProcessor(),
        vn30("1280.0"),
        futures_trade("VN30F1M", "1284.0", clock="10:00:01"),
        futures_trade("VN30F2604", "1284.5", clock="10:00:02"),
    )
    assert [(p.futures_symbol, p.basis) for p in points] == [("VN30F1M", Decimal("4.0")), ("VN30F2604", Decimal("4.5"))]


def test_a_late_alias_print_does_not_replace_a_newer_dated_print() -> None:
    points = collect(
        MarketDataProcessor(),
        vn30("1280.0", clock="10:00:00"),
        futures_trade("VN30F2604", "1285.0", clock="10:00:05"),
        futures_trade("VN30F1M", "1290.0", clock="10:00:03"),  # older market time
    )
    assert [p.basis for p in points] == [Decimal("5.0")]


def test_configured_futures_symbol_overrides_the_choice() -> None:
    points = collect(
        MarketDataProcessor(futures_symbol="VN30F2606"),
        vn30("1280.0"),
        futures_trade("VN30F2604", "1285.0", clock="10:00:01"),
        futures_trade("VN30F2606", "1270.5", clock="10:00:02"),
    )
    assert [(p.futures_symbol, p.basis) for p in points] == [("VN30F2606", Decimal("-9.5"))]


def test_put_through_futures_prints_do_not_move_the_basis() -> None:
    points = collect(
        MarketDataProcessor(),
        vn30("1280.0"),
        futures_trade("VN30F2604", "1285.0", clock="10:00:01"),
        futures_trade("VN30F2604", "1200.0", clock="10:00:02", total_volume=2, session=TradingSession.PUT_THROUGH),
    )
    assert [p.basis for p in points] == [Decimal("5.0")]


def test_other_indexes_do_not_count_as_spot() -> None:
    other = vn30("1500.0")
    other = type(other)(**{**{f: getattr(other, f) for f in other.__slots__}, "index_id": "VNINDEX"})
    processor = MarketDataProcessor()
    points = collect(processor, other, futures_trade("VN30F2604", "1285.0", clock="10:00:01"))
    assert points == []
    assert processor.counters.index_values == 1
