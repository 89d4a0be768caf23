"""Today's running bar on the daily chart: from the live statistics until daily_ohlc holds the day."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pytest

from desktop_app.database.repositories import ohlc_repository
from desktop_app.domain import ClassifiedTrade, DailyBar, Trade, TradeType, TradingSession
from desktop_app.processing.live_stats import LiveStats
from desktop_app.services.history import HistoryService
from desktop_app.ui.async_tasks import wait_until
from desktop_app.ui.charts.chart_tabs import ChartTabs
from desktop_app.ui.history_source import HistorySource
from tests.support import known_history as seed
from tests.ui.conftest import open_pool


@pytest.fixture
def tabs(qtbot):  # type: ignore[no-untyped-def]
    widget = ChartTabs()
    widget.resize(1000, 700)
    qtbot.addWidget(widget)
    widget.show()
    return widget


def next_weekday(d: date) -> date:
    d += timedelta(days=1)
    while d.weekday() >= 5:
        d += timedelta(days=1)
    return d


def feed(stats: LiveStats, day: date, prints: list[tuple[int, int, int, TradeType]]) -> None:
    """(price, volume, cumulative volume, type) prints of ``day`` through the real LiveStats."""
    for i, (price, volume, total, kind) in enumerate(prints):
        ts = seed.vn(9, 20 + i, day=day)
        trade = Trade(seed.SYMBOL, "HOSE", day, ts, Decimal(price), volume, total, Decimal(0), Decimal(95_000),
                      None, None, None, None, None, TradingSession.CONTINUOUS, None)
        stats.on_trade(trade, ClassifiedTrade(seed.SYMBOL, Decimal(price), volume, Decimal(price * volume),
                                              kind, None, None, ts))


def test_running_bar_is_drawn_until_the_day_is_stored(qrun, database_url: str, tabs: ChartTabs) -> None:  # type: ignore[no-untyped-def]
    bars = seed.daily_bars()
    today = next_weekday(bars[-1].date)
    stats = LiveStats()
    stats.start_day(today)
    feed(stats, today, [(95_000, 1_000, 1_000, TradeType.BUY), (96_500, 500, 1_500, TradeType.BUY),
                        (94_200, 700, 2_200, TradeType.SELL), (95_800, 300, 2_500, TradeType.BUY)])

    async def scenario() -> None:
        db = await open_pool(database_url)
        try:
            await ohlc_repository.upsert_daily_bars(db.pool, bars)
            tabs.set_source(HistorySource(HistoryService(db.pool)))
            tabs.attach_stats(stats)
            tabs.show_symbol(seed.SYMBOL)
            await tabs.wait_loaded()
            await wait_until(lambda: tabs.daily.live_bar is not None)
            candle = tabs.daily.live_candle.data
            assert tabs.daily.live_candle.isVisible()
            assert list(candle.x) == [float(len(bars))]  # right after the last stored day
            assert np.allclose([candle.open[0], candle.high[0], candle.low[0], candle.close[0]],
                               [95.0, 96.5, 94.2, 95.8])
            assert tabs.daily.live_volume.total().tolist() == [2_500.0]
            assert tabs.daily.axis.date_at(len(bars)) == today
            assert len(tabs.daily.series.dates) == len(bars)  # the stored series is untouched
            # in view, and the read-out says it is live
            (x0, x1), _ = tabs.daily.price_plot.vb.viewRange()
            assert x0 < len(bars) < x1
            tabs.daily.crosshair.move_to(float(len(bars)), 95.0)
            assert "(live)" in tabs.daily.readout_label.text() and "C 95.80" in tabs.daily.readout_label.text()

            # a new print moves the running bar (the chart polls the statistics)
            feed(stats, today, [(97_000, 400, 2_900, TradeType.BUY)])
            await wait_until(lambda: tabs.daily.live_bar is not None and tabs.daily.live_bar.close == 97_000)
            assert tabs.daily.live_candle.data.high[0] == 97.0

            # once daily_ohlc has the day, the stored bar replaces the running one
            stored = DailyBar(seed.SYMBOL, today, Decimal(95_000), Decimal(97_000), Decimal(94_200),
                              Decimal(97_000), 2_900)
            await ohlc_repository.upsert_daily_bars(db.pool, [stored])
            tabs.reload(basis=False)
            await tabs.wait_loaded()
        finally:
            await db.close()
        assert tabs.daily.live_bar is None and not tabs.daily.live_candle.isVisible()
        assert tabs.daily.series.dates[-1] == today and len(tabs.daily.series.dates) == len(bars) + 1
        assert tabs.daily.axis.date_at(len(bars)) == today and tabs.daily.axis.date_at(len(bars) + 1) is None

    qrun(scenario())


def test_no_running_bar_for_another_symbol_or_without_prints(qrun, database_url: str, tabs: ChartTabs) -> None:  # type: ignore[no-untyped-def]
    bars = seed.daily_bars(n=20)
    today = next_weekday(bars[-1].date)
    stats = LiveStats()
    stats.start_day(today)
    feed(stats, today, [(95_000, 1_000, 1_000, TradeType.BUY)])

    async def scenario() -> None:
        db = await open_pool(database_url)
        try:
            await ohlc_repository.upsert_daily_bars(db.pool, bars)
            tabs.set_source(HistorySource(HistoryService(db.pool)))
            tabs.attach_stats(stats)
            tabs.show_symbol(seed.SYMBOL)
            await tabs.wait_loaded()
            await wait_until(lambda: tabs.daily.live_bar is not None)
            tabs.show_symbol("VNM")  # no prints of VNM today
            await tabs.wait_loaded()
        finally:
            await db.close()
        assert tabs.daily.live_bar is None and not tabs.daily.live_candle.isVisible()

    qrun(scenario())
