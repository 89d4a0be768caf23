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

from desktop_app.domain import (
    VIETNAM_TZ,
    BasisPoint,
    ClassifiedTrade,
    DailyBar,
    ForeignInvestorData,
    StoredAlert,
)

ExactDecimal = Annotated[
    Decimal,
    PlainSerializer(lambda d: format(d, "f"), return_type=str, when_used="json"),
    Field(json_schema_extra={"type": "string", "format": "decimal"}),
]
"""A Decimal written as a plain decimal string (never exponent notation like ``2.295E+4``)."""


def _vn(ts: datetime) -> datetime:
    return ts.astimezone(VIETNAM_TZ)


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
