"""History charts against a seeded database: what is plotted is what the database holds."""

from __future__ import annotations

import os
import time
from datetime import date, datetime, timezone

import numpy as np
import pyqtgraph as pg
import pytest

from desktop_app.database.repositories import trade_repository
from desktop_app.services.history import HistoryService
from desktop_app.ui.charts.axes import MarketTimeAxis, TradingDayAxis, market_x
from desktop_app.ui.charts.chart_tabs import ChartTabs
from desktop_app.ui.charts.daily_chart import DailyChart, DailySeries
from desktop_app.ui.charts.items import MIN_BAR_PX
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


def finite(line: pg.PlotDataItem) -> tuple[np.ndarray, np.ndarray]:
    """The plotted points, without the NaN breaks inserted over long pauses."""
    x, y = line.getOriginalDataset()
    keep = np.isfinite(y)
    return x[keep], y[keep]


def epoch(ts: datetime) -> float:
    return ts.timestamp()


def test_each_chart_plots_the_database_rows(qrun, database_url: str, tabs: ChartTabs) -> None:  # type: ignore[no-untyped-def]
    async def scenario() -> None:
        db = await open_pool(database_url)
        try:
            await seed.seed_all(db.pool)
            tabs.set_source(HistorySource(HistoryService(db.pool)))
            tabs.set_day(seed.DAY)
            tabs.show_symbol(seed.SYMBOL)
            await tabs.wait_loaded()
            minute = await trade_repository.minute_bars(db.pool, seed.SYMBOL, seed.vn(0, 0), seed.vn(23, 59))
        finally:
            await db.close()

        # daily candles + volume = daily_ohlc, prices in thousands of VND
        bars = seed.daily_bars()
        candles = tabs.daily.candles.data
        assert np.allclose(candles.close, [float(b.close) / 1000 for b in bars])
        assert np.allclose(candles.high, [float(b.high) / 1000 for b in bars])
        assert np.allclose(candles.open, [float(b.open) / 1000 for b in bars])
        assert np.array_equal(candles.x, np.arange(len(bars)))  # trading days without gaps
        assert np.allclose(tabs.daily.volume_bars.total(), [b.volume for b in bars])
        assert tabs.daily.axis.date_at(0) == bars[0].date and tabs.daily.axis.date_at(len(bars) - 1) == bars[-1].date

        # intraday price line = every print of the day, in order (x in market time: lunch cut out)
        x, y = tabs.intraday.price_line.getOriginalDataset()
        matched = [t for t in seed.TRADES if t[3] != "put_through"]  # put-through is off-book
        drawn = np.isfinite(y)
        assert np.array_equal(x[drawn], market_x(np.array([epoch(t[0]) for t in matched])))
        assert np.allclose(y[drawn], [t[1] / 1000 for t in matched])
        assert (~drawn).sum() == 2  # broken over the two pauses > 10 min (09:17-10:01, 10:01-14:45)
        # volume per minute by type = the SQL minute aggregation
        bars_x = tabs.intraday.volume_bars.x - 30.0
        stacks = tabs.intraday.volume_bars.stacks
        assert np.array_equal(bars_x, market_x(minute.minute_epoch_s.astype(np.float64)))
        assert np.allclose(stacks[0], minute.buy_volume)
        assert np.allclose(stacks[1], minute.sell_volume)
        assert np.allclose(stacks[2], minute.neutral_volume)
        assert np.allclose(stacks[3], minute.auction_volume)
        assert "put-through 50,000 sh" in tabs.intraday.status_label.text()
        # alert markers on the intraday price chart: the symbol's alerts of that day
        spots = tabs.intraday.markers.points()
        assert sorted(s.pos().x() for s in spots) == [market_x(epoch(a[4])) for a in seed.ALERTS
                                                      if a[0] == seed.SYMBOL]
        assert any("FPT hit ceiling" in s.data() for s in spots)

        # foreign flow
        fx, fbuy = finite(tabs.foreign.buy_line)
        assert np.array_equal(fx, market_x(np.array([epoch(r[0]) for r in seed.FOREIGN])))
        assert np.allclose(fbuy, [r[1] for r in seed.FOREIGN])
        assert np.allclose(finite(tabs.foreign.sell_line)[1], [r[2] for r in seed.FOREIGN])
        assert np.allclose(finite(tabs.foreign.net_line)[1], [r[1] - r[2] for r in seed.FOREIGN])
        assert np.allclose(finite(tabs.foreign.buy_speed_line)[1], [float(r[3]) for r in seed.FOREIGN])

        # basis: futures vs VN30, the basis line around a zero line, basis alerts marked
        assert np.array_equal(finite(tabs.basis.futures_line)[0], market_x(np.array([epoch(r[0]) for r in seed.BASIS])))
        assert np.allclose(finite(tabs.basis.futures_line)[1], [float(r[1]) for r in seed.BASIS])
        assert np.allclose(finite(tabs.basis.spot_line)[1], [float(r[2]) for r in seed.BASIS])
        assert np.allclose(finite(tabs.basis.basis_line)[1], [float(r[3]) for r in seed.BASIS])
        assert tabs.basis.zero_line.value() == 0
        basis_marks = tabs.basis.markers.points()
        assert sorted(float(s.pos().y()) for s in basis_marks) == [-2.4, 18.0]

    qrun(scenario())


def test_daily_alert_marker_and_readout(qrun, database_url: str, tabs: ChartTabs) -> None:  # type: ignore[no-untyped-def]
    async def scenario() -> None:
        db = await open_pool(database_url)
        try:
            await seed.seed_all(db.pool)
            await db.pool.execute("INSERT INTO alerts (symbol, alert_type, message, severity, created_at)"
                                  " VALUES ('FPT', 'block_trade', 'old block', 'info', $1)",
                                  seed.vn(10, 0, day=date(2023, 6, 1)))
            tabs.set_source(HistorySource(HistoryService(db.pool)))
            tabs.show_symbol(seed.SYMBOL)
            await tabs.wait_loaded()
        finally:
            await db.close()
        bars = seed.daily_bars()
        i = [b.date for b in bars].index(date(2023, 6, 1))
        spots = tabs.daily.markers.points()
        assert [s.pos().x() for s in spots] == [float(i)]
        assert "old block" in spots[0].data()
        tabs.daily.crosshair.move_to(float(i), 90.0)
        text = tabs.daily.readout_label.text()
        assert "01/06/2023" in text and f"C {float(bars[i].close) / 1000:,.2f}" in text

    qrun(scenario())


def test_a_newer_symbol_choice_wins_over_a_stale_load(qrun, database_url: str, tabs: ChartTabs) -> None:  # type: ignore[no-untyped-def]
    async def scenario() -> None:
        db = await open_pool(database_url)
        try:
            await seed.seed_all(db.pool)
            tabs.set_source(HistorySource(HistoryService(db.pool)))
            tabs.set_day(seed.DAY)
            tabs.show_symbol("VNM")
            tabs.show_symbol(seed.SYMBOL)  # before VNM's loads had a chance to finish
            await tabs.wait_loaded()
        finally:
            await db.close()
        assert len(tabs.intraday.columns) == len(seed.TRADES)
        assert tabs.symbol_label.text() == f"<b>{seed.SYMBOL}</b>"

    qrun(scenario())


def test_live_prints_are_appended_for_today(qrun, database_url: str, tabs: ChartTabs) -> None:  # type: ignore[no-untyped-def]
    from decimal import Decimal

    from desktop_app.domain import ClassifiedTrade, TradeType
    from desktop_app.ui.async_tasks import wait_until
    from desktop_app.market_clock import vn_today as vietnam_today

    async def scenario() -> None:
        db = await open_pool(database_url)
        try:
            tabs.set_source(HistorySource(HistoryService(db.pool)))
            tabs.set_day(vietnam_today())
            tabs.show_symbol("HPG")
            await tabs.wait_loaded()
            now = datetime.now(timezone.utc)
            for i, kind in enumerate((TradeType.BUY, TradeType.SELL, TradeType.BUY)):
                tabs.on_live_trade(ClassifiedTrade("HPG", Decimal(27_000 + 50 * i), 100 * (i + 1),
                                                   Decimal(0), kind, None, None, now))
            tabs.on_live_trade(ClassifiedTrade("VNM", Decimal(1), 1, Decimal(0), TradeType.BUY, None, None, now))
            old_day = seed.vn(10, 0)  # a replayed print of another day: not for today's chart
            tabs.on_live_trade(ClassifiedTrade("HPG", Decimal(1), 1, Decimal(0), TradeType.BUY, None, None, old_day))
            await wait_until(lambda: len(tabs.intraday.columns) == 3)
        finally:
            await db.close()
        assert np.allclose(tabs.intraday.price_line.getOriginalDataset()[1], [27.0, 27.05, 27.1])
        stacks = tabs.intraday.volume_bars.stacks
        assert stacks[0].sum() == 100 + 300 and stacks[1].sum() == 200

    qrun(scenario())


def test_png_export_writes_an_image(tabs: ChartTabs, tmp_path) -> None:  # type: ignore[no-untyped-def]
    series = DailySeries.from_bars(seed.daily_bars(n=50))
    tabs.daily.set_series(series)
    path = tabs.daily.export_png(tmp_path / "daily.png")
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 2000


def test_ten_years_zoomed_out_draws_buckets_not_every_bar(qtbot) -> None:  # type: ignore[no-untyped-def]
    chart = DailyChart()
    chart.resize(1400, 500)
    qtbot.addWidget(chart)
    chart.show()
    bars = seed.daily_bars(n=2600, first=date(2014, 1, 1))
    chart.set_series(DailySeries.from_bars(bars))
    # one trading year at first, bar by bar
    qtbot.waitUntil(lambda: 250 <= chart.candles.last_paint_buckets <= 260)
    chart.price_plot.setXRange(0, len(bars), padding=0)
    qtbot.waitUntil(lambda: chart.candles.last_paint_buckets > 260)
    # one merged candle per ~3 px, not one per day
    assert chart.candles.last_paint_buckets <= chart.price_plot.vb.width() / MIN_BAR_PX + 2 < len(bars) / 4
    # zoomed out, the axis labels years
    labels = chart.axis.tickStrings(chart.axis.tickValues(0, len(bars), 1300)[0][1], 1, 1)
    assert "2015" in labels and "2020" in labels


def test_time_axis_reads_vietnam_time_whatever_the_machine_zone(qtbot) -> None:  # type: ignore[no-untyped-def]
    old = os.environ.get("TZ")
    os.environ["TZ"] = "America/New_York"
    time.tzset()
    try:
        axis = MarketTimeAxis()  # the intraday charts' axis (x = market seconds)
        plot = pg.PlotWidget(axisItems={"bottom": axis})
        qtbot.addWidget(plot)
        plot.resize(800, 300)
        plot.show()
        t = market_x(seed.vn(9, 15).timestamp())
        plot.setXRange(t - 1800, t + 1800, padding=0)
        qtbot.waitExposed(plot)
        values = axis.tickValues(t - 1800, t + 1800, 800)
        spacing = next(level[0] for level in values if t in level[1])
        assert axis.tickStrings([t], 1, spacing)[0] == "09:15"
    finally:
        if old is None:
            os.environ.pop("TZ")
        else:
            os.environ["TZ"] = old
        time.tzset()


def test_trading_day_axis_maps_index_to_date() -> None:
    axis = TradingDayAxis()
    days = [b.date for b in seed.daily_bars(n=40)]
    axis.set_dates(days)
    ticks = axis.tickValues(0, 39, 1000)[0][1]
    labels = axis.tickStrings(ticks, 1, 1)
    assert all(label for label in labels)
    assert labels[0] == days[int(ticks[0])].strftime("%d/%m")
