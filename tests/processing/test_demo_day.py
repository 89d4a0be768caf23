"""Parser + processor over real envelope texts: the SSI samples, and a whole simulated demo day."""

from __future__ import annotations

import json
from collections import Counter
from decimal import Decimal

import orjson
import pytest

from desktop_app.bench.processing import demo_day_envelopes, measure
from desktop_app.domain import Alert, AlertType, ClassifiedTrade, TradeType
from desktop_app.feeds.messages import parse_envelope
from desktop_app.processing.price_alerts import USER_RULE_ALERT_TYPES
from desktop_app.processing.processor import MarketDataProcessor


def envelope(data_type: str, content: dict) -> str:
    return orjson.dumps({"DataType": data_type, "Content": orjson.dumps(content).decode()}).decode()


# The published samples of docs/market-data.md, with the quote before the print added.
SSI_QUOTE = envelope(
    "X-QUOTE",
    {"RType": "X-QUOTE", "TradingDate": "14/08/2023", "Time": "14:07:52", "Exchange": "HOSE", "Symbol": "ACB",
     "BidPrice1": 22950.0, "BidVol1": 5000.0, "BidPrice2": 22900.0, "BidVol2": 8000.0, "BidPrice3": 22850.0,
     "BidVol3": 9000.0, "AskPrice1": 23000.0, "AskVol1": 4000.0, "AskPrice2": 23050.0, "AskVol2": 7000.0,
     "AskPrice3": 23100.0, "AskVol3": 1000.0, "TradingSession": "LO"},
)  # fmt: skip
SSI_TRADE = envelope(
    "X-TRADE",
    {"RType": "X-TRADE", "TradingDate": "14/08/2023", "Time": "14:07:53", "Isin": "ACB", "Symbol": "ACB",
     "Ceiling": 24500.0, "Floor": 21300.0, "RefPrice": 22900.0, "AvgPrice": 22927.93, "PriorVal": 22900.0,
     "LastPrice": 22950.0, "LastVol": 100.0, "TotalVal": 201713015000.0, "TotalVol": 8797700.0, "MarketId": "HOSE",
     "Exchange": "HOSE", "TradingSession": "LO", "TradingStatus": "N", "Change": 50.0, "RatioChange": 0.22,
     "EstMatchedPrice": 22900.0, "Highest": 23050, "Lowest": 22800},
)  # fmt: skip
SSI_ROOM = envelope(
    "R",
    {"RType": "R", "TradingDate": "14/08/2023", "Time": "14:24:02", "Isin": "SSI", "Symbol": "SSI",
     "TotalRoom": 1501130137.0, "CurrentRoom": 806887173.0, "BuyVol": 863352.0, "SellVol": 825308.0,
     "BuyVal": 25123543200.0, "SellVal": 24016462800.0, "MarketId": "HOSE", "Exchange": "HOSE"},
)  # fmt: skip


def test_the_published_ssi_samples_flow_through_parser_and_processor() -> None:
    processor = MarketDataProcessor()
    out: list = []
    processor.subscribe(out.append)
    for raw in (SSI_QUOTE, SSI_TRADE, SSI_TRADE, SSI_ROOM):  # the print arrives twice
        for event in parse_envelope(raw):
            processor.process(event)
    trade, room = out
    assert isinstance(trade, ClassifiedTrade)
    # No Side on this print: at the best bid before it -> active sell.
    assert (trade.trade_type, trade.bid_price, trade.ask_price) == (TradeType.SELL, Decimal("22950"), Decimal("23000"))
    assert trade.value == Decimal("2295000")
    assert (room.symbol, room.net_volume, room.room_left) == ("SSI", 38_044, 806_887_173)
    assert processor.counters.duplicates == 1
    row = processor.stats.symbol("ACB")
    assert (row.high, row.low, row.total_volume) == (Decimal("23050"), Decimal("22800"), 8_797_700)


def test_measure_reports_the_bench_keys_and_what_the_processor_made() -> None:
    result = measure([SSI_QUOTE, SSI_TRADE, SSI_ROOM, "not json"], passes=1)
    assert {"envelopes", "envelopes_per_s", "envelopes_per_s_single", "parse_only_per_s",
            "baseline_json_loads_per_s"} <= result.keys()
    assert result["envelopes"] == 4 and result["rejected"] == 1
    assert result["outputs"] == {"ClassifiedTrade": 1, "ForeignInvestorData": 1}
    json.dumps(result)  # printable as the one JSON object of `bench --json`


@pytest.fixture(scope="module")
def demo_day() -> tuple[MarketDataProcessor, Counter, Counter]:
    processor = MarketDataProcessor()
    alerts: Counter[str] = Counter()
    types: Counter[TradeType] = Counter()

    def watch(value) -> None:
        if isinstance(value, Alert):
            alerts[value.alert_type] += 1
        elif isinstance(value, ClassifiedTrade):
            types[value.trade_type] += 1

    processor.subscribe(watch)
    for raw in demo_day_envelopes():
        for event in parse_envelope(raw):
            processor.process(event)
    return processor, alerts, types


@pytest.mark.slow
def test_every_alert_rule_fires_on_a_demo_day(demo_day) -> None:
    """All but basis_extreme: the demo's basis stays within a few points, as a real day's does."""
    _, alerts, _ = demo_day
    user_rules = {t.value for t in USER_RULE_ALERT_TYPES.values()}  # fire only on the user's own rules
    assert set(alerts) == {t.value for t in AlertType} - {AlertType.BASIS_EXTREME.value} - user_rules
    assert alerts[AlertType.BASIS_FLIP.value] <= 4 and alerts[AlertType.ACTIVE_IMBALANCE.value] <= 30


@pytest.mark.slow
def test_a_demo_day_has_every_trade_type_but_neutral_and_a_consistent_summary(demo_day) -> None:
    processor, alerts, types = demo_day
    # The demo prints carry SSI's Side, so nothing is left unclassified.
    assert set(types) == {TradeType.BUY, TradeType.SELL, TradeType.ATO, TradeType.ATC, TradeType.PUT_THROUGH}
    counters = processor.counters
    assert counters.trades == sum(types.values())
    assert counters.alerts == sum(alerts.values())
    assert counters.duplicates == counters.out_of_order == counters.subscriber_errors == 0
    market = processor.stats.market()
    assert market.futures_symbol == processor.front_month is not None
    assert market.basis == market.futures_price - market.vn30_value
    rows = processor.stats.symbols()
    assert len([r for r in rows.values() if r.exchange == "HOSE"]) == 30
    assert all(r.buy_volume + r.sell_volume + r.auction_volume + r.put_through_volume == r.total_volume
               for r in rows.values() if r.exchange == "HOSE")  # fmt: skip
