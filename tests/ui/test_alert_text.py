"""Alert messages in the UI's language: every rule's template is recognised and rendered in
Vietnamese with the translator installed, and shown exactly as stored without it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from desktop_app.domain import Alert, PriceAlertRule, PriceRuleKind, Side
from desktop_app.processing.price_alerts import PriceAlertEvaluator
from desktop_app.processing.processor import MarketDataProcessor
from desktop_app.ui.alert_text import localized_message
from tests.processing.events import Tape, foreign, futures_trade, vn30


def _fire(*events) -> list[Alert]:  # type: ignore[no-untyped-def]
    processor = MarketDataProcessor()
    out: list = []
    processor.subscribe(out.append)
    processor.process_all(events)
    return [v for v in out if isinstance(v, Alert)]


def _market_alerts() -> list[Alert]:
    """One alert of every built-in rule's every template, fired by the real rules."""
    limit = Tape(ref="100000", ceiling="107000", floor="93000")
    block = Tape("HPG", ref="100000", ceiling=None, floor=None)
    flow = Tape("VNM", ceiling=None, floor=None)
    return (
        _fire(limit.trade(107_000, clock="10:42:05"), limit.trade(93_000, clock="13:05:09"))
        + _fire(block.trade(100_000, 100_000, clock="10:00:01", side=Side.BUY),
                block.trade(100_000, 150_000, clock="10:05:01", side=Side.SELL))
        + _fire(foreign(1_000_000, 200_000, clock="10:00:00"), foreign(1_500_000, 200_000, clock="10:04:30"))
        + _fire(foreign(0, 0, clock="10:00:00"), foreign(100_000, 700_000, clock="10:03:00"))
        + _fire(vn30("1280.0", clock="10:00:00"),
                futures_trade("VN30F2604", "1282.0", clock="10:00:01", total_volume=1),
                futures_trade("VN30F2604", "1278.5", clock="10:00:02", total_volume=2),
                futures_trade("VN30F2604", "1295.0", clock="10:06:02", total_volume=3))
        + _fire(flow.trade(100_000, 150_000, clock="10:00:00", side=Side.BUY),
                flow.trade(100_000, 50_000, clock="10:00:30", side=Side.BUY))
        + _fire(flow.trade(100_000, 250_000, clock="11:00:00", side=Side.SELL))
    )


def _price_alerts() -> list[Alert]:
    """One alert of every kind of user rule, fired by the real evaluator."""
    def rule(kind: PriceRuleKind, threshold: str, rule_id: int) -> PriceAlertRule:
        return PriceAlertRule(id=rule_id, symbol="FPT", kind=kind, threshold=Decimal(threshold))

    evaluator = PriceAlertEvaluator([
        rule(PriceRuleKind.PRICE_ABOVE, "101000", 1), rule(PriceRuleKind.PRICE_BELOW, "99000", 2),
        rule(PriceRuleKind.CHANGE_PCT, "-3", 3), rule(PriceRuleKind.BIG_PRINT, "50000000000", 4),
        rule(PriceRuleKind.VOLUME_SPIKE, "3", 5),
    ])
    tape = Tape(ceiling=None, floor=None)
    out: list[Alert] = []
    for price, volume, clock in [("100000", 1_000, "10:00:10"), ("100000", 1_000, "10:01:10"),
                                 ("100000", 1_000, "10:02:10"), ("101000", 4_000, "10:03:10"),
                                 ("96000", 1_000, "10:04:10"), ("100000", 600_000, "10:05:10")]:
        out += evaluator.on_trade(tape.trade(price, volume, clock=clock))
    return out


def test_every_alert_template_is_rendered_in_vietnamese(vietnamese) -> None:  # type: ignore[no-untyped-def]
    alerts = _market_alerts() + _price_alerts()
    types = {a.alert_type for a in alerts}
    assert types == {"ceiling_hit", "floor_hit", "block_trade", "foreign_surge", "basis_flip", "basis_extreme",
                     "active_imbalance", "price_above", "price_below", "price_change", "big_print", "volume_spike"}
    english_words = ("hit ", "shares", "block trade", "foreign", "basis", "points", "futures", "active",
                     "your alert", "from the reference", "spike", "print of", " min ", "premium", "discount")
    for alert in alerts:
        shown = localized_message(alert.alert_type, alert.message)
        assert shown != alert.message, alert.message
        assert not [w for w in english_words if w in shown], (alert.message, shown)
    by_message = {a.message: localized_message(a.alert_type, a.message) for a in alerts}
    assert by_message["hit ceiling 107.00 (+7.00%)"] == "chạm trần 107.00 (+7.00%)"
    assert by_message["foreign net sold 600,000 shares in the 5 min to 10:03:00"] == (
        "khối ngoại bán ròng 600,000 cp trong 5 phút đến 10:03:00")
    assert by_message["block trade 100,000 shares at 100.00 = 10.00 bn VND (active buy)"] == (
        "giao dịch lớn 100,000 cp giá 100.00 = 10.00 tỷ đồng (mua chủ động)")
    assert by_message["basis flipped to discount -1.50 points (futures 1,278.50 vs VN30 1,280.00)"] == (
        "cơ sở đảo chiều sang chênh âm -1.50 điểm (phái sinh 1,278.50 so với VN30 1,280.00)")
    assert localized_message("active_imbalance", "active selling 81% of 231,500 classified shares in the 5 min"
                             " to 10:28:56") == "bán chủ động 81% trên 231,500 cp đã phân loại trong 5 phút đến 10:28:56"


def test_in_english_the_stored_text_is_shown_and_an_unknown_text_is_kept(qapp) -> None:  # type: ignore[no-untyped-def]
    for alert in _market_alerts() + _price_alerts():
        assert localized_message(alert.alert_type, alert.message) == alert.message
    assert localized_message("custom", "a user's own rule said hello") == "a user's own rule said hello"


def test_an_unknown_text_stays_english_in_vietnamese_too(vietnamese) -> None:  # type: ignore[no-untyped-def]
    assert localized_message("custom", "a user's own rule said hello") == "a user's own rule said hello"


def test_the_live_list_shows_the_message_in_vietnamese(qapp, vietnamese) -> None:  # type: ignore[no-untyped-def]
    from desktop_app.ui.alerts_view import LiveAlertsModel

    model = LiveAlertsModel()
    (ceiling,) = [a for a in _market_alerts() if a.alert_type == "ceiling_hit"]
    model.add([ceiling])
    shown = model.data(model.index(0))
    assert shown.endswith("FPT       chạm trần 107.00 (+7.00%)"), shown
    assert ceiling.message == "hit ceiling 107.00 (+7.00%)"  # what is stored and pushed
