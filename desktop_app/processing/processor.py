"""MarketDataProcessor: parsed feed values in, classified trades / foreign flow / basis / alerts out.

Runs synchronously on the app's one loop, event by event, in arrival order; every output value is
handed to every subscriber (the batch writer, the UI) before ``process`` returns, so the order the
subscribers see is the order of the market.

Sensible handling of a messy stream:

- Duplicates: within a symbol and day ``TotalVol`` strictly increases with every print, so a print
  whose ``TotalVol`` does not exceed the highest seen is a re-sent (or late) copy: dropped and
  counted in ``duplicates``.
- Out of order: a value from an earlier trading day than the current one, foreign counters that
  go down within a day, and quotes / index values older than the last one seen for the same
  symbol are dropped and counted in ``out_of_order``.
- A new trading day (any value dated after the current day) resets classification state, foreign
  flow, basis prices, alert cooldowns and windows, and the day figures of the live stats.
- A print whose session is ``UNKNOWN`` takes the session last announced for its symbol (or, failing
  that, its exchange) by an F message, so auction prints are still recognised when the print itself did not say.
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import date, datetime
from typing import Callable, Iterable, Sequence

from desktop_app.config import AlertThresholds
from desktop_app.domain import (
    Alert,
    Bar,
    BasisPoint,
    ForeignRoom,
    IndexValue,
    MarketEvent,
    ProcessedValue,
    Quote,
    SessionStatus,
    Trade,
    TradingSession,
)
from desktop_app.processing.alerts import AlertEngine, AlertRule, default_rules
from desktop_app.processing.basis import BasisTracker
from desktop_app.processing.classifier import TradeClassifier
from desktop_app.processing.foreign import ForeignFlowTracker
from desktop_app.processing.live_stats import LiveStats
from desktop_app.processing.price_alerts import PriceAlertEvaluator

log = logging.getLogger(__name__)

Subscriber = Callable[[ProcessedValue], None]
_UNKNOWN = TradingSession.UNKNOWN
_PUT_THROUGH = TradingSession.PUT_THROUGH


@dataclasses.dataclass(slots=True)
class ProcessorCounters:
    """What the processor did, for the ``record`` summary and the status bar.

    ``foreign_snapshots``, ``basis_points`` and ``alerts`` count *emitted* values; ``trades``,
    ``quotes`` and ``index_values`` count accepted inputs.
    """

    trades: int = 0
    quotes: int = 0
    foreign_snapshots: int = 0
    index_values: int = 0
    basis_points: int = 0
    alerts: int = 0
    duplicates: int = 0
    out_of_order: int = 0
    foreign_unchanged: int = 0
    bars: int = 0
    session_updates: int = 0
    days_started: int = 0
    subscriber_errors: int = 0

    def as_dict(self) -> dict[str, int]:
        return dataclasses.asdict(self)


class MarketDataProcessor:
    def __init__(
        self,
        thresholds: AlertThresholds = AlertThresholds(),
        *,
        futures_symbol: str | None = None,
        foreign_window_s: float | None = None,
        rules: Sequence[AlertRule] | None = None,
    ) -> None:
        window = thresholds.foreign_window_s if foreign_window_s is None else foreign_window_s
        self._subscribers: tuple[Subscriber, ...] = ()
        self._classifier = TradeClassifier()
        self._foreign = ForeignFlowTracker(window)
        self._basis = BasisTracker(futures_symbol)
        self._alerts = AlertEngine(
            default_rules(thresholds, window) if rules is None else rules, thresholds.cooldown_s
        )
        self._stats = LiveStats()
        self.price_alerts = PriceAlertEvaluator()  # the user's rules: set_rules() from the rule service
        self._counters = ProcessorCounters()
        self._date: date | None = None
        self._total_volumes: dict[str, int] = {}
        self._quote_times: dict[str, datetime] = {}
        self._index_times: dict[str, datetime] = {}
        self._sessions: dict[str, TradingSession] = {}
        self._handlers: dict[type, Callable[[object], None]] = {
            Trade: self._on_trade,  # type: ignore[dict-item]
            Quote: self._on_quote,  # type: ignore[dict-item]
            ForeignRoom: self._on_foreign,  # type: ignore[dict-item]
            IndexValue: self._on_index,  # type: ignore[dict-item]
            Bar: self._on_bar,  # type: ignore[dict-item]
            SessionStatus: self._on_session,  # type: ignore[dict-item]
        }

    # ------------------------------------------------------------------ public API
    def subscribe(self, callback: Subscriber) -> None:
        """``callback`` is called synchronously, in order, with every output value."""
        self._subscribers = (*self._subscribers, callback)

    def process(self, event: MarketEvent) -> None:
        handler = self._handlers.get(type(event))
        if handler is None:
            raise TypeError(f"not a market event: {type(event).__name__}")
        handler(event)

    def process_all(self, events: Iterable[MarketEvent]) -> None:
        handlers = self._handlers
        for event in events:
            handler = handlers.get(type(event))
            if handler is None:
                raise TypeError(f"not a market event: {type(event).__name__}")
            handler(event)

    @property
    def stats(self) -> LiveStats:
        return self._stats

    @property
    def counters(self) -> ProcessorCounters:
        return self._counters

    @property
    def trading_date(self) -> date | None:
        return self._date

    @property
    def front_month(self) -> str | None:
        return self._basis.front_symbol

    # ------------------------------------------------------------------ plumbing
    def _emit(self, value: ProcessedValue) -> None:
        for callback in self._subscribers:
            try:
                callback(value)
            except Exception:
                # One broken subscriber (say, a UI slot) must not starve the others (the writer).
                self._counters.subscriber_errors += 1
                log.exception("subscriber %r failed on %s", callback, type(value).__name__)

    def _emit_alerts(self, alerts: list[Alert]) -> None:
        self._counters.alerts += len(alerts)
        for alert in alerts:
            self._emit(alert)

    def _accept_date(self, trading_date: date) -> bool:
        """True if the value belongs to the current day (starting a new day if it is later)."""
        current = self._date
        if current is not None and trading_date < current:
            self._counters.out_of_order += 1
            return False
        self._date = trading_date
        if current is not None:
            log.info("new trading day %s (was %s): resetting live state", trading_date, current)
        self._classifier.reset()
        self._foreign.reset()
        self._basis.reset()
        self._alerts.reset()
        self.price_alerts.reset()
        self._total_volumes.clear()
        self._quote_times.clear()
        self._index_times.clear()
        self._sessions.clear()
        self._stats.start_day(trading_date)
        self._counters.days_started += 1
        return True

    # ------------------------------------------------------------------ handlers
    def _on_trade(self, trade: Trade) -> None:
        if trade.trading_date != self._date and not self._accept_date(trade.trading_date):
            return
        counters = self._counters
        symbol = trade.symbol
        total = trade.total_volume
        seen = self._total_volumes.get(symbol)
        if seen is not None and total <= seen:
            counters.duplicates += 1
            return
        self._total_volumes[symbol] = total
        counters.trades += 1
        session = trade.session
        if session is _UNKNOWN:
            announced = self._sessions.get(symbol) or self._sessions.get(trade.exchange)
            if announced is not None and announced is not _UNKNOWN:
                session = announced
                trade = dataclasses.replace(trade, session=session)
        classified = self._classifier.classify(trade)
        for callback in self._subscribers:
            try:
                callback(classified)
            except Exception:
                counters.subscriber_errors += 1
                log.exception("subscriber %r failed on ClassifiedTrade", callback)
        self._stats.on_trade(trade, classified)
        alerts = self._alerts.on_trade(trade, classified)
        if alerts:
            self._emit_alerts(alerts)
        user_alerts = self.price_alerts.on_trade(trade)
        if user_alerts:
            self._emit_alerts(user_alerts)
        if trade.exchange == "DERIVATIVES" and session is not _PUT_THROUGH:
            self._on_futures_print(trade)

    def _on_futures_print(self, trade: Trade) -> None:
        basis = self._basis
        previous = basis.last
        point = basis.on_futures_print(trade.symbol, trade.price, trade.timestamp, trade.trading_date)
        if point is None:
            self._stats.on_futures(basis.front_symbol, basis.front_price())
            return
        self._on_basis_point(point, previous)

    def _on_basis_point(self, point: BasisPoint, previous: BasisPoint | None) -> None:
        self._counters.basis_points += 1
        self._stats.on_basis(point)
        self._emit(point)
        alerts = self._alerts.on_basis(point, previous)
        if alerts:
            self._emit_alerts(alerts)

    def _on_quote(self, quote: Quote) -> None:
        if quote.trading_date != self._date and not self._accept_date(quote.trading_date):
            return
        symbol = quote.symbol
        last = self._quote_times.get(symbol)
        ts = quote.timestamp
        if last is not None and ts < last:
            self._counters.out_of_order += 1
            return
        self._quote_times[symbol] = ts
        self._counters.quotes += 1
        self._classifier.on_quote(quote)
        self._stats.on_quote(quote)

    def _on_foreign(self, room: ForeignRoom) -> None:
        if room.trading_date != self._date and not self._accept_date(room.trading_date):
            return
        tracker = self._foreign
        out_before = tracker.out_of_order
        update = tracker.update(room)
        if update is None:
            if tracker.out_of_order != out_before:
                self._counters.out_of_order += 1
            else:
                self._counters.foreign_unchanged += 1
            return
        self._counters.foreign_snapshots += 1
        self._stats.on_foreign(update.data)
        self._emit(update.data)
        alerts = self._alerts.on_foreign(update)
        if alerts:
            self._emit_alerts(alerts)

    def _on_index(self, index: IndexValue) -> None:
        if index.trading_date != self._date and not self._accept_date(index.trading_date):
            return
        key = index.index_id.upper()
        last = self._index_times.get(key)
        if last is not None and index.timestamp < last:
            self._counters.out_of_order += 1
            return
        self._index_times[key] = index.timestamp
        self._counters.index_values += 1
        self._stats.on_index(index)  # VN30 and VN-Index: the board's header
        if key != "VN30":
            return
        basis = self._basis
        previous = basis.last
        point = basis.on_index(index)
        if point is not None:
            self._on_basis_point(point, previous)

    def _on_bar(self, bar: Bar) -> None:
        # Per-tick bars repeat what the prints already told us; counted for the summary only.
        self._counters.bars += 1

    def _on_session(self, status: SessionStatus) -> None:
        if status.trading_date != self._date and not self._accept_date(status.trading_date):
            return
        self._counters.session_updates += 1
        self._sessions[status.symbol] = status.session
