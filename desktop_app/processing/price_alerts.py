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
    minute: datetime | None = None
    volume: int = 0
    earlier_volume: int = 0
    earlier_minutes: int = 0

    def add(self, moment: datetime, volume: int) -> bool:
        """Add a print; True when it opened a new minute."""
        minute = moment.replace(second=0, microsecond=0)
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
            kept = previous is not None and rule in previous.rules
            entry.armed[rule.id] = previous.armed.get(rule.id, True) if kept else True
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
        for rule in entry.rules:
            kind = rule.kind
            if kind is PriceRuleKind.BIG_PRINT:
                value = trade.price * trade.volume
                if value >= rule.threshold:
                    fired.append(self._alert(trade, AlertType.BIG_PRINT,
                                             f"{trade.symbol} print of {trade.volume:,} @ {_plain(trade.price)} "
                                             f"= {_plain(value)} VND ≥ {_plain(rule.threshold)} (your alert)"))
                continue
            if kind is PriceRuleKind.VOLUME_SPIKE:
                if new_minute:
                    entry.armed[rule.id] = True
                message = self._volume_spike(trade, rule, entry.minutes)  # type: ignore[arg-type]
            else:
                holds, message = self._condition(trade, rule)
                if not holds:
                    entry.armed[rule.id] = True
                    continue
            if message is not None and entry.armed[rule.id]:
                entry.armed[rule.id] = False
                fired.append(self._alert(trade, USER_RULE_ALERT_TYPES[kind], message))
        return fired

    # ------------------------------------------------------------------ rule conditions
    @staticmethod
    def _condition(trade: Trade, rule: PriceAlertRule) -> tuple[bool, str]:
        price, level, symbol = trade.price, rule.threshold, trade.symbol
        if rule.kind is PriceRuleKind.PRICE_ABOVE:
            return price >= level, f"{symbol} at {_plain(price)} ≥ {_plain(level)} (your alert)"
        if rule.kind is PriceRuleKind.PRICE_BELOW:
            return price <= level, f"{symbol} at {_plain(price)} ≤ {_plain(level)} (your alert)"
        ref = trade.ref_price
        if not ref:
            return False, ""
        change = (price - ref) / ref * _HUNDRED
        holds = change >= level if level > 0 else change <= level
        return holds, (f"{symbol} at {_plain(price)}: {change:+.2f} % from the reference {_plain(ref)} "
                       f"(your alert: {_plain(level)} %)")

    @staticmethod
    def _volume_spike(trade: Trade, rule: PriceAlertRule, minutes: _MinuteVolume) -> str | None:
        average = minutes.average()
        if average is None or average <= 0 or minutes.volume < rule.threshold * average:
            return None
        ratio = Decimal(minutes.volume) / average
        clock = minutes.minute.strftime("%H:%M") if minutes.minute else ""
        return (f"{trade.symbol} volume spike: {minutes.volume:,} shares in the {clock} minute, "
                f"{ratio:.1f}x the day's average minute (your alert: {_plain(rule.threshold)}x)")

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
