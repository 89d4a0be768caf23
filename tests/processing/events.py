"""Builders for feed values with realistic defaults (HOSE stock FPT, ref 100,000 VND, 8 April 2026)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from desktop_app.domain import (
    VIETNAM_TZ,
    ForeignRoom,
    IndexValue,
    PriceLevel,
    Quote,
    SessionStatus,
    Side,
    Trade,
    TradingSession,
)

DAY = date(2026, 4, 8)  # a Wednesday; the April 2026 contract expires Thursday 16 April


def at(clock: str, day: date = DAY) -> datetime:
    """Vietnam wall-clock time ``HH:MM:SS`` on ``day``."""
    h, m, s = (int(x) for x in clock.split(":"))
    return datetime(day.year, day.month, day.day, h, m, s, tzinfo=VIETNAM_TZ)


def later(moment: datetime, seconds: float) -> datetime:
    return moment + timedelta(seconds=seconds)


class Tape:
    """Builds prints for one symbol with a strictly increasing TotalVol, like the exchange."""

    def __init__(
        self,
        symbol: str = "FPT",
        *,
        exchange: str = "HOSE",
        ref: str | None = "100000",
        ceiling: str | None = "107000",
        floor: str | None = "93000",
        day: date = DAY,
    ) -> None:
        self.symbol = symbol
        self.exchange = exchange
        self.ref = None if ref is None else Decimal(ref)
        self.ceiling = None if ceiling is None else Decimal(ceiling)
        self.floor = None if floor is None else Decimal(floor)
        self.day = day
        self.total_volume = 0

    def trade(
        self,
        price: str | int,
        volume: int = 100,
        *,
        clock: str = "10:00:00",
        time: datetime | None = None,
        side: Side | None = None,
        session: TradingSession = TradingSession.CONTINUOUS,
        total_volume: int | None = None,
    ) -> Trade:
        if total_volume is None:
            self.total_volume += volume
            total_volume = self.total_volume
        p = Decimal(str(price))
        return Trade(
            symbol=self.symbol,
            exchange=self.exchange,
            trading_date=self.day,
            timestamp=time or at(clock, self.day),
            price=p,
            volume=volume,
            total_volume=total_volume,
            total_value=p * total_volume,
            ref_price=self.ref,
            ceiling=self.ceiling,
            floor=self.floor,
            highest=None,
            lowest=None,
            avg_price=None,
            session=session,
            side=side,
        )

    def quote(
        self,
        bid: str | int | None,
        ask: str | int | None,
        *,
        clock: str = "10:00:00",
        time: datetime | None = None,
    ) -> Quote:
        bids = () if bid is None else (PriceLevel(Decimal(str(bid)), 1000),)
        asks = () if ask is None else (PriceLevel(Decimal(str(ask)), 1000),)
        return Quote.of_levels(
            symbol=self.symbol,
            exchange=self.exchange,
            trading_date=self.day,
            timestamp=time or at(clock, self.day),
            bids=bids,
            asks=asks,
            session=TradingSession.CONTINUOUS,
        )


def futures_trade(
    symbol: str, price: str, *, clock: str = "10:00:00", day: date = DAY, total_volume: int = 1, volume: int = 1,
    session: TradingSession = TradingSession.CONTINUOUS,
) -> Trade:
    p = Decimal(price)
    return Trade(
        symbol=symbol,
        exchange="DERIVATIVES",
        trading_date=day,
        timestamp=at(clock, day),
        price=p,
        volume=volume,
        total_volume=total_volume,
        total_value=p * total_volume,
        ref_price=None,
        ceiling=None,
        floor=None,
        highest=None,
        lowest=None,
        avg_price=None,
        session=session,
        side=None,
    )


def vn30(value: str, *, clock: str = "10:00:00", day: date = DAY, prior: str | None = "1250") -> IndexValue:
    return IndexValue(
        index_id="VN30",
        trading_date=day,
        timestamp=at(clock, day),
        value=Decimal(value),
        prior_value=None if prior is None else Decimal(prior),
        change=None,
        ratio_change=None,
        total_volume=None,
        total_value=None,
        advances=None,
        no_changes=None,
        declines=None,
        ceilings=None,
        floors=None,
        session=TradingSession.CONTINUOUS,
    )


def foreign(
    buy: int,
    sell: int,
    *,
    clock: str = "10:00:00",
    time: datetime | None = None,
    symbol: str = "SSI",
    day: date = DAY,
    room: int | None = 806_887_173,
    price: int = 30_000,
) -> ForeignRoom:
    return ForeignRoom(
        symbol=symbol,
        trading_date=day,
        timestamp=time or at(clock, day),
        total_room=1_501_130_137,
        current_room=room,
        buy_volume=buy,
        sell_volume=sell,
        buy_value=Decimal(buy * price),
        sell_value=Decimal(sell * price),
    )


def session_status(symbol: str, session: TradingSession, *, clock: str = "09:00:00", day: date = DAY) -> SessionStatus:
    return SessionStatus(symbol=symbol, trading_date=day, timestamp=at(clock, day), session=session, status=None)
