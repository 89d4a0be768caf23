"""What a trader sees the charts do: hovering never resizes the window, the read-out goes away when
the mouse does or the symbol changes, the y-axis follows the zoom, candles match the prints, the
lunch break is cut out, and every axis reads dates or times."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPointF
from PySide6.QtWidgets import QApplication

from desktop_app.database.repositories import ohlc_repository, trade_repository
from desktop_app.domain import DailyBar
from desktop_app.market_rules import hose_limits
from desktop_app.ui.charts.axes import BarTimeAxis, MarketTimeAxis, TradingDayAxis, market_x
from desktop_app.ui.charts.chart_tabs import ChartTabs
from desktop_app.ui.charts.daily_chart import LONE_BAR_SPAN, MIN_VISIBLE_BARS, DailyChart, DailySeries, LiveDailyBar
from desktop_app.ui.charts.intraday_bars_chart import BarColumns, IntradayBarsChart
from desktop_app.ui.charts.intraday_chart import TYPE_CODES, IntradayChart, TradeColumns
from desktop_app.ui.charts.panel import ChartPanel, scene_point
from desktop_app.services.history import HistoryService
from desktop_app.ui.history_source import HistorySource
from desktop_app.domain import TradeType
from tests.support import known_history as seed
from tests.ui.conftest import open_pool

DATE_LABEL = re.compile(r"^(\d\d/\d\d(/\d{4})?|[A-Z][a-z]{2}( \d{4})?|\d{4})$")
TIME_LABEL = re.compile(r"^\d\d:\d\d(:\d\d)?$")


@pytest.fixture
def window(chart_window):  # type: ignore[no-untyped-def]
    return chart_window


def columns(rows: list[tuple[float, int, int, TradeType]]) -> TradeColumns:
    """(epoch s, price VND, volume, type) rows as the chart's columns."""
    return TradeColumns(
        ts=np.array([r[0] for r in rows], dtype=np.float64),
        price=np.array([r[1] for r in rows], dtype=np.float64),
        volume=np.array([r[2] for r in rows], dtype=np.float64),
        type_code=np.array([TYPE_CODES[r[3]] for r in rows], dtype=np.int8),
    )


def hover(qtbot, chart: ChartPanel, fx: float, fy: float = 0.5) -> None:  # type: ignore[no-untyped-def]
    """Move the mouse to a fraction (fx, fy) of the first crosshair plot's view."""
    plot = chart.crosshairs[0].plot
    (x0, x1), (y0, y1) = plot.vb.viewRange()
    pos = scene_point(plot, x0 + fx * (x1 - x0), y0 + fy * (y1 - y0))
    plot.scene().sigMouseMoved.emit(pos)


def charts_of(tabs: ChartTabs) -> list[ChartPanel]:
    return [tabs.intraday, tabs.intraday_bars, tabs.daily, tabs.foreign, tabs.basis]


def show(tabs: ChartTabs, chart: ChartPanel) -> None:
    if chart in (tabs.intraday, tabs.intraday_bars):
        tabs.tabs.setCurrentWidget(tabs.intraday_stack)
        tabs.intraday_stack.setCurrentWidget(chart)
    else:
        tabs.tabs.setCurrentWidget(chart)


async def seeded_tabs(pool, tabs: ChartTabs) -> None:  # type: ignore[no-untyped-def]
    await seed.seed_all(pool)
    await seed.seed_days(pool, seed.earlier_weekdays(6))
    tabs.set_source(HistorySource(HistoryService(pool)))
    tabs.set_day(seed.DAY)
    tabs.show_symbol(seed.SYMBOL)
    await tabs.wait_loaded()


# --------------------------------------------------------------------------- read-outs


def test_hovering_every_chart_never_changes_the_window_width(qrun, qtbot, database_url: str, window) -> None:  # type: ignore[no-untyped-def]
    tabs: ChartTabs = window.centralWidget()

    async def scenario() -> None:
        db = await open_pool(database_url)
        try:
            await seeded_tabs(db.pool, tabs)
            bars_loaded = []
            for span in ("5 days", "1 year"):
                tabs.set_range(span)
                await tabs.wait_loaded()
                bars_loaded.append(len(tabs.intraday_bars.columns))
            tabs.set_range("Day")
            await tabs.wait_loaded()
        finally:
            await db.close()
        assert all(bars_loaded)

    qrun(scenario())  # the bars chart keeps the year's bars while the day is shown
    QApplication.processEvents()
    width = window.width()
    assert width <= 1366
    # a status line far longer than any screen must not widen anything either
    tabs.intraday.set_status("put-through " + "1,000,000 sh · " * 40)
    hinted = {chart: (chart.sizeHint().width(), chart.minimumSizeHint().width()) for chart in charts_of(tabs)}
    window_min = window.minimumSizeHint().width()
    seen = 0
    for chart in charts_of(tabs):
        show(tabs, chart)
        QApplication.processEvents()
        for fx in (0.12, 0.3, 0.5, 0.7, 0.9):
            hover(qtbot, chart, fx)
            qtbot.waitUntil(lambda: chart.readout_label.text() != "", timeout=3000)
            seen += 1
            QApplication.processEvents()
            assert window.width() == width
            assert (chart.sizeHint().width(), chart.minimumSizeHint().width()) == hinted[chart]
            assert window.minimumSizeHint().width() == window_min
    assert seen == 25
    assert len(tabs.daily.readout_label.text()) > 30  # a real, long read-out was on screen


def test_the_readout_clears_when_the_mouse_leaves(qtbot) -> None:  # type: ignore[no-untyped-def]
    chart = DailyChart()
    chart.resize(900, 500)
    qtbot.addWidget(chart)
    chart.show()
    chart.set_series(DailySeries.from_bars(seed.daily_bars(n=60)))
    crosshair = chart.crosshair
    hover(qtbot, chart, 0.5)
    qtbot.waitUntil(lambda: chart.readout_label.text() != "", timeout=3000)
    assert crosshair.vline.isVisible() and crosshair.hline.isVisible()
    QApplication.sendEvent(chart.layout_widget, QEvent(QEvent.Type.Leave))  # out of the chart
    assert chart.readout_label.text() == ""
    assert not crosshair.vline.isVisible() and not crosshair.hline.isVisible()
    hover(qtbot, chart, 0.5)
    qtbot.waitUntil(lambda: chart.readout_label.text() != "", timeout=3000)
    # onto the axis or the volume pane: off the price plot, so the price read-out goes
    chart.price_plot.scene().sigMouseMoved.emit(QPointF(1.0, 1.0))
    qtbot.waitUntil(lambda: chart.readout_label.text() == "", timeout=3000)
    assert not crosshair.vline.isVisible()


def test_the_readout_clears_when_the_symbol_changes(qrun, qtbot, database_url: str, window) -> None:  # type: ignore[no-untyped-def]
    tabs: ChartTabs = window.centralWidget()

    async def scenario() -> None:
        db = await open_pool(database_url)
        try:
            await seeded_tabs(db.pool, tabs)
            inside = market_x(seed.vn(9, 30).timestamp())
            for chart, x in ((tabs.intraday, inside), (tabs.daily, 10.0), (tabs.foreign, inside),
                             (tabs.basis, inside)):
                show(tabs, chart)
                chart.crosshairs[0].move_to(x, 1.0)
                assert chart.readout_label.text() != ""
            tabs.show_symbol("HPG")  # nothing stored for HPG
            # gone at once, before the new symbol's loads finish...
            assert [c.readout_label.text() for c in charts_of(tabs)] == [""] * 5
            await tabs.wait_loaded()
        finally:
            await db.close()
        # ... and still gone over "No trades stored"
        assert [c.readout_label.text() for c in charts_of(tabs)] == [""] * 5
        assert not tabs.intraday.crosshair.vline.isVisible()
        assert "No trades" in tabs.intraday.status_label.text()

    qrun(scenario())


# --------------------------------------------------------------------------- zoom


def _two_level_day() -> TradeColumns:
    """A morning around 90,000 VND and an afternoon around 100,000 VND, a print a minute."""
    rows = []
    for i in range(120):  # 09:15 .. 11:14
        rows.append((seed.vn(9, 15).timestamp() + 60 * i, 90_000 + 100 * (i % 5), 100, TradeType.BUY))
    for i in range(100):  # 13:00 .. 14:39
        rows.append((seed.vn(13, 0).timestamp() + 60 * i, 100_000 + 100 * (i % 3), 1000, TradeType.SELL))
    return columns(rows)


@pytest.mark.parametrize("interval", [60, 0])
def test_the_y_axis_follows_every_zoom(qtbot, interval: int) -> None:  # type: ignore[no-untyped-def]
    chart = IntradayChart()
    chart.resize(1000, 600)
    qtbot.addWidget(chart)
    chart.show()
    chart.set_columns(_two_level_day())
    chart.set_interval(interval)
    vb = chart.price_plot.vb
    qtbot.waitUntil(lambda: vb.viewRange()[1][0] < 90.0 and vb.viewRange()[1][1] > 100.2)
    # zoom into the morning (09:36-09:49): the y-axis shows the morning's prices only
    chart.price_plot.setXRange(market_x(seed.vn(9, 36).timestamp()), market_x(seed.vn(9, 49).timestamp()),
                               padding=0)
    qtbot.waitUntil(lambda: 89.0 < vb.viewRange()[1][0] and vb.viewRange()[1][1] < 91.0, timeout=3000)
    # the wheel (x only): zoom out around the afternoon
    vb.scaleBy(x=0.5, center=QPointF(market_x(seed.vn(14, 0).timestamp()), 95.0))
    chart.price_plot.setXRange(market_x(seed.vn(13, 30).timestamp()), market_x(seed.vn(14, 30).timestamp()),
                               padding=0)
    qtbot.waitUntil(lambda: 99.0 < vb.viewRange()[1][0] and vb.viewRange()[1][1] < 101.0, timeout=3000)
    # a pan back to the morning rescales again
    vb.translateBy(x=market_x(seed.vn(9, 45).timestamp()) - market_x(seed.vn(14, 0).timestamp()))
    qtbot.waitUntil(lambda: 89.0 < vb.viewRange()[1][0] and vb.viewRange()[1][1] < 91.0, timeout=3000)
    # the volume pane follows too: morning volumes are 100 a minute, afternoon 1000
    qtbot.waitUntil(lambda: chart.volume_plot.vb.viewRange()[1][1] < 500, timeout=3000)


def test_the_daily_y_axis_follows_the_zoom(qtbot) -> None:  # type: ignore[no-untyped-def]
    chart = DailyChart()
    chart.resize(1000, 600)
    qtbot.addWidget(chart)
    chart.show()
    bars = seed.daily_bars(n=300)
    series = DailySeries.from_bars(bars)
    chart.set_series(series)
    chart.price_plot.setXRange(10, 30, padding=0)
    lo, hi = series.low[10:31].min() / 1000, series.high[10:31].max() / 1000
    vb = chart.price_plot.vb
    qtbot.waitUntil(lambda: lo - 1 < vb.viewRange()[1][0] <= lo and hi <= vb.viewRange()[1][1] < hi + 1,
                    timeout=3000)


# --------------------------------------------------------------------------- candles


def test_five_minute_candles_are_the_prints_binned(qrun, database_url: str, window) -> None:  # type: ignore[no-untyped-def]
    tabs: ChartTabs = window.centralWidget()

    async def scenario() -> None:
        db = await open_pool(database_url)
        try:
            await seeded_tabs(db.pool, tabs)
            minute = await trade_repository.minute_bars(db.pool, seed.SYMBOL, seed.vn(0, 0), seed.vn(23, 59))
        finally:
            await db.close()
        chart = tabs.intraday
        # put-through: counted in the status line, and the tooltip says why it is not drawn
        assert "put-through 50,000 sh" in chart.status_label.text()
        assert "negotiated" in chart.status_label.toolTip() and "not drawn" in chart.status_label.toolTip()
        # 1-minute candles (the default) = the database's minute aggregate
        assert chart.candles.isVisible() and not chart.price_line.isVisible()
        one = chart.candles.data
        assert np.array_equal(one.x - 30, market_x(minute.minute_epoch_s.astype(np.float64)))
        for got, want in ((one.open, minute.open), (one.high, minute.high), (one.low, minute.low),
                          (one.close, minute.close)):
            assert np.allclose(got, want / 1000)
        # 5-minute candles = a hand computation from the seeded prints (put-through left out)
        chart.set_interval(300)
        buckets: dict[float, list[tuple[int, int]]] = {}
        for ts, price, volume, kind in seed.TRADES:
            if kind != "put_through":
                start = ts.replace(minute=ts.minute - ts.minute % 5, second=0).timestamp()
                buckets.setdefault(start, []).append((price, volume))
        starts = sorted(buckets)
        five = chart.candles.data
        assert np.array_equal(five.x - 150, market_x(np.array(starts)))
        assert list(five.open * 1000) == [buckets[s][0][0] for s in starts]
        assert list(five.close * 1000) == [buckets[s][-1][0] for s in starts]
        assert list(five.high * 1000) == [max(p for p, _ in buckets[s]) for s in starts]
        assert list(five.low * 1000) == [min(p for p, _ in buckets[s]) for s in starts]
        assert list(chart.volume_bars.total()) == [sum(v for _, v in buckets[s]) for s in starts]
        assert chart.volume_plot.getAxis("left").labelText.startswith("Vol/5m")
        # the tick line: every print, held until the next one (steps, not diagonals)
        chart.set_interval(0)
        assert chart.price_line.isVisible() and not chart.candles.isVisible()
        assert chart.price_line.opts["stepMode"] == "left"

    qrun(scenario())


def test_reference_ceiling_floor_and_last_price(qrun, database_url: str, window) -> None:  # type: ignore[no-untyped-def]
    tabs: ChartTabs = window.centralWidget()
    previous_close = 96_400

    async def scenario() -> None:
        db = await open_pool(database_url)
        try:
            await ohlc_repository.upsert_daily_bars(db.pool, [DailyBar(
                seed.SYMBOL, seed.DAY - timedelta(days=1), Decimal(96_000), Decimal(97_000),
                Decimal(95_500), Decimal(previous_close), 1_000_000)])
            await seeded_tabs(db.pool, tabs)
        finally:
            await db.close()
        floor, ceiling = hose_limits(previous_close)
        levels = tabs.intraday.panes.levels
        assert all(line.isVisible() for line in levels.values())
        assert levels["ref"].value() == previous_close / 1000
        assert levels["ceiling"].value() == ceiling / 1000
        assert levels["floor"].value() == floor / 1000
        tag = tabs.intraday.panes.last_tag
        last = [t for t in seed.TRADES if t[3] != "put_through"][-1][1]
        assert tag.isVisible() and tag.value() == last / 1000
        assert tag.label.toPlainText() == f"{last / 1000:,.2f}"

    qrun(scenario())


# --------------------------------------------------------------------------- market time


def test_the_lunch_break_is_cut_out(qtbot) -> None:  # type: ignore[no-untyped-def]
    before, after = seed.vn(11, 29).timestamp(), seed.vn(13, 0).timestamp()
    assert market_x(after) - market_x(before) == 60  # 11:29 -> 13:00 is one minute of market time
    assert market_x(seed.vn(12, 10).timestamp()) == market_x(seed.vn(11, 30).timestamp())
    cols = columns([(seed.vn(11, 28, 30).timestamp(), 90_000, 100, TradeType.BUY),
                    (seed.vn(11, 29, 10).timestamp(), 90_100, 100, TradeType.BUY),
                    (seed.vn(13, 0, 5).timestamp(), 90_200, 100, TradeType.SELL),
                    (seed.vn(13, 1, 50).timestamp(), 90_300, 100, TradeType.SELL)])
    chart = IntradayChart()
    qtbot.addWidget(chart)
    chart.set_columns(cols)
    assert np.array_equal(np.diff(chart.candles.data.x), [60, 60, 60])  # no gap at noon
    assert chart.seams[0].isVisible() and chart.seams[0].value() == market_x(seed.vn(13, 0).timestamp())


@pytest.mark.parametrize("first,last", [((9, 0), (15, 0)), ((9, 36), (9, 49)), ((10, 0), (10, 2)),
                                         ((11, 0), (13, 30))])
def test_the_market_time_axis_labels_every_zoom(qtbot, first, last) -> None:  # type: ignore[no-untyped-def]
    axis = MarketTimeAxis()
    lo, hi = market_x(seed.vn(*first).timestamp()), market_x(seed.vn(*last).timestamp())
    levels = axis.tickValues(lo, hi, 700)
    values = levels[0][1]
    labels = axis.tickStrings(values, 1, levels[0][0])
    assert len(labels) >= 3 and all(TIME_LABEL.match(label) for label in labels)
    assert all(lo <= v <= hi for v in values)
    assert not any("12:" in label for label in labels)  # nothing inside the break
    if first == (11, 0):
        assert "13:00" in labels


def test_multi_day_bars_read_in_market_time(qtbot) -> None:  # type: ignore[no-untyped-def]
    chart = IntradayBarsChart()
    chart.resize(900, 500)
    qtbot.addWidget(chart)
    chart.show()
    # one day of 4-hour bins from Vietnam midnight: 08:00-12:00 and 12:00-16:00
    starts = np.array([seed.vn(8, 0).timestamp(), seed.vn(12, 0).timestamp()])
    z = np.array([97_000.0, 98_000.0])
    chart.set_columns(BarColumns(starts, z, z + 500, z - 500, z + 100, np.ones((4, 2)), timedelta(hours=4)))
    assert chart.axis.local_time_at(0).strftime("%H:%M") == "09:00"  # when trading starts
    assert chart.axis.local_time_at(1).strftime("%H:%M") == "13:00"  # after the lunch break
    assert np.array_equal(chart.candles.data.x, [0, 1])  # candles, not a close line
    assert chart.status_label.text().startswith("2 bars")
    chart.set_columns(BarColumns(starts[:1], z[:1], z[:1], z[:1], z[:1], np.ones((4, 1)), timedelta(hours=4)))
    assert chart.status_label.text().startswith("1 bar") and "1 bars" not in chart.status_label.text()
    chart.crosshair.move_to(0.0, 97.0)
    assert chart.readout_label.text().startswith(f"{seed.DAY:%d/%m/%Y} 09:00")


def test_five_days_of_minute_bars_have_time_labels_between_the_days(qtbot) -> None:  # type: ignore[no-untyped-def]
    days = seed.earlier_weekdays(4) + [seed.DAY]
    minutes = [seed.vn(9, 15).timestamp() + 60 * i for i in range(135)]  # 09:15-11:29
    minutes += [seed.vn(13, 0).timestamp() + 60 * i for i in range(90)]  # 13:00-14:29
    starts = np.array([m + 86400 * (d - seed.DAY).days for d in days for m in minutes])
    axis = BarTimeAxis()
    axis.set_starts(starts)
    labels = [label for spacing, values in axis.tickValues(0, len(starts) - 1, 900)
              for label in axis.tickStrings(values, 1, spacing)]
    assert sum(bool(DATE_LABEL.match(label)) for label in labels) >= 4  # the days...
    assert sum(bool(TIME_LABEL.match(label)) for label in labels) >= 3  # ... and hours between them


# --------------------------------------------------------------------------- daily


@pytest.mark.parametrize("n,width", [(1, 300), (5, 900), (40, 1000), (250, 700), (2600, 1300), (2600, 300)])
def test_the_daily_axis_always_reads_dates(qtbot, n: int, width: int) -> None:  # type: ignore[no-untyped-def]
    axis = TradingDayAxis()
    axis.set_dates([b.date for b in seed.daily_bars(n=n, first=date(2014, 1, 1))])
    labels = [label for spacing, values in axis.tickValues(-0.5, n - 0.5, width)
              for label in axis.tickStrings(values, 1, spacing)]
    assert labels and all(DATE_LABEL.match(label) for label in labels), labels
    assert len(labels) >= min(n, 3)  # a year at 700 px reads its months, not just "2024"


def test_without_history_the_daily_chart_offers_the_backfill(qtbot) -> None:  # type: ignore[no-untyped-def]
    tabs = ChartTabs()
    tabs.resize(1000, 700)
    qtbot.addWidget(tabs)
    tabs.show()
    tabs.tabs.setCurrentWidget(tabs.daily)
    daily = tabs.daily
    daily.set_series(DailySeries.from_bars([]), "ACB")
    assert daily.empty_state.isVisible() and "ACB" in daily.empty_message.text()
    with qtbot.waitSignal(tabs.backfill_requested, timeout=1000):
        daily.backfill_button.click()
    # today's running candle alone sits well inside the view, wide enough to read
    daily.set_live_bar(LiveDailyBar(seed.DAY, 24_000, 24_500, 23_900, 24_300, 1e6))
    (x0, x1), _ = daily.price_plot.vb.viewRange()
    assert x1 - x0 <= LONE_BAR_SPAN + 1 and x0 + 3 < 0 < x1 - 3
    labels = daily.axis.tickStrings(daily.axis.tickValues(x0, x1, 800)[0][1], 1, 1)
    assert labels == [seed.DAY.strftime("%d/%m")]
    # stored history: no banner; a short history fills a few weeks' width with room on the right
    daily.set_series(DailySeries.from_bars(seed.daily_bars(n=3)), "ACB")
    assert not daily.empty_state.isVisible()
    (x0, x1), _ = daily.price_plot.vb.viewRange()
    assert x1 - x0 >= MIN_VISIBLE_BARS and x1 >= 2 + 1.5


def test_todays_levels_come_from_the_live_statistics(qrun, database_url: str, window) -> None:  # type: ignore[no-untyped-def]
    from desktop_app.domain import ClassifiedTrade, Trade, TradingSession
    from desktop_app.processing.live_stats import LiveStats
    from desktop_app.ui.async_tasks import wait_until

    tabs: ChartTabs = window.centralWidget()
    stats = LiveStats()
    stats.start_day(seed.DAY)
    ts = seed.vn(9, 20)
    trade = Trade(seed.SYMBOL, "HOSE", seed.DAY, ts, Decimal(98_000), 100, 100, Decimal(9_800_000),
                  Decimal(97_500), Decimal(104_300), Decimal(90_700), None, None, None,
                  TradingSession.CONTINUOUS, None)
    stats.on_trade(trade, ClassifiedTrade(seed.SYMBOL, Decimal(98_000), 100, Decimal(9_800_000),
                                          TradeType.BUY, None, None, ts))

    async def scenario() -> None:
        db = await open_pool(database_url)
        try:
            await seeded_tabs(db.pool, tabs)  # no stored close before the day: no levels from history
            assert not tabs.intraday.panes.levels["ref"].isVisible()
            tabs.attach_stats(stats)  # the exchange's reference, ceiling and floor of the day
            await wait_until(lambda: tabs.intraday.panes.levels["ref"].isVisible())
        finally:
            tabs.attach_stats(None)
            await db.close()
        levels = tabs.intraday.panes.levels
        assert (levels["ref"].value(), levels["ceiling"].value(), levels["floor"].value()) == (97.5, 104.3, 90.7)
        assert tabs.intraday.panes.last_tag.label.fill.color().name() == "#26c24a"  # above the reference: up

    qrun(scenario())


def test_category_labels_thin_out_instead_of_overlapping(qtbot) -> None:  # type: ignore[no-untyped-def]
    from desktop_app.ui.charts.axes import CategoryAxis

    axis = CategoryAxis()
    names = [f"S{i:02d}X" for i in range(30)]
    axis.set_names(names)
    ((step_wide, wide),) = axis.tickValues(-0.5, 29.5, 3000)  # 100 px a name: every one
    ((step_narrow, narrow),) = axis.tickValues(-0.5, 29.5, 450)  # 15 px a name: thinned
    assert step_wide == 1 and len(wide) == 30
    assert step_narrow > 1 and len(narrow) < 30 and narrow[0] == 0.0
    assert axis.tickStrings(narrow[:2], 1, step_narrow) == [names[0], names[int(step_narrow)]]
