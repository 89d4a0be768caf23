"""User price alerts: once per crossing, re-armed when the condition stops holding."""

from __future__ import annotations

from decimal import Decimal

import pytest

from desktop_app.domain import Alert, AlertType, PriceAlertRule, PriceRuleKind, TradingSession
from desktop_app.processing.price_alerts import PriceAlertEvaluator, validate_rule
from desktop_app.processing.processor import MarketDataProcessor
from tests.processing.events import Tape


def rule(kind: PriceRuleKind, threshold: str, *, rule_id: int = 1, symbol: str = "FPT") -> PriceAlertRule:
    return PriceAlertRule(id=rule_id, symbol=symbol, kind=kind, threshold=Decimal(threshold))


def fired_types(evaluator: PriceAlertEvaluator, tape: Tape, prices: list[str]) -> list[str | None]:
    """For each print, the alert type that fired (None when nothing did)."""
    out: list[str | None] = []
    for i, price in enumerate(prices):
        alerts = evaluator.on_trade(tape.trade(price, clock=f"10:00:{i:02d}"))
        out.append(alerts[0].alert_type if alerts else None)
    return out


def test_price_above_fires_once_per_crossing_and_rearms_below_the_level() -> None:
    evaluator = PriceAlertEvaluator([rule(PriceRuleKind.PRICE_ABOVE, "101000")])
    fired = fired_types(evaluator, Tape(), ["100000", "101000", "101500", "100900", "101200", "101300"])
    assert fired == [None, "price_above", None, None, "price_above", None]


def test_price_below_fires_at_the_level_and_rearms_above_it() -> None:
    evaluator = PriceAlertEvaluator([rule(PriceRuleKind.PRICE_BELOW, "99000")])
    fired = fired_types(evaluator, Tape(), ["99500", "99000", "98000", "99100", "98900"])
    assert fired == [None, "price_below", None, None, "price_below"]


def test_signed_percent_change_from_the_reference() -> None:
    down = PriceAlertEvaluator([rule(PriceRuleKind.CHANGE_PCT, "-3")])
    assert fired_types(down, Tape(), ["98000", "97000", "96000", "97500", "96900"]) == [
        None, "price_change", None, None, "price_change"]
    up = PriceAlertEvaluator([rule(PriceRuleKind.CHANGE_PCT, "2")])
    assert fired_types(up, Tape(), ["97000", "102000"]) == [None, "price_change"]
    message = up.on_trade(Tape().trade("95000"))
    assert message == []


def test_volume_spike_against_the_days_average_minute_once_per_minute() -> None:
    evaluator = PriceAlertEvaluator([rule(PriceRuleKind.VOLUME_SPIKE, "3")])
    tape = Tape()
    for minute in range(3):  # three quiet minutes of 1,000 shares
        assert evaluator.on_trade(tape.trade("100000", 1_000, clock=f"10:0{minute}:10")) == []
    assert evaluator.on_trade(tape.trade("100000", 2_000, clock="10:03:05")) == []
    spike = evaluator.on_trade(tape.trade("100000", 1_500, clock="10:03:20"))  # 3,500 >= 3 x 1,000
    assert [a.alert_type for a in spike] == ["volume_spike"]
    assert "3,500 shares in the 10:03 minute" in spike[0].message
    assert evaluator.on_trade(tape.trade("100000", 5_000, clock="10:03:40")) == []  # same minute
    # next minute: the average now includes the 8,500-share minute (11,500 / 4 = 2,875)
    assert evaluator.on_trade(tape.trade("100000", 8_000, clock="10:04:01")) == []
    assert [a.alert_type for a in evaluator.on_trade(tape.trade("100000", 700, clock="10:04:30"))] == ["volume_spike"]


def test_big_print_fires_for_every_print_worth_the_value_but_not_put_through() -> None:
    evaluator = PriceAlertEvaluator([rule(PriceRuleKind.BIG_PRINT, "5000000000")])
    tape = Tape()
    assert [a.alert_type for a in evaluator.on_trade(tape.trade("100000", 50_000))] == ["big_print"]
    assert [a.alert_type for a in evaluator.on_trade(tape.trade("100000", 60_000))] == ["big_print"]
    assert evaluator.on_trade(tape.trade("100000", 49_000)) == []
    assert evaluator.on_trade(tape.trade("100000", 90_000, session=TradingSession.PUT_THROUGH)) == []


def test_editing_rules_keeps_the_arm_state_of_unchanged_ones_and_a_new_day_rearms() -> None:
    above = rule(PriceRuleKind.PRICE_ABOVE, "101000")
    evaluator = PriceAlertEvaluator([above])
    tape = Tape()
    assert evaluator.on_trade(tape.trade("102000"))
    evaluator.set_rules([above, rule(PriceRuleKind.PRICE_BELOW, "90000", rule_id=2)])
    assert evaluator.on_trade(tape.trade("102500")) == []  # still above: no repeat after the edit
    evaluator.reset()
    assert [a.alert_type for a in evaluator.on_trade(tape.trade("102600"))] == ["price_above"]


def test_disabled_rules_and_other_symbols_are_ignored() -> None:
    off = PriceAlertRule(id=1, symbol="FPT", kind=PriceRuleKind.PRICE_ABOVE, threshold=Decimal(1), enabled=False)
    evaluator = PriceAlertEvaluator([off, rule(PriceRuleKind.PRICE_ABOVE, "1", rule_id=2, symbol="VNM")])
    assert evaluator.on_trade(Tape().trade("100000")) == []


@pytest.mark.parametrize("kind, threshold", [
    (PriceRuleKind.CHANGE_PCT, "0"), (PriceRuleKind.CHANGE_PCT, "150"), (PriceRuleKind.PRICE_ABOVE, "-1"),
    (PriceRuleKind.VOLUME_SPIKE, "0"),
])
def test_rules_that_cannot_make_sense_are_refused(kind: PriceRuleKind, threshold: str) -> None:
    with pytest.raises(ValueError):
        validate_rule(kind, Decimal(threshold))


def test_the_processor_emits_user_alerts_to_its_subscribers_and_counts_them() -> None:
    processor = MarketDataProcessor()
    processor.price_alerts.set_rules([rule(PriceRuleKind.PRICE_ABOVE, "101000")])
    seen: list[Alert] = []
    processor.subscribe(lambda v: seen.append(v) if isinstance(v, Alert) else None)
    tape = Tape()
    for price in ("100000", "101000", "101500"):
        processor.process(tape.trade(price))
    assert [a.alert_type for a in seen] == [AlertType.PRICE_ABOVE.value]
    assert "FPT at 101,000 ≥ 101,000" in seen[0].message
    assert processor.counters.alerts == 1
