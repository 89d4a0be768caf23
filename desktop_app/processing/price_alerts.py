"""The user's own price alerts, evaluated print by print (pure: no I/O, no clock but the market's).

Each rule fires once per crossing and re-arms when its condition stops holding:

* ``price_above`` / ``price_below``: a print at or above / at or below the level; re-armed by a
  print back on the other side.
* ``change_pct``: the change from the reference price reaches the signed threshold (+2 = up 2 %
  or more, -3 = down 3 % or more); re-armed when the change is back inside it.
* ``volume_spike``: the running volume of the current minute reaches k x the day's average
  minute so far (the average over the earlier minutes with prints, once there are at least
  ``MIN_MINUTES_FOR_AVERAGE`` of them); fires at most once per minute.
* ``big_print``: one print worth at least the value (price x volume); every such print fires.

Put-through prints (negotiated off the order book) are ignored by every rule. A new trading day
(``reset``) re-arms everything and restarts the minute averages. The alerts go out through the
processor's subscribers like every other alert: stored in ``alerts``, reviewed, pushed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Iterable

from desktop_app.domain import (
    Alert,
    AlertType,
    PriceAlertRule,
    PriceRuleKind,
    Severity,
    Trade,
    TradingSession,
)

MIN_MINUTES_FOR_AVERAGE = 3
_HUNDRED = Decimal(100)


def validate_rule(kind: PriceRuleKind, threshold: Decimal) -> None:
    """ValueError with a one-line reason when a rule cannot make sense."""
    if kind is PriceRuleKind.CHANGE_PCT:
        if threshold == 0 or abs(threshold) > 100:
            raise ValueError("a % change alert needs a threshold between -100 and 100, not 0")
    elif threshold <= 0:
        raise ValueError(f"a {kind.value.replace('_', ' ')} alert needs a positive threshold")


def _plain(value: Decimal) -> str:
    """1234.5000 -> '1,234.5'."""
    text = f"{value.normalize():,f}"
    return text


@dataclass(slots=True)
class _MinuteVolume:
    minute: int | None = None  # minute of the (Vietnam) day: the evaluator is reset every day
    volume: int = 0
    earlier_volume: int = 0
    earlier_minutes: int = 0

    def add(self, moment: datetime, volume: int) -> bool:
        """Add a print; True when it opened a new minute."""
        minute = moment.hour * 60 + moment.minute  # not datetime.replace: ~30x dearer per print
        opened = minute != self.minute
        if opened:
            if self.minute is not None and self.volume:
                self.earlier_volume += self.volume
                self.earlier_minutes += 1
            self.minute, self.volume = minute, 0
        self.volume += volume
        return opened

    def average(self) -> Decimal | None:
        if self.earlier_minutes < MIN_MINUTES_FOR_AVERAGE:
            return None
        return Decimal(self.earlier_volume) / self.earlier_minutes


@dataclass(slots=True)
class _SymbolRules:
    rules: list[PriceAlertRule]
    armed: dict[int, bool] = field(default_factory=dict)
    minutes: _MinuteVolume | None = None


class PriceAlertEvaluator:
    """Holds the enabled rules by symbol and their arm state; ``on_trade`` returns what fired."""

    def __init__(self, rules: Iterable[PriceAlertRule] = ()) -> None:
        self._by_symbol: dict[str, _SymbolRules] = {}
        self.set_rules(rules)

    @property
    def rules(self) -> tuple[PriceAlertRule, ...]:
        return tuple(rule for entry in self._by_symbol.values() for rule in entry.rules)

    def set_rules(self, rules: Iterable[PriceAlertRule]) -> None:
        """Replace the rule set; an unchanged rule keeps its arm state (no repeat after an edit)."""
        old = self._by_symbol
        fresh: dict[str, _SymbolRules] = {}
        for rule in rules:
            if not rule.enabled:
                continue
            entry = fresh.setdefault(rule.symbol, _SymbolRules([]))
            entry.rules.append(rule)
            previous = old.get(rule.symbol)
            if previous is not None and rule in previous.rules:  # kept: its arming state carries over
                entry.armed[rule.id] = previous.armed.get(rule.id, True)
            else:
                entry.armed[rule.id] = True
        for symbol, entry in fresh.items():
            if any(r.kind is PriceRuleKind.VOLUME_SPIKE for r in entry.rules):
                previous = old.get(symbol)
                entry.minutes = previous.minutes if previous and previous.minutes else _MinuteVolume()
        self._by_symbol = fresh

    def reset(self) -> None:
        """A new trading day: every rule armed, minute averages restarted."""
        for entry in self._by_symbol.values():
            entry.armed = dict.fromkeys(entry.armed, True)
            if entry.minutes is not None:
                entry.minutes = _MinuteVolume()

    def on_trade(self, trade: Trade) -> list[Alert]:
        entry = self._by_symbol.get(trade.symbol)
        if entry is None or trade.session is TradingSession.PUT_THROUGH:
            return []
        fired: list[Alert] = []
        new_minute = entry.minutes.add(trade.timestamp, trade.volume) if entry.minutes is not None else False
        armed = entry.armed
        for rule in entry.rules:
            kind = rule.kind
            if kind is PriceRuleKind.BIG_PRINT:
                if trade.price * trade.volume >= rule.threshold:
                    fired.append(self._alert(trade, AlertType.BIG_PRINT, self._message(trade, rule, entry)))
                continue
            if kind is PriceRuleKind.VOLUME_SPIKE:
                if new_minute:
                    armed[rule.id] = True
                holds = self._volume_spike(rule, entry.minutes)  # type: ignore[arg-type]
            else:
                holds = self._holds(trade, rule)
                if not holds:
                    armed[rule.id] = True
            if holds and armed[rule.id]:
                armed[rule.id] = False
                fired.append(self._alert(trade, USER_RULE_ALERT_TYPES[kind], self._message(trade, rule, entry)))
        return fired

    # ------------------------------------------------------------------ rule conditions
    @staticmethod
    def _holds(trade: Trade, rule: PriceAlertRule) -> bool:
        kind, price, level = rule.kind, trade.price, rule.threshold
        if kind is PriceRuleKind.PRICE_ABOVE:
            return price >= level
        if kind is PriceRuleKind.PRICE_BELOW:
            return price <= level
        ref = trade.ref_price
        if not ref:
            return False
        scaled = (price - ref) * _HUNDRED  # change % x ref, compared without a Decimal division
        return scaled >= level * ref if level > 0 else scaled <= level * ref

    @staticmethod
    def _volume_spike(rule: PriceAlertRule, minutes: _MinuteVolume) -> bool:
        average = minutes.average()
        return average is not None and average > 0 and minutes.volume >= rule.threshold * average

    @staticmethod
    def _message(trade: Trade, rule: PriceAlertRule, entry: _SymbolRules) -> str:
        """What the alert says (built only when it fires: formatting Decimals is not free)."""
        price, level, symbol, kind = trade.price, rule.threshold, trade.symbol, rule.kind
        if kind is PriceRuleKind.PRICE_ABOVE:
            return f"{symbol} at {_plain(price)} ≥ {_plain(level)} (your alert)"
        if kind is PriceRuleKind.PRICE_BELOW:
            return f"{symbol} at {_plain(price)} ≤ {_plain(level)} (your alert)"
        if kind is PriceRuleKind.CHANGE_PCT:
            ref = trade.ref_price or price
            change = (price - ref) / ref * _HUNDRED
            return (f"{symbol} at {_plain(price)}: {change:+.2f} % from the reference {_plain(ref)} "
                    f"(your alert: {_plain(level)} %)")
        if kind is PriceRuleKind.BIG_PRINT:
            return (f"{symbol} print of {trade.volume:,} @ {_plain(price)} = {_plain(price * trade.volume)} VND "
                    f"≥ {_plain(level)} (your alert)")
        minutes = entry.minutes
        assert minutes is not None
        average = minutes.average() or Decimal(1)
        clock = f"{minutes.minute // 60:02d}:{minutes.minute % 60:02d}" if minutes.minute is not None else ""
        return (f"{symbol} volume spike: {minutes.volume:,} shares in the {clock} minute, "
                f"{Decimal(minutes.volume) / average:.1f}x the day's average minute "
                f"(your alert: {_plain(level)}x)")

    @staticmethod
    def _alert(trade: Trade, alert_type: AlertType, message: str) -> Alert:
        return Alert(symbol=trade.symbol, alert_type=alert_type.value, message=message,
                     severity=Severity.WARNING, timestamp=trade.timestamp)


USER_RULE_ALERT_TYPES: dict[PriceRuleKind, AlertType] = {  # the alert each kind of user rule fires
    PriceRuleKind.PRICE_ABOVE: AlertType.PRICE_ABOVE,
    PriceRuleKind.PRICE_BELOW: AlertType.PRICE_BELOW,
    PriceRuleKind.CHANGE_PCT: AlertType.PRICE_CHANGE,
    PriceRuleKind.VOLUME_SPIKE: AlertType.VOLUME_SPIKE,
    PriceRuleKind.BIG_PRINT: AlertType.BIG_PRINT,
}
