"""Domain values shared by every layer.

Frozen, slotted dataclasses: cheap to build on the hot path, safe to hand to the UI and the writer
at once. Prices are the exact values SSI sent (``Decimal``; stock prices in VND, index and futures
in points); volumes are ``int``; times are aware datetimes (the true instant, carried in Vietnam
time so that ``.time()`` reads like the exchange clock).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from desktop_app.market_clock import VIETNAM_TZ  # noqa: F401  (re-exported: defined once, in market_clock)


class TradeType(str, enum.Enum):
    """How a matched print is classified (docs/ARCHITECTURE.md, "Trade types")."""

    BUY = "buy"  # active buy (buyer-initiated)
    SELL = "sell"  # active sell (seller-initiated)
    NEUTRAL = "neutral"
    ATO = "ato"
    ATC = "atc"
    PUT_THROUGH = "put_through"


TRADE_TYPE_CODES: dict[TradeType, int] = {t: i for i, t in enumerate(TradeType)}
"""The one integer encoding of trade types (numpy columns, SQL ``CASE``): buy 0, sell 1, neutral 2,
ato 3, atc 4, put_through 5, in declaration order; -1 stands for a type this version does not know."""


class Side(str, enum.Enum):
    """SSI's ``Side`` field on X-TRADE: who initiated the print."""

    BUY = "BU"
    SELL = "SD"


class TradingSession(str, enum.Enum):
    """SSI ``TradingSession`` codes."""

    ATO = "ATO"
    CONTINUOUS = "LO"
    ATC = "ATC"
    PUT_THROUGH = "PT"
    CLOSED = "C"
    BREAK = "BREAK"
    HALT = "HALT"
    UNKNOWN = "UNKNOWN"


class AlertType(str, enum.Enum):
    """Every alert the app fires; the value is what is stored and shown.

    See docs/ARCHITECTURE.md, "Alert rules".
    """

    CEILING_HIT = "ceiling_hit"
    FLOOR_HIT = "floor_hit"
    BLOCK_TRADE = "block_trade"
    FOREIGN_SURGE = "foreign_surge"
    BASIS_FLIP = "basis_flip"
    BASIS_EXTREME = "basis_extreme"
    ACTIVE_IMBALANCE = "active_imbalance"
    # the user's own price alerts (processing/price_alerts.py)
    PRICE_ABOVE = "price_above"
    PRICE_BELOW = "price_below"
    PRICE_CHANGE = "price_change"
    VOLUME_SPIKE = "volume_spike"
    BIG_PRINT = "big_print"


class Severity(str, enum.Enum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


# --------------------------------------------------------------------------- feed values


@dataclass(frozen=True, slots=True)
class Trade:
    """One matched print (X-TRADE, or the trade part of an X snapshot)."""

    symbol: str
    exchange: str  # HOSE, HNX, UPCOM, DERIVATIVES
    trading_date: date
    timestamp: datetime
    price: Decimal  # LastPrice
    volume: int  # LastVol: this print's size
    total_volume: int  # TotalVol: cumulative for the day (identity of a print within a day)
    total_value: Decimal
    ref_price: Decimal | None
    ceiling: Decimal | None
    floor: Decimal | None
    highest: Decimal | None
    lowest: Decimal | None
    avg_price: Decimal | None
    session: TradingSession
    side: Side | None

    @property
    def is_derivative(self) -> bool:
        return self.exchange == "DERIVATIVES"


@dataclass(frozen=True, slots=True)
class PriceLevel:
    price: Decimal
    volume: int


@dataclass(frozen=True, slots=True)
class Quote:
    """Order book top levels (X-QUOTE, or the quote part of an X snapshot). Empty levels dropped.

    Each side is kept as two parallel tuples, prices and volumes, best first (same length); the
    ``bids`` / ``asks`` levels are built when asked for. WHY: quotes are over half the feed, and
    the pipeline reads only the best prices of each; the book's levels are read only for the
    symbols a trader has on screen. Building six ``PriceLevel`` objects per quote was 40 % of
    the parser's time (docs/ARCHITECTURE.md, "Speed-ups"). ``Quote.of_levels`` builds one from
    levels.
    """

    symbol: str
    exchange: str
    trading_date: date
    timestamp: datetime
    bid_prices: tuple[Decimal, ...]  # best first
    bid_volumes: tuple[int, ...]
    ask_prices: tuple[Decimal, ...]  # best first
    ask_volumes: tuple[int, ...]
    session: TradingSession

    @classmethod
    def of_levels(
        cls,
        symbol: str,
        exchange: str,
        trading_date: date,
        timestamp: datetime,
        bids: tuple[PriceLevel, ...],
        asks: tuple[PriceLevel, ...],
        session: TradingSession,
    ) -> Quote:
        return cls(
            symbol, exchange, trading_date, timestamp,
            tuple(level.price for level in bids), tuple(level.volume for level in bids),
            tuple(level.price for level in asks), tuple(level.volume for level in asks),
            session,
        )

    @property
    def bids(self) -> tuple[PriceLevel, ...]:
        """The bid levels, best first."""
        return tuple(map(PriceLevel, self.bid_prices, self.bid_volumes))

    @property
    def asks(self) -> tuple[PriceLevel, ...]:
        """The ask levels, best first."""
        return tuple(map(PriceLevel, self.ask_prices, self.ask_volumes))

    @property
    def best_bid(self) -> Decimal | None:
        prices = self.bid_prices
        return prices[0] if prices else None

    @property
    def best_ask(self) -> Decimal | None:
        prices = self.ask_prices
        return prices[0] if prices else None


@dataclass(frozen=True, slots=True)
class ForeignRoom:
    """R message: foreign investors' cumulative buy/sell for the day and the room left."""

    symbol: str
    trading_date: date
    timestamp: datetime
    total_room: int | None
    current_room: int | None
    buy_volume: int
    sell_volume: int
    buy_value: Decimal
    sell_value: Decimal


@dataclass(frozen=True, slots=True)
class IndexValue:
    """MI message: an index level (VN30 and others)."""

    index_id: str
    trading_date: date
    timestamp: datetime
    value: Decimal
    prior_value: Decimal | None
    change: Decimal | None
    ratio_change: Decimal | None
    total_volume: int | None
    total_value: Decimal | None
    advances: int | None
    no_changes: int | None
    declines: int | None
    ceilings: int | None
    floors: int | None
    session: TradingSession


@dataclass(frozen=True, slots=True)
class Bar:
    """B message: a per-tick bar."""

    symbol: str
    trading_date: date
    timestamp: datetime
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: int
    value: Decimal | None


@dataclass(frozen=True, slots=True)
class SessionStatus:
    """F message: the trading session / status of a symbol or market."""

    symbol: str
    trading_date: date
    timestamp: datetime
    session: TradingSession
    status: str | None


MarketEvent = Trade | Quote | ForeignRoom | IndexValue | Bar | SessionStatus


# --------------------------------------------------------------------------- processed values


@dataclass(frozen=True, slots=True)
class ClassifiedTrade:
    """A print with its active buy/sell classification: one row of the ``trades`` table."""

    symbol: str
    price: Decimal
    volume: int
    value: Decimal  # price * volume (VND for stocks; points * volume for futures)
    trade_type: TradeType
    bid_price: Decimal | None
    ask_price: Decimal | None
    timestamp: datetime
    # The print's TotalVol: its identity within the symbol and day, which lets the writer store
    # it exactly once across restarts and re-imports (0 = unknown: stored without that check).
    total_volume: int = 0


@dataclass(frozen=True, slots=True)
class ForeignInvestorData:
    """Foreign flow for one symbol: cumulative day totals plus speed over a rolling window."""

    symbol: str
    buy_volume: int
    sell_volume: int
    buy_value: Decimal
    sell_value: Decimal
    buy_speed_per_min: Decimal  # shares per minute over the window
    sell_speed_per_min: Decimal
    room_left: int | None
    timestamp: datetime

    @property
    def net_volume(self) -> int:
        return self.buy_volume - self.sell_volume

    @property
    def net_value(self) -> Decimal:
        return self.buy_value - self.sell_value


@dataclass(frozen=True, slots=True)
class BasisPoint:
    """Front-month VN30 futures minus the VN30 index, in points (positive = premium)."""

    futures_symbol: str
    futures_price: Decimal
    spot_value: Decimal
    basis: Decimal
    timestamp: datetime


@dataclass(frozen=True, slots=True)
class Alert:
    """An alert as fired; ``timestamp`` is the market time of the event that fired it."""

    symbol: str
    alert_type: str
    message: str
    severity: Severity
    timestamp: datetime


ProcessedValue = ClassifiedTrade | ForeignInvestorData | BasisPoint | Alert


# --------------------------------------------------------------------------- stored values


@dataclass(frozen=True, slots=True)
class DailyBar:
    """One row of ``daily_ohlc``."""

    symbol: str
    date: date
    open: Decimal | None
    high: Decimal | None
    low: Decimal | None
    close: Decimal | None
    volume: int | None


@dataclass(frozen=True, slots=True)
class StoredAlert:
    """An alert as kept in the ``alerts`` table, with its review state."""

    id: int
    symbol: str
    alert_type: str
    message: str | None
    severity: str | None
    created_at: datetime
    acknowledged_at: datetime | None
    note: str | None


class PriceRuleKind(str, enum.Enum):
    """What a user price alert watches; the value is what ``price_alert_rules.kind`` stores."""

    PRICE_ABOVE = "price_above"  # threshold: a price; fires when a print is at or above it
    PRICE_BELOW = "price_below"  # threshold: a price; fires when a print is at or below it
    CHANGE_PCT = "change_pct"  # threshold: signed % from the reference (-3 = down 3 % or more)
    VOLUME_SPIKE = "volume_spike"  # threshold: k; a minute's volume >= k x the day's average minute
    BIG_PRINT = "big_print"  # threshold: VND; one print worth at least that much


@dataclass(frozen=True, slots=True)
class PriceAlertRule:
    """A user's price alert on one symbol (a row of ``price_alert_rules``)."""

    id: int
    symbol: str
    kind: PriceRuleKind
    threshold: Decimal
    enabled: bool = True
    note: str | None = None
