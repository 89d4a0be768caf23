"""Response bodies of the history API (they also make the OpenAPI document).

Decimals travel as JSON STRINGS ("22950", "663258204999.98"): prices and values are exact in the
database and a JSON number would be read as a binary float by most clients. Volumes are integers.
Timestamps are ISO 8601 in Vietnam time with their offset (``2024-03-01T09:15:02+07:00``): the
true instant, readable like the exchange clock.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

from desktop_app.market_clock import to_vietnam
from desktop_app.domain import (
    BasisPoint,
    ClassifiedTrade,
    DailyBar,
    ForeignInvestorData,
    StoredAlert,
)
from desktop_app.order_flow import BasketFlowBar, BigTrade, FlowBar, PriceLevel

ExactDecimal = Annotated[
    Decimal,
    PlainSerializer(lambda d: format(d, "f"), return_type=str, when_used="json"),
    Field(json_schema_extra={"type": "string", "format": "decimal"}),
]
"""A Decimal written as a plain decimal string (never exponent notation like ``2.295E+4``)."""


def _vn(ts: datetime) -> datetime:
    return to_vietnam(ts)


class _Row(BaseModel):
    model_config = ConfigDict(frozen=True)


class DailyBarOut(_Row):
    date: date
    open: ExactDecimal | None
    high: ExactDecimal | None
    low: ExactDecimal | None
    close: ExactDecimal | None
    volume: int | None

    @classmethod
    def of(cls, bar: DailyBar) -> "DailyBarOut":
        return cls(date=bar.date, open=bar.open, high=bar.high, low=bar.low, close=bar.close, volume=bar.volume)


class TradeOut(_Row):
    timestamp: datetime
    price: ExactDecimal
    volume: int
    value: ExactDecimal
    trade_type: str = Field(description="buy (active buy), sell (active sell), neutral, ato, atc, put_through")
    bid_price: ExactDecimal | None
    ask_price: ExactDecimal | None

    @classmethod
    def of(cls, t: ClassifiedTrade) -> "TradeOut":
        return cls(
            timestamp=_vn(t.timestamp), price=t.price, volume=t.volume, value=t.value,
            trade_type=t.trade_type.value, bid_price=t.bid_price, ask_price=t.ask_price,
        )


class ForeignOut(_Row):
    timestamp: datetime
    buy_volume: int
    sell_volume: int
    net_volume: int
    buy_value: ExactDecimal | None
    sell_value: ExactDecimal | None
    buy_speed_per_min: ExactDecimal
    sell_speed_per_min: ExactDecimal
    room_left: int | None

    @classmethod
    def of(cls, f: ForeignInvestorData) -> "ForeignOut":
        return cls(
            timestamp=_vn(f.timestamp), buy_volume=f.buy_volume, sell_volume=f.sell_volume,
            net_volume=f.net_volume, buy_value=f.buy_value, sell_value=f.sell_value,
            buy_speed_per_min=f.buy_speed_per_min, sell_speed_per_min=f.sell_speed_per_min,
            room_left=f.room_left,
        )


class BasisOut(_Row):
    timestamp: datetime
    futures_symbol: str
    futures_price: ExactDecimal
    spot_value: ExactDecimal
    basis: ExactDecimal = Field(description="futures minus VN30, points; positive = premium")

    @classmethod
    def of(cls, b: BasisPoint) -> "BasisOut":
        return cls(
            timestamp=_vn(b.timestamp), futures_symbol=b.futures_symbol, futures_price=b.futures_price,
            spot_value=b.spot_value, basis=b.basis,
        )


class AlertOut(_Row):
    id: int
    symbol: str
    alert_type: str
    severity: str | None
    message: str | None
    created_at: datetime = Field(description="market time of the event that fired the alert")
    acknowledged_at: datetime | None
    note: str | None

    @classmethod
    def of(cls, a: StoredAlert) -> "AlertOut":
        return cls(
            id=a.id, symbol=a.symbol, alert_type=a.alert_type, severity=a.severity, message=a.message,
            created_at=_vn(a.created_at),
            acknowledged_at=None if a.acknowledged_at is None else _vn(a.acknowledged_at),
            note=a.note,
        )


RowT = TypeVar("RowT", bound=_Row)


class PageOut(BaseModel, Generic[RowT]):
    """One page of rows; ``next_offset`` is null on the last page."""

    limit: int
    offset: int
    count: int = Field(description="rows in this page")
    next_offset: int | None
    items: list[RowT]


class DailyPage(PageOut[DailyBarOut]):
    symbol: str
    from_date: date = Field(serialization_alias="from")
    to_date: date = Field(serialization_alias="to")


class RangePageMixin(BaseModel):
    from_time: datetime = Field(serialization_alias="from", description="inclusive")
    to_time: datetime = Field(serialization_alias="to", description="exclusive")


class TradesPage(PageOut[TradeOut], RangePageMixin):
    symbol: str


class ForeignPage(PageOut[ForeignOut], RangePageMixin):
    symbol: str


class BasisPage(PageOut[BasisOut], RangePageMixin):
    futures_symbol: str | None


class AlertsPage(PageOut[AlertOut]):
    total: int = Field(description="alerts matching the filter, all pages")
    from_time: datetime | None = Field(serialization_alias="from")
    to_time: datetime | None = Field(serialization_alias="to")


class ErrorOut(BaseModel):
    detail: str


# --------------------------------------------------------------------------- order flow


class FlowBarOut(_Row):
    time: datetime = Field(description="bar start (bars align to the interval from midnight Vietnam time)")
    open: ExactDecimal = Field(description="the bar's first print by time")
    high: ExactDecimal
    low: ExactDecimal
    close: ExactDecimal = Field(description="the bar's last print by time")
    volume: int = Field(description="every print but put-throughs (auction prints included)")
    buy_volume: int
    sell_volume: int
    neutral_volume: int
    auction_volume: int = Field(description="ATO + ATC prints")
    buy_value: ExactDecimal = Field(description="Σ price × volume of active buys, VND")
    sell_value: ExactDecimal = Field(description="Σ price × volume of active sells, VND")
    delta: int = Field(description="buy_volume − sell_volume (auctions never count)")
    cvd: int = Field(description="running sum of delta from the day's first bar")
    vwap: ExactDecimal | None = Field(
        description="the day's Σ(price × volume) / Σ volume to the end of the bar, put-throughs left out, "
                    "2 decimals"
    )

    @classmethod
    def of(cls, b: FlowBar) -> "FlowBarOut":
        return cls(
            time=_vn(b.time), open=b.open, high=b.high, low=b.low, close=b.close, volume=b.volume,
            buy_volume=b.buy_volume, sell_volume=b.sell_volume, neutral_volume=b.neutral_volume,
            auction_volume=b.auction_volume, buy_value=b.buy_value, sell_value=b.sell_value,
            delta=b.delta, cvd=b.cvd, vwap=b.vwap,
        )


class FlowOut(BaseModel):
    symbol: str
    date: date
    interval: int = Field(description="bar length in minutes")
    items: list[FlowBarOut] = Field(description="one bar per interval holding prints, in time order")


class PriceLevelOut(_Row):
    price: ExactDecimal
    volume: int
    buy_volume: int
    sell_volume: int
    neutral_volume: int
    auction_volume: int

    @classmethod
    def of(cls, p: PriceLevel) -> "PriceLevelOut":
        return cls(
            price=p.price, volume=p.volume, buy_volume=p.buy_volume, sell_volume=p.sell_volume,
            neutral_volume=p.neutral_volume, auction_volume=p.auction_volume,
        )


class VolumeProfileOut(BaseModel):
    symbol: str
    date: date
    poc: ExactDecimal | None = Field(description="price of the most volume (the lower price on a tie)")
    value_area_low: ExactDecimal | None = Field(
        description="value area: grown from the POC by the larger neighbouring level (upper on a tie) "
                    "until it holds ≥ 70 % of the volume"
    )
    value_area_high: ExactDecimal | None
    items: list[PriceLevelOut] = Field(description="one level per traded price, ascending (put-throughs left out)")


class BigTradeOut(_Row):
    time: datetime
    price: ExactDecimal
    volume: int
    value: ExactDecimal = Field(description="price × volume, VND")
    trade_type: str = Field(description="buy, sell, neutral or put_through (auction prints are never big trades)")

    @classmethod
    def of(cls, t: BigTrade) -> "BigTradeOut":
        return cls(time=_vn(t.time), price=t.price, volume=t.volume, value=t.value, trade_type=t.trade_type.value)


class BigTradesOut(BaseModel):
    items: list[BigTradeOut]


class BasketFlowBarOut(_Row):
    time: datetime = Field(description="bar start")
    buy_value: ExactDecimal
    sell_value: ExactDecimal
    neutral_value: ExactDecimal
    auction_value: ExactDecimal
    delta_value: ExactDecimal = Field(description="buy_value − sell_value")
    cvd_value: ExactDecimal = Field(description="running sum of delta_value from the day's first bar")

    @classmethod
    def of(cls, b: BasketFlowBar) -> "BasketFlowBarOut":
        return cls(
            time=_vn(b.time), buy_value=b.buy_value, sell_value=b.sell_value, neutral_value=b.neutral_value,
            auction_value=b.auction_value, delta_value=b.delta_value, cvd_value=b.cvd_value,
        )


class BasketFlowOut(BaseModel):
    items: list[BasketFlowBarOut] = Field(description="one bar per interval, values summed over the symbols")
