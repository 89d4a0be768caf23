"""Alert rules (the README's alert table) and the engine that applies their cooldown.

A rule is one small class implementing the hooks it cares about; each hook returns a candidate
Alert or None. The AlertEngine asks every rule, then lets a candidate through only if the same
(symbol, alert_type) has not fired within the cooldown, measured in *market* time so that a
replay at any speed fires the alerts the live day fired. An alert's timestamp is the market time
of the event that fired it.

Event rules (ceiling/floor hit, block trade, basis extreme) fire on the event itself, the
cooldown keeping a symbol pinned at its ceiling from firing every print. State rules fire when a
state *begins*, never while it lasts, and again only once it has ended, with hysteresis so that
a figure hovering at the threshold does not flap:

* ``foreign_surge`` begins when |net foreign volume over the window| >= ``foreign_surge_shares``
  and ends when it drops below ``foreign_surge_exit_shares`` (or turns the other way).
* ``active_imbalance`` begins when, with >= ``imbalance_min_shares`` classified in the window,
  the active-buy share is >= ``imbalance_high_share`` (or <= ``imbalance_low_share``); it ends
  when that share falls back past the threshold by ``imbalance_exit_margin``, or when the
  classified volume in the window drops below half the minimum.
* ``basis_flip`` keeps the basis side with a dead band ``d``: premium once basis >= +d,
  discount once basis <= -d; values strictly inside (-d, +d) keep the side. It fires when the
  side changes (a move from >= +d to <= -d or back), never on the first side of the day.

Messages are written to follow the symbol, which every view and channel shows beside them
("FPT" + "hit ceiling 107.00 (+7.00%)"): they never repeat it. Numbers look as on the board:
stock prices in thousands of VND with 2 decimals, index/futures points with 2 decimals, volumes
with thousands separators, values in billions of VND; clock times are Vietnam time.
"""

from __future__ import annotations

from abc import ABC
from collections import deque
from datetime import datetime
from decimal import Decimal
from typing import Sequence

from mypy_extensions import mypyc_attr

from desktop_app.config import AlertThresholds
from desktop_app.domain import (
    Alert,
    AlertType,
    BasisPoint,
    ClassifiedTrade,
    Severity,
    Trade,
    TradeType,
    TradingSession,
)
from desktop_app.market_clock import to_vietnam
from desktop_app.processing.foreign import ForeignFlowUpdate
from desktop_app.processing.market_time import market_seconds
from desktop_app.speedups import fast_constructor

_new_alert = fast_constructor(Alert)
# Enum members read through their class cost ~0.1 us each (EnumType attribute lookup); the hooks
# below run on every print, so they compare against module constants instead. Alerts carry the
# type's stored text (``AlertType.X.value``): what the database, the API and every view show.
_CONTINUOUS = TradingSession.CONTINUOUS
_BUY = TradeType.BUY
_SELL = TradeType.SELL
_CEILING_HIT = AlertType.CEILING_HIT.value
_FLOOR_HIT = AlertType.FLOOR_HIT.value
_BLOCK_TRADE = AlertType.BLOCK_TRADE.value
_FOREIGN_SURGE = AlertType.FOREIGN_SURGE.value
_BASIS_FLIP = AlertType.BASIS_FLIP.value
_BASIS_EXTREME = AlertType.BASIS_EXTREME.value
_ACTIVE_IMBALANCE = AlertType.ACTIVE_IMBALANCE.value
_THOUSAND = Decimal(1000)
_BILLION = Decimal(1_000_000_000)


# --------------------------------------------------------------------------- message formatting


def format_stock_price(value: Decimal) -> str:
    """A stock price in thousands of VND, as the board shows it: 107000 -> ``107.00``."""
    return f"{value / _THOUSAND:,.2f}"


def format_points(value: Decimal) -> str:
    """An index or futures level in points: ``1,278.50``."""
    return f"{value:,.2f}"


def format_signed_points(value: Decimal) -> str:
    """A basis in points with its sign: ``+1.50``, ``-0.62``."""
    return f"{value:+,.2f}"


def format_volume(value: int) -> str:
    return f"{value:,}"


def format_vnd_billions(value: Decimal) -> str:
    return f"{value / _BILLION:,.2f} bn VND"


def format_time(moment: datetime) -> str:
    """Vietnam clock time, whatever the zone ``moment`` is carried in."""
    return to_vietnam(moment).strftime("%H:%M:%S")


def _window_text(seconds: float, end: datetime) -> str:
    minutes = seconds / 60
    span = f"{minutes:g} min" if minutes >= 1 else f"{seconds:g} s"
    return f"in the {span} to {format_time(end)}"


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


@mypyc_attr(allow_interpreted_subclasses=True)  # a rule is the extension point (compiled_modules)
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
    """A continuous-session print that REACHES the ceiling or floor. Like the other state alerts,
    it fires when the stock arrives at its limit, not again while it sits there, and again only
    after the episode has ended: a print at least ``exit_pct`` % of the limit away from it (a
    stock parked at its ceiling also prints a tick or two below it as sellers hit the queue, and
    that is the same episode). Auction prints are excluded: the opening/closing match price says
    nothing about one-sided pressure during the day, and they neither begin nor end an episode."""

    def __init__(self, exit_pct: float = 1.0) -> None:
        self._exit = Decimal(str(exit_pct)) / 100
        self._at_limit: dict[str, tuple[object, str]] = {}  # symbol -> (trading day, alert type)

    def on_trade(self, trade: Trade, classified: ClassifiedTrade) -> Alert | None:
        if trade.session is not _CONTINUOUS:
            return None
        price = trade.price
        ceiling = trade.ceiling
        if ceiling is not None and price >= ceiling:
            return self._reached(trade, _CEILING_HIT, "ceiling")
        floor = trade.floor
        if floor is not None and price <= floor:
            return self._reached(trade, _FLOOR_HIT, "floor")
        episode = self._at_limit.get(trade.symbol)
        if episode is not None:
            limit = ceiling if episode[1] == _CEILING_HIT else floor
            if limit is None or abs(price - limit) >= limit * self._exit:
                del self._at_limit[trade.symbol]  # far enough away: the episode has ended
        return None

    def _reached(self, trade: Trade, alert_type: str, limit: str) -> Alert | None:
        state = (trade.trading_date, alert_type)
        if self._at_limit.get(trade.symbol) == state:
            return None  # the same episode, on the same day
        self._at_limit[trade.symbol] = state  # begun, even when the cooldown keeps it quiet
        return self._limit(trade, alert_type, limit)

    def _limit(self, trade: Trade, alert_type: str, limit: str) -> Alert | None:
        if self.cooldown.active(trade.symbol, alert_type, market_seconds(trade.timestamp)):
            return None
        price, ref = trade.price, trade.ref_price
        change = f" ({(price - ref) * 100 / ref:+.2f}%)" if ref else ""
        text = format_points(price) if trade.exchange == "DERIVATIVES" else format_stock_price(price)
        severity = Severity.WARNING
        return _new_alert(trade.symbol, alert_type, f"hit {limit} {text}{change}", severity, trade.timestamp)


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
            _BLOCK_TRADE,
            f"block trade {format_volume(trade.volume)} shares at {format_stock_price(trade.price)}"
            f" = {format_vnd_billions(value)} ({kind})",
            Severity.INFO,
            trade.timestamp,
        )


class ForeignSurgeRule(AlertRule):
    """Foreign net buying or selling over the flow tracker's window: fires when a surge begins;
    the surge lasts until |net| drops below the exit level (or the direction turns)."""

    def __init__(self, min_shares: int, window_s: float, exit_shares: int | None = None) -> None:
        self._min_shares = min_shares
        self._exit_shares = min_shares if exit_shares is None else min(exit_shares, min_shares)
        self._window_s = window_s
        self._surging: dict[str, int] = {}  # symbol -> +1 buying / -1 selling while a surge lasts

    def reset(self) -> None:
        self._surging.clear()

    def on_foreign(self, update: ForeignFlowUpdate) -> Alert | None:
        net = update.window_net_volume
        data = update.data
        symbol = data.symbol
        direction = 1 if net > 0 else -1
        current = self._surging.get(symbol)
        if current is not None:
            if current == direction and abs(net) >= self._exit_shares:
                return None  # the surge goes on
            del self._surging[symbol]  # ended (faded, or turned the other way)
        if abs(net) < self._min_shares or net == 0:
            return None
        self._surging[symbol] = direction
        verb = "net bought" if net > 0 else "net sold"
        return _new_alert(
            symbol,
            _FOREIGN_SURGE,
            f"foreign {verb} {format_volume(abs(net))} shares"
            f" {_window_text(self._window_s, data.timestamp)}",
            Severity.WARNING,
            data.timestamp,
        )


class BasisFlipRule(AlertRule):
    """The basis crosses zero by at least the dead band (see the module docstring)."""

    def __init__(self, dead_band_points: float = 0.5) -> None:
        self._band = Decimal(repr(float(dead_band_points)))
        self._side = 0

    def reset(self) -> None:
        self._side = 0

    def on_basis(self, point: BasisPoint, previous: BasisPoint | None) -> Alert | None:
        basis = point.basis
        band = self._band
        if basis >= band and basis > 0:
            side = 1
        elif basis <= -band and basis < 0:
            side = -1
        else:
            return None  # inside the dead band: the side stands
        before = self._side
        self._side = side
        if before == 0 or before == side or self.cooldown.active(
            point.futures_symbol, _BASIS_FLIP, market_seconds(point.timestamp)
        ):
            return None
        side_text = "premium" if side > 0 else "discount"
        return _new_alert(
            point.futures_symbol,
            _BASIS_FLIP,
            f"basis flipped to {side_text} {format_signed_points(basis)} points"
            f" (futures {format_points(point.futures_price)} vs VN30 {format_points(point.spot_value)})",
            Severity.INFO,
            point.timestamp,
        )


class BasisExtremeRule(AlertRule):
    def __init__(self, min_points: float) -> None:
        self._min_points = Decimal(repr(float(min_points)))

    def on_basis(self, point: BasisPoint, previous: BasisPoint | None) -> Alert | None:
        basis = point.basis
        if abs(basis) < self._min_points or self.cooldown.active(
            point.futures_symbol, _BASIS_EXTREME, market_seconds(point.timestamp)
        ):
            return None
        side = "premium" if basis > 0 else "discount"
        return _new_alert(
            point.futures_symbol,
            _BASIS_EXTREME,
            f"basis {format_signed_points(basis)} points ({side})"
            f" (futures {format_points(point.futures_price)} vs VN30 {format_points(point.spot_value)})",
            Severity.WARNING,
            point.timestamp,
        )


class _ImbalanceWindow:
    __slots__ = ("buckets", "buy", "sell", "state")

    def __init__(self) -> None:
        # [market second, buy volume, sell volume]: prints of the same second share one bucket,
        # so a busy second costs one entry however many prints it had.
        self.buckets: deque[list] = deque()
        self.buy = 0
        self.sell = 0
        self.state = 0  # +1 buy imbalance / -1 sell imbalance while it lasts, else 0


class ActiveImbalanceRule(AlertRule):
    """Over the last window, enough shares classified buy/sell and one side dominating: fires
    when the imbalance begins, once; it ends when the share falls back by ``exit_margin`` or the
    classified volume drops below half the minimum.

    Neutral, auction and put-through volume does not count: only classified pressure does.
    """

    def __init__(
        self, min_shares: int, high_share: float, low_share: float, window_s: float, exit_margin: float = 0.0
    ) -> None:
        self._min_shares = min_shares
        self._high = high_share
        self._low = low_share
        self._exit_high = high_share - exit_margin
        self._exit_low = low_share + exit_margin
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
        share = window_buy / total if total else 0.5
        state = window.state
        if state:
            if 2 * total < self._min_shares or (share < self._exit_high if state > 0 else share > self._exit_low):
                window.state = state = 0  # the imbalance is over
            else:
                return None  # it goes on: no new alert
        if total < self._min_shares or self._low < share < self._high:
            return None
        window.state = 1 if share >= self._high else -1
        if self.cooldown.active(symbol, _ACTIVE_IMBALANCE, now):
            return None
        side = "active buying" if share >= self._high else "active selling"
        dominant = share if share >= self._high else 1.0 - share
        return _new_alert(
            symbol,
            _ACTIVE_IMBALANCE,
            f"{side} {dominant:.0%} of {format_volume(total)} classified shares"
            f" {_window_text(self._window_s, trade.timestamp)}",
            Severity.INFO,
            trade.timestamp,
        )


def default_rules(thresholds: AlertThresholds, foreign_window_s: float | None = None) -> list[AlertRule]:
    """The rules of the README's alert table with the user's thresholds."""
    return [
        CeilingFloorRule(thresholds.limit_exit_pct),
        BlockTradeRule(thresholds.block_trade_value_vnd),
        ForeignSurgeRule(
            thresholds.foreign_surge_shares,
            thresholds.foreign_window_s if foreign_window_s is None else foreign_window_s,
            thresholds.foreign_surge_exit_shares,
        ),
        BasisFlipRule(thresholds.basis_flip_dead_band_points),
        BasisExtremeRule(thresholds.basis_extreme_points),
        ActiveImbalanceRule(
            thresholds.imbalance_min_shares,
            thresholds.imbalance_high_share,
            thresholds.imbalance_low_share,
            thresholds.imbalance_window_s,
            thresholds.imbalance_exit_margin,
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
