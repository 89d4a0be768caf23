"""Alert rules (docs/ARCHITECTURE.md, "Alert rules") and the engine that applies their cooldown.

A rule is one small class implementing the hooks it cares about; each hook returns a candidate
Alert or None. The AlertEngine asks every rule, then lets a candidate through only if the same
(symbol, alert_type) has not fired within the cooldown, measured in *market* time so that a
replay at any speed fires the alerts the live day fired. An alert's timestamp is the market time
of the event that fired it; messages show Vietnam time whatever the computer's time zone.
"""

from __future__ import annotations

from abc import ABC
from collections import deque
from datetime import datetime
from decimal import Decimal
from typing import Sequence

from desktop_app.config import AlertThresholds
from desktop_app.domain import (
    VIETNAM_TZ,
    Alert,
    BasisPoint,
    ClassifiedTrade,
    Severity,
    Trade,
    TradeType,
    TradingSession,
)
from desktop_app.speedups import fast_constructor
from desktop_app.processing.foreign import ForeignFlowUpdate
from desktop_app.processing.market_time import market_seconds

_new_alert = fast_constructor(Alert)
# Enum members read through their class cost ~0.1 us each (EnumType attribute lookup); the hooks
# below run on every print, so they compare against module constants instead.
_CONTINUOUS = TradingSession.CONTINUOUS
_BUY = TradeType.BUY
_SELL = TradeType.SELL

CEILING_HIT = "ceiling_hit"
FLOOR_HIT = "floor_hit"
BLOCK_TRADE = "block_trade"
FOREIGN_SURGE = "foreign_surge"
BASIS_FLIP = "basis_flip"
BASIS_EXTREME = "basis_extreme"
ACTIVE_IMBALANCE = "active_imbalance"


# --------------------------------------------------------------------------- message formatting


def format_price(value: Decimal) -> str:
    """``125,600`` for VND prices, ``1,285.3`` for points: no trailing zeros, thousands separated."""
    if value == value.to_integral_value():
        return f"{int(value):,}"
    text = f"{value:,f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_signed(value: Decimal) -> str:
    text = format_price(abs(value))
    return f"+{text}" if value > 0 else (f"-{text}" if value < 0 else text)


def format_time(moment: datetime) -> str:
    return moment.astimezone(VIETNAM_TZ).strftime("%H:%M:%S")


def format_vnd_billions(value: Decimal) -> str:
    return f"{value / Decimal(1_000_000_000):,.1f} bn VND"


def _window_text(seconds: float) -> str:
    minutes = seconds / 60
    return f"{minutes:g} min" if minutes >= 1 else f"{seconds:g} s"


# --------------------------------------------------------------------------- cooldown


class Cooldown:
    """Last firing time per (symbol, alert_type), in market seconds.

    The engine owns it and enforces it; rules may also ask ``active`` before building a
    message, because a symbol sitting at its ceiling would otherwise format one per print.
    """

    __slots__ = ("seconds", "_last_fired")

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._last_fired: dict[tuple[str, str], float] = {}

    def active(self, symbol: str, alert_type: str, now: float) -> bool:
        last = self._last_fired.get((symbol, alert_type))
        return last is not None and now - last < self.seconds

    def admit(self, symbol: str, alert_type: str, now: float) -> bool:
        """True (and remember ``now``) unless the pair fired less than ``seconds`` ago."""
        key = (symbol, alert_type)
        last = self._last_fired.get(key)
        if last is not None and now - last < self.seconds:
            return False
        self._last_fired[key] = now
        return True

    def clear(self) -> None:
        self._last_fired.clear()


_NEVER = Cooldown(0.0)  # what a rule sees until an engine adopts it: never active


# --------------------------------------------------------------------------- rules


class AlertRule(ABC):
    """One alert type (or a tight pair). Override only the hooks the rule needs.

    ``cooldown`` is set by the AlertEngine that runs the rule; a rule may consult it to skip
    building a candidate that would be held back anyway (the engine enforces it regardless).
    """

    cooldown: Cooldown = _NEVER

    def on_trade(self, trade: Trade, classified: ClassifiedTrade) -> Alert | None:
        return None

    def on_foreign(self, update: ForeignFlowUpdate) -> Alert | None:
        return None

    def on_basis(self, point: BasisPoint, previous: BasisPoint | None) -> Alert | None:
        return None

    def reset(self) -> None:
        """A new trading day: drop any rolling state."""


class CeilingFloorRule(AlertRule):
    """A continuous-session print at the ceiling or floor: auction prints are excluded because
    the opening/closing match price says nothing about one-sided pressure during the day."""

    def on_trade(self, trade: Trade, classified: ClassifiedTrade) -> Alert | None:
        if trade.session is not _CONTINUOUS:
            return None
        price = trade.price
        ceiling = trade.ceiling
        if ceiling is not None and price >= ceiling:
            if self.cooldown.active(trade.symbol, CEILING_HIT, market_seconds(trade.timestamp)):
                return None
            return _new_alert(
                trade.symbol,
                CEILING_HIT,
                f"{trade.symbol} hit ceiling {format_price(price)} at {format_time(trade.timestamp)}",
                Severity.WARNING,
                trade.timestamp,
            )
        floor = trade.floor
        if floor is not None and price <= floor:
            if self.cooldown.active(trade.symbol, FLOOR_HIT, market_seconds(trade.timestamp)):
                return None
            return _new_alert(
                trade.symbol,
                FLOOR_HIT,
                f"{trade.symbol} hit floor {format_price(price)} at {format_time(trade.timestamp)}",
                Severity.WARNING,
                trade.timestamp,
            )
        return None


class BlockTradeRule(AlertRule):
    """One stock print worth at least the threshold. Futures are skipped: their value is in
    points x contracts, not VND. Auction matches (ATO/ATC) are skipped too: SSI reports the whole
    auction as one print, which is the sum of many orders, not one party's block."""

    _KINDS = {
        TradeType.BUY: "active buy",
        TradeType.SELL: "active sell",
        TradeType.NEUTRAL: "unclassified",
        TradeType.PUT_THROUGH: "put-through",
    }

    def __init__(self, min_value_vnd: int) -> None:
        self._min_value = Decimal(min_value_vnd)

    def on_trade(self, trade: Trade, classified: ClassifiedTrade) -> Alert | None:
        value = classified.value
        if value < self._min_value or trade.exchange == "DERIVATIVES":
            return None
        kind = self._KINDS.get(classified.trade_type)
        if kind is None:  # an auction match
            return None
        return _new_alert(
            trade.symbol,
            BLOCK_TRADE,
            f"{trade.symbol} block trade {trade.volume:,} shares at {format_price(trade.price)}"
            f" = {format_vnd_billions(value)} ({kind}) at {format_time(trade.timestamp)}",
            Severity.INFO,
            trade.timestamp,
        )


class ForeignSurgeRule(AlertRule):
    """Foreign net buying or selling over the flow tracker's window reaches the threshold."""

    def __init__(self, min_shares: int, window_s: float) -> None:
        self._min_shares = min_shares
        self._window_s = window_s

    def on_foreign(self, update: ForeignFlowUpdate) -> Alert | None:
        net = update.window_net_volume
        if abs(net) < self._min_shares or net == 0:
            return None
        data = update.data
        verb = "net bought" if net > 0 else "net sold"
        return _new_alert(
            data.symbol,
            FOREIGN_SURGE,
            f"Foreign investors {verb} {abs(net):,} {data.symbol} shares in the last"
            f" {_window_text(self._window_s)} (to {format_time(data.timestamp)})",
            Severity.WARNING,
            data.timestamp,
        )


class BasisFlipRule(AlertRule):
    """The basis changes sign. A zero basis is neither side: the flip is judged against the
    last non-zero sign, so premium -> 0 -> discount fires once."""

    def __init__(self) -> None:
        self._sign = 0

    def reset(self) -> None:
        self._sign = 0

    def on_basis(self, point: BasisPoint, previous: BasisPoint | None) -> Alert | None:
        basis = point.basis
        sign = 1 if basis > 0 else (-1 if basis < 0 else 0)
        if sign == 0:
            return None
        before = self._sign
        self._sign = sign
        if before == 0 or before == sign or self.cooldown.active(
            point.futures_symbol, BASIS_FLIP, market_seconds(point.timestamp)
        ):
            return None
        side = "premium" if sign > 0 else "discount"
        return _new_alert(
            point.futures_symbol,
            BASIS_FLIP,
            f"{point.futures_symbol} basis flipped to {side} {format_signed(basis)}"
            f" (futures {format_price(point.futures_price)} vs VN30 {format_price(point.spot_value)})"
            f" at {format_time(point.timestamp)}",
            Severity.INFO,
            point.timestamp,
        )


class BasisExtremeRule(AlertRule):
    def __init__(self, min_points: float) -> None:
        self._min_points = Decimal(repr(float(min_points)))

    def on_basis(self, point: BasisPoint, previous: BasisPoint | None) -> Alert | None:
        basis = point.basis
        if abs(basis) < self._min_points or self.cooldown.active(
            point.futures_symbol, BASIS_EXTREME, market_seconds(point.timestamp)
        ):
            return None
        side = "premium" if basis > 0 else "discount"
        return _new_alert(
            point.futures_symbol,
            BASIS_EXTREME,
            f"{point.futures_symbol} basis {format_signed(basis)} points ({side})"
            f" (futures {format_price(point.futures_price)} vs VN30 {format_price(point.spot_value)})"
            f" at {format_time(point.timestamp)}",
            Severity.WARNING,
            point.timestamp,
        )


class _ImbalanceWindow:
    __slots__ = ("buckets", "buy", "sell")

    def __init__(self) -> None:
        # [market second, buy volume, sell volume]: prints of the same second share one bucket,
        # so a busy second costs one entry however many prints it had.
        self.buckets: deque[list] = deque()
        self.buy = 0
        self.sell = 0


class ActiveImbalanceRule(AlertRule):
    """Over the last window, enough shares classified buy/sell and one side dominating.

    Neutral, auction and put-through volume does not count: only classified pressure does.
    """

    def __init__(self, min_shares: int, high_share: float, low_share: float, window_s: float) -> None:
        self._min_shares = min_shares
        self._high = high_share
        self._low = low_share
        self._window_s = window_s
        self._windows: dict[str, _ImbalanceWindow] = {}

    def reset(self) -> None:
        self._windows.clear()

    def on_trade(self, trade: Trade, classified: ClassifiedTrade) -> Alert | None:
        trade_type = classified.trade_type
        if trade_type is _BUY:
            buy, sell = classified.volume, 0
        elif trade_type is _SELL:
            buy, sell = 0, classified.volume
        else:
            return None
        symbol = trade.symbol
        window = self._windows.get(symbol)
        if window is None:
            window = self._windows[symbol] = _ImbalanceWindow()
        now = market_seconds(trade.timestamp)
        buckets = window.buckets
        if buckets and now <= buckets[-1][0]:
            bucket = buckets[-1]  # same second, or a late print: joins the newest edge
            bucket[1] += buy
            bucket[2] += sell
            now = bucket[0]
        else:
            buckets.append([now, buy, sell])
        window_buy = window.buy + buy
        window_sell = window.sell + sell
        start = now - self._window_s
        while buckets[0][0] <= start:
            _, old_buy, old_sell = buckets.popleft()
            window_buy -= old_buy
            window_sell -= old_sell
        window.buy = window_buy
        window.sell = window_sell
        total = window_buy + window_sell
        if total < self._min_shares:
            return None
        share = window_buy / total
        if self._low < share < self._high or self.cooldown.active(symbol, ACTIVE_IMBALANCE, now):
            return None
        side = "active buying" if share >= self._high else "active selling"
        dominant = share if share >= self._high else 1.0 - share
        return _new_alert(
            trade.symbol,
            ACTIVE_IMBALANCE,
            f"{trade.symbol} {side} {dominant:.0%} of {total:,} classified shares in the last"
            f" {_window_text(self._window_s)} (to {format_time(trade.timestamp)})",
            Severity.INFO,
            trade.timestamp,
        )


def default_rules(thresholds: AlertThresholds, foreign_window_s: float | None = None) -> list[AlertRule]:
    """The rules of docs/ARCHITECTURE.md with the user's thresholds."""
    return [
        CeilingFloorRule(),
        BlockTradeRule(thresholds.block_trade_value_vnd),
        ForeignSurgeRule(
            thresholds.foreign_surge_shares,
            thresholds.foreign_window_s if foreign_window_s is None else foreign_window_s,
        ),
        BasisFlipRule(),
        BasisExtremeRule(thresholds.basis_extreme_points),
        ActiveImbalanceRule(
            thresholds.imbalance_min_shares,
            thresholds.imbalance_high_share,
            thresholds.imbalance_low_share,
            thresholds.imbalance_window_s,
        ),
    ]


# --------------------------------------------------------------------------- engine


class AlertEngine:
    """Runs the rules and applies the per-(symbol, alert_type) cooldown by market time."""

    __slots__ = ("_rules", "_trade_rules", "_foreign_rules", "_basis_rules", "_cooldown", "suppressed")

    def __init__(self, rules: Sequence[AlertRule], cooldown_s: float = 300.0) -> None:
        self._rules = list(rules)
        self._cooldown = Cooldown(cooldown_s)
        for rule in self._rules:
            rule.cooldown = self._cooldown
        # Only rules that override a hook are asked on that hook: the trade path is hot.
        self._trade_rules = tuple(r for r in self._rules if type(r).on_trade is not AlertRule.on_trade)
        self._foreign_rules = tuple(r for r in self._rules if type(r).on_foreign is not AlertRule.on_foreign)
        self._basis_rules = tuple(r for r in self._rules if type(r).on_basis is not AlertRule.on_basis)
        self.suppressed = 0  # candidates held back by the cooldown

    @property
    def rules(self) -> tuple[AlertRule, ...]:
        return tuple(self._rules)

    def reset(self) -> None:
        self._cooldown.clear()
        for rule in self._rules:
            rule.reset()

    def on_trade(self, trade: Trade, classified: ClassifiedTrade) -> list[Alert] | None:
        """The alerts this print fires, or None (the common case, allocation-free)."""
        fired = None
        for rule in self._trade_rules:
            alert = rule.on_trade(trade, classified)
            if alert is not None and self._admit(alert):
                if fired is None:
                    fired = [alert]
                else:
                    fired.append(alert)
        return fired

    def on_foreign(self, update: ForeignFlowUpdate) -> list[Alert]:
        fired = []
        for rule in self._foreign_rules:
            alert = rule.on_foreign(update)
            if alert is not None and self._admit(alert):
                fired.append(alert)
        return fired

    def on_basis(self, point: BasisPoint, previous: BasisPoint | None) -> list[Alert]:
        fired = []
        for rule in self._basis_rules:
            alert = rule.on_basis(point, previous)
            if alert is not None and self._admit(alert):
                fired.append(alert)
        return fired

    def _admit(self, alert: Alert) -> bool:
        if self._cooldown.admit(alert.symbol, alert.alert_type, market_seconds(alert.timestamp)):
            return True
        self.suppressed += 1
        return False
