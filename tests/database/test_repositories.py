"""Repository queries against real PostgreSQL with real rows: exact values, order, pages, ranges."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import asyncpg
import numpy as np
import pytest

from desktop_app.database.repositories import alert_repository as alerts
from desktop_app.database.repositories import basis_repository as basis
from desktop_app.database.repositories import foreign_repository as foreign
from desktop_app.database.repositories import ohlc_repository as ohlc
from desktop_app.database.repositories import trade_repository as trades
from desktop_app.database.minute_bar_aggregate import refresh_minute_bars
from desktop_app.database.schema import (
    ALERT_COPY_COLUMNS,
    BASIS_COPY_COLUMNS,
    FOREIGN_COPY_COLUMNS,
    TRADE_COPY_COLUMNS,
)
from desktop_app.domain import VIETNAM_TZ, ClassifiedTrade, DailyBar, Severity, TradeType

D = Decimal


def vn(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0, us: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, s, us, tzinfo=VIETNAM_TZ)


def trade(symbol: str, price: str, volume: int, kind: TradeType, at: datetime,
          bid: str | None = None, ask: str | None = None) -> ClassifiedTrade:
    p = D(price)
    return ClassifiedTrade(symbol, p, volume, p * volume, kind, D(bid) if bid else None,
                           D(ask) if ask else None, at)


async def copy_trades(pool: asyncpg.Pool, items: list[ClassifiedTrade]) -> None:
    records = [(t.symbol, t.price, t.volume, t.value, t.trade_type.value, t.bid_price, t.ask_price,
                t.timestamp) for t in items]
    await pool.copy_records_to_table("trades", records=records, columns=list(TRADE_COPY_COLUMNS))
    await refresh_minute_bars(pool)  # trades written around the BatchWriter: fold them in


# ----------------------------------------------------------------------------------------- trades

DAY = date(2025, 3, 14)
DAY_TRADES = [
    # 23:30 UTC on the 13th is 06:30 on the 14th in Vietnam: belongs to DAY
    trade("FPT", "120000", 100, TradeType.ATO, datetime(2025, 3, 13, 23, 30, tzinfo=timezone.utc)),
    trade("FPT", "120500", 200, TradeType.BUY, vn(2025, 3, 14, 9, 15, 1), "120000", "120500"),
    trade("FPT", "120000", 300, TradeType.SELL, vn(2025, 3, 14, 9, 15, 30), "120000", "120500"),
    trade("FPT", "121000", 50, TradeType.BUY, vn(2025, 3, 14, 9, 15, 59, 999_999)),
    trade("FPT", "119500", 70, TradeType.NEUTRAL, vn(2025, 3, 14, 9, 16, 0)),
    trade("FPT", "150000", 1_000_000, TradeType.PUT_THROUGH, vn(2025, 3, 14, 9, 16, 10)),
    trade("FPT", "119000", 400, TradeType.ATC, vn(2025, 3, 14, 14, 45)),
]
OTHER = [
    trade("FPT", "118000", 10, TradeType.BUY, vn(2025, 3, 13, 23, 59, 59)),  # the day before (VN)
    trade("FPT", "118000", 10, TradeType.BUY, vn(2025, 3, 15, 0, 0, 0)),  # the day after (VN)
    trade("VNM", "70000", 10, TradeType.BUY, vn(2025, 3, 14, 10, 0)),  # another symbol
]


async def test_trades_for_day_is_the_vietnam_day_in_time_order_with_exact_values(pool) -> None:
    await copy_trades(pool, OTHER + list(reversed(DAY_TRADES)))
    got = await trades.trades_for_day(pool, "FPT", DAY)
    assert got == DAY_TRADES
    assert got[0].timestamp.utcoffset() == timedelta(hours=7)
    assert got[0].timestamp.hour == 6 and got[1].bid_price == D("120000.00")
    assert await trades.trades_for_day(pool, "FPT", date(2025, 3, 16)) == []


async def test_trades_between_pages_in_stable_order(pool) -> None:
    same_time = vn(2025, 3, 14, 10, 0)
    many = [trade("ACB", str(20000 + i), i + 1, TradeType.BUY, same_time) for i in range(5)]
    await copy_trades(pool, many)
    start, end = vn(2025, 3, 14, 9), vn(2025, 3, 14, 11)
    pages = [await trades.trades_between(pool, "ACB", start, end, limit=2, offset=o) for o in (0, 2, 4, 6)]
    assert [len(p) for p in pages] == [2, 2, 1, 0]
    assert [t.volume for p in pages for t in p] == [1, 2, 3, 4, 5]  # insertion (id) order breaks ties
    assert await trades.count_trades_between(pool, "ACB", start, end) == 5
    # the end bound is exclusive
    assert await trades.trades_between(pool, "ACB", start, same_time) == []
    with pytest.raises(ValueError, match="timezone-aware"):
        await trades.trades_between(pool, "ACB", datetime(2025, 3, 14), end)
    with pytest.raises(ValueError, match="limit"):
        await trades.trades_between(pool, "ACB", start, end, limit=0)


async def test_minute_bars_aggregate_in_sql(pool) -> None:
    await copy_trades(pool, DAY_TRADES + OTHER)
    bars = await trades.minute_bars(pool, "FPT", vn(2025, 3, 14), vn(2025, 3, 15))
    minutes = [datetime.fromtimestamp(int(m), VIETNAM_TZ).strftime("%H:%M") for m in bars.minute_epoch_s]
    assert minutes == ["06:30", "09:15", "09:16", "14:45"]
    i = 1  # 09:15: buy 200 @120500, sell 300 @120000, buy 50 @121000
    assert (bars.open[i], bars.high[i], bars.low[i], bars.close[i]) == (120500, 121000, 120000, 121000)
    assert (bars.volume[i], bars.buy_volume[i], bars.sell_volume[i], bars.neutral_volume[i]) == (550, 250, 300, 0)
    # 09:16: the put-through print is left out of price and volume
    assert (bars.open[2], bars.close[2], bars.volume[2], bars.neutral_volume[2]) == (119500, 119500, 70, 70)
    assert bars.auction_volume.tolist() == [100, 0, 0, 400]
    assert bars.volume.dtype == np.int64 and len(bars) == 4
    empty = await trades.minute_bars(pool, "FPT", vn(2025, 3, 16), vn(2025, 3, 17))
    assert len(empty) == 0 and empty.open.dtype == np.float64


async def test_minute_bars_in_wider_buckets_align_on_vietnam_hours(pool) -> None:
    await copy_trades(pool, DAY_TRADES + OTHER)
    bars = await trades.minute_bars(pool, "FPT", vn(2025, 3, 14), vn(2025, 3, 15), bucket=timedelta(hours=1))
    starts = [datetime.fromtimestamp(int(m), VIETNAM_TZ).strftime("%H:%M") for m in bars.minute_epoch_s]
    assert starts == ["06:00", "09:00", "14:00"]
    assert (bars.open[1], bars.high[1], bars.low[1], bars.close[1]) == (120500, 121000, 119500, 119500)
    assert (bars.volume[1], bars.buy_volume[1], bars.sell_volume[1], bars.neutral_volume[1]) == (620, 250, 300, 70)
    with pytest.raises(ValueError, match="bucket"):
        await trades.minute_bars(pool, "FPT", vn(2025, 3, 14), vn(2025, 3, 15), bucket=timedelta(0))


async def test_trade_columns_for_day_as_numpy(pool) -> None:
    await copy_trades(pool, DAY_TRADES + OTHER)
    cols = await trades.trade_columns_for_day(pool, "FPT", DAY)
    assert len(cols) == len(DAY_TRADES)
    assert cols.epoch_s[1] == DAY_TRADES[1].timestamp.timestamp()
    assert cols.epoch_s[3] == pytest.approx(DAY_TRADES[3].timestamp.timestamp(), abs=1e-6)
    assert cols.price.tolist() == [float(t.price) for t in DAY_TRADES]
    assert cols.volume.tolist() == [t.volume for t in DAY_TRADES]
    assert cols.trade_type.tolist() == [trades.TRADE_TYPE_CODES[t.trade_type] for t in DAY_TRADES]
    assert [a.dtype.name for a in (cols.epoch_s, cols.price, cols.volume, cols.trade_type)] == \
        ["float64", "float64", "int64", "int8"]
    assert len(await trades.trade_columns_for_day(pool, "FPT", date(2024, 1, 2))) == 0  # a day without prints


# ------------------------------------------------------------------------------------------- ohlc


def bar(symbol: str, d: date, close: str, volume: int | None = 1000) -> DailyBar:
    c = D(close)
    return DailyBar(symbol, d, c - 100, c + 200, c - 300, c, volume)


async def test_upsert_counts_inserted_updated_unchanged_and_tolerates_duplicate_keys(pool) -> None:
    days = [date(2025, 1, 2) + timedelta(days=i) for i in range(5)]
    first = await ohlc.upsert_daily_bars(pool, [bar("HPG", d, "25000") for d in days])
    assert first == ohlc.UpsertResult(inserted=5, updated=0, unchanged=0)

    again = [bar("HPG", d, "25000") for d in days]
    again[1] = bar("HPG", days[1], "25100")  # a corrected close
    again[2] = bar("HPG", days[2], "25000", volume=None)  # volume now unknown: also a change
    again.append(bar("HPG", date(2025, 2, 3), "26000"))  # new
    again += [bar("HPG", date(2025, 2, 4), "1"), bar("HPG", date(2025, 2, 4), "26500")]  # duplicate key
    second = await ohlc.upsert_daily_bars(pool, again)
    assert second == ohlc.UpsertResult(inserted=2, updated=2, unchanged=3, duplicates_in_batch=1)

    stored = await ohlc.daily_bars(pool, "HPG", date(2025, 1, 1), date(2025, 12, 31))
    assert [b.date for b in stored] == days + [date(2025, 2, 3), date(2025, 2, 4)]
    assert stored[1].close == D("25100.00") and stored[2].volume is None
    assert stored[-1] == bar("HPG", date(2025, 2, 4), "26500")  # the last duplicate won
    assert await ohlc.upsert_daily_bars(pool, []) == ohlc.UpsertResult(0, 0, 0)


async def test_upsert_thousands_of_bars_in_one_call(pool) -> None:
    symbols = [f"S{i:03d}" for i in range(40)]
    bars = [bar(s, date(2024, 1, 1) + timedelta(days=d), str(10000 + d)) for s in symbols for d in range(300)]
    assert await ohlc.upsert_daily_bars(pool, bars) == ohlc.UpsertResult(12_000, 0, 0)
    assert await ohlc.upsert_daily_bars(pool, bars) == ohlc.UpsertResult(0, 0, 12_000)


async def test_daily_reads_ranges_columns_and_coverage(pool) -> None:
    days = [date(2025, 1, 2), date(2025, 1, 3), date(2025, 1, 6)]
    await ohlc.upsert_daily_bars(pool, [bar("VIC", d, "40000") for d in days] +
                                 [DailyBar("VIC", date(2025, 1, 7), None, None, None, None, None),
                                  bar("VHM", date(2025, 1, 2), "50000")])
    # inclusive bounds
    assert [b.date for b in await ohlc.daily_bars(pool, "VIC", date(2025, 1, 3), date(2025, 1, 6))] == days[1:]
    cols = await ohlc.daily_columns(pool, "VIC", date(2025, 1, 1), date(2025, 1, 31))
    assert cols.date.tolist() == days + [date(2025, 1, 7)]
    assert cols.close[:3].tolist() == [40000.0] * 3 and np.isnan(cols.close[3]) and np.isnan(cols.volume[3])
    assert await ohlc.dates_present(pool, "VIC", date(2025, 1, 3), date(2025, 1, 31)) == {
        date(2025, 1, 3), date(2025, 1, 6), date(2025, 1, 7)}
    cov = await ohlc.coverage(pool, ["VIC", "VHM", "NONE"])
    assert cov["VIC"] == ohlc.Coverage("VIC", date(2025, 1, 2), date(2025, 1, 7), 4)
    assert set(cov) == {"VIC", "VHM"}


# ---------------------------------------------------------------------------------------- foreign


async def test_foreign_between_and_columns(pool) -> None:
    t0 = vn(2025, 3, 14, 9, 0)
    rows = [
        ("SSI", 1000 * i, 400 * i, 600 * i, D("12.50") * i, D("3.25"), t0 + timedelta(minutes=i),
         D("31000000.00") * i, D("12000000.00"), 5_000_000 - i)
        for i in range(1, 6)
    ]
    rows.append(("SSI", 1, 2, -1, None, None, t0 + timedelta(minutes=6), None, None, None))
    rows.append(("SHB", 1, 1, 0, D(0), D(0), t0, None, None, None))
    await pool.copy_records_to_table("foreign_snapshots", records=rows, columns=list(FOREIGN_COPY_COLUMNS))
    got = await foreign.foreign_between(pool, "SSI", t0, t0 + timedelta(hours=1), limit=3, offset=1)
    assert [g.buy_volume for g in got] == [2000, 3000, 4000]
    assert got[0].net_volume == 1200 and got[0].buy_speed_per_min == D("25.00")
    assert got[0].buy_value == D("62000000.00") and got[0].room_left == 4_999_998
    assert got[0].timestamp == t0 + timedelta(minutes=2)
    last = (await foreign.foreign_between(pool, "SSI", t0, t0 + timedelta(hours=1), offset=5))[0]
    assert (last.buy_value, last.buy_speed_per_min, last.room_left) == (D(0), D(0), None)
    assert (await foreign.latest_foreign(pool, "SSI")) == last
    cols = await foreign.foreign_columns(pool, "SSI", t0, t0 + timedelta(minutes=3))
    assert cols.net_volume.tolist() == [600, 1200] and cols.buy_speed_per_min.tolist() == [12.5, 25.0]


# ------------------------------------------------------------------------------------------ basis


async def test_basis_between_all_contracts_or_one(pool) -> None:
    t0 = vn(2025, 3, 14, 9, 0)
    rows = [("VN30F2503", D("1350.5") + i, D("1340.25"), D("10.25") + i, t0 + timedelta(seconds=i))
            for i in range(4)]
    rows.append(("VN30F2504", D("1352"), D("1340.25"), D("11.75"), t0 + timedelta(seconds=1)))
    await pool.copy_records_to_table("basis_history", records=rows, columns=list(BASIS_COPY_COLUMNS))
    window = (t0, t0 + timedelta(minutes=1))
    everything = await basis.basis_between(pool, *window)
    assert [(p.futures_symbol, p.basis) for p in everything[:3]] == [
        ("VN30F2503", D("10.25")), ("VN30F2503", D("11.25")), ("VN30F2504", D("11.75"))]
    front = await basis.basis_between(pool, *window, limit=2, offset=1, futures_symbol="VN30F2503")
    assert [p.futures_price for p in front] == [D("1351.50"), D("1352.50")]
    assert front[0].timestamp == t0 + timedelta(seconds=1)
    cols = await basis.basis_columns(pool, *window, futures_symbol="VN30F2504")
    assert cols.basis.tolist() == [11.75] and len(await basis.basis_columns(pool, *window)) == 5


# ----------------------------------------------------------------------------------------- alerts


async def _seed_alerts(pool) -> datetime:  # type: ignore[no-untyped-def]
    t0 = vn(2025, 3, 14, 9, 30)
    rows = [
        ("FPT", "ceiling_hit", "FPT at ceiling", "warning", t0),
        ("FPT", "block_trade", "FPT block 12bn", "info", t0 + timedelta(minutes=1)),
        ("VNM", "foreign_surge", "VNM foreign net buy", "warning", t0 + timedelta(minutes=1)),
        ("FPT", "active_imbalance", "FPT 85% buy", "info", t0 + timedelta(minutes=2)),
        ("VN30F2503", "basis_flip", "premium -> discount", "info", t0 + timedelta(days=1)),
    ]
    await pool.copy_records_to_table("alerts", records=rows, columns=list(ALERT_COPY_COLUMNS))
    return t0


async def test_list_alerts_newest_first_filtered_and_paged(pool) -> None:
    t0 = await _seed_alerts(pool)
    page = await alerts.list_alerts(pool, alerts.AlertFilter(), limit=3)
    assert [a.alert_type for a in page] == ["basis_flip", "active_imbalance", "foreign_surge"]
    # equal created_at: the higher id (inserted later) first, stable across pages
    nxt = await alerts.list_alerts(pool, alerts.AlertFilter(), limit=3, offset=3)
    assert [a.alert_type for a in nxt] == ["block_trade", "ceiling_hit"]
    fpt_info = alerts.AlertFilter(symbol="FPT", severity=Severity.INFO)
    assert [a.alert_type for a in await alerts.list_alerts(pool, fpt_info)] == ["active_imbalance", "block_trade"]
    assert await alerts.count_alerts(pool, fpt_info) == 2
    day = alerts.AlertFilter(start=vn(2025, 3, 14), end=vn(2025, 3, 15), alert_type="ceiling_hit")
    (hit,) = await alerts.list_alerts(pool, day)
    assert hit.message == "FPT at ceiling" and hit.created_at == t0 and hit.acknowledged_at is None
    assert await alerts.count_alerts(pool) == 5
    # a hostile-looking value is only ever a parameter
    assert await alerts.count_alerts(pool, alerts.AlertFilter(symbol="x' OR '1'='1")) == 0


async def test_acknowledge_sets_time_and_note_and_filters_unacknowledged(pool) -> None:
    await _seed_alerts(pool)
    target = (await alerts.list_alerts(pool, alerts.AlertFilter(alert_type="foreign_surge")))[0]
    acked = await alerts.acknowledge(pool, target.id, "checked: ETF rebalancing")
    assert acked.note == "checked: ETF rebalancing" and acked.acknowledged_at is not None
    again = await alerts.acknowledge(pool, target.id, "second note")
    assert again.acknowledged_at == acked.acknowledged_at and again.note == "second note"
    open_ones = await alerts.list_alerts(pool, alerts.AlertFilter(unacknowledged_only=True))
    assert target.id not in {a.id for a in open_ones} and len(open_ones) == 4
    with pytest.raises(alerts.AlertNotFoundError):
        await alerts.acknowledge(pool, 999_999, None)


async def test_alerts_between_for_chart_markers(pool) -> None:
    t0 = await _seed_alerts(pool)
    marks = await alerts.alerts_between(pool, "FPT", t0, t0 + timedelta(minutes=2))
    assert [m.alert_type for m in marks] == ["ceiling_hit", "block_trade"]  # oldest first, end exclusive
