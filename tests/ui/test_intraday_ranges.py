"""Intraday spans longer than a day: what is drawn is the SQL-aggregated bars for the span's bucket."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

from desktop_app.database.repositories import trade_repository
from desktop_app.services.history import HistoryService
from desktop_app.ui.charts.axes import market_x
from desktop_app.ui.charts.chart_tabs import ChartTabs
from desktop_app.market_clock import days_bounds
from desktop_app.ui.charts.intraday_range import RANGES
from desktop_app.ui.history_source import HistorySource
from tests.support import known_history as seed
from tests.ui.conftest import open_pool

SPANS = {r.label: r for r in RANGES}
EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


@pytest.fixture
def tabs(qtbot):  # type: ignore[no-untyped-def]
    widget = ChartTabs()
    widget.resize(1000, 700)
    qtbot.addWidget(widget)
    widget.show()
    return widget


def assert_plots(tabs: ChartTabs, bars: trade_repository.MinuteBars) -> None:
    chart = tabs.intraday_bars
    x, close = chart.candles.data.x, chart.candles.data.close  # candles now, not a close line
    assert len(bars) > 0
    assert np.array_equal(x, np.arange(len(bars)))  # bar index: no empty nights or weekends
    assert np.allclose(close, bars.close / 1000.0)
    assert np.allclose(chart.candles.data.open, bars.open / 1000.0)
    assert np.allclose(chart.candles.data.high, bars.high / 1000.0)
    assert np.allclose(chart.candles.data.low, bars.low / 1000.0)
    stacks = chart.volume_bars.stacks
    assert np.allclose(stacks[0], bars.buy_volume)
    assert np.allclose(stacks[1], bars.sell_volume)
    assert np.allclose(stacks[2], bars.neutral_volume)
    assert np.allclose(stacks[3], bars.auction_volume)


def test_long_ranges_plot_the_bucketed_minute_bars(qrun, database_url: str, tabs: ChartTabs) -> None:  # type: ignore[no-untyped-def]
    async def scenario() -> None:
        db = await open_pool(database_url)
        try:
            await seed.seed_all(db.pool)
            earlier = seed.earlier_weekdays(30)
            await seed.seed_days(db.pool, earlier)
            tabs.set_source(HistorySource(HistoryService(db.pool)))
            tabs.set_day(seed.DAY)
            tabs.show_symbol(seed.SYMBOL)
            await tabs.wait_loaded()
            expected = {}
            for label in ("5 days", "1 month"):
                span = SPANS[label]
                start, end = days_bounds(span.start(seed.DAY), seed.DAY)
                expected[label] = await trade_repository.minute_bars(
                    db.pool, seed.SYMBOL, start, end, bucket=span.bucket)

            tabs.set_range("5 days")
            await tabs.wait_loaded()
            assert tabs.intraday_stack.currentWidget() is tabs.intraday_bars
            five = expected["5 days"]
            assert_plots(tabs, five)
            # the span is the chosen day and the four weekdays before it, one bar per minute
            days_shown = {int(t // 86400) for t in five.minute_epoch_s + 7 * 3600}
            assert len(days_shown) == 5
            assert np.all(np.diff(five.minute_epoch_s) >= 60)
            # the crosshair reads the bar under it: OHLC and the volume split
            i = len(five) - 3
            tabs.intraday_bars.crosshair.move_to(float(i), 90.0)
            text = tabs.intraday_bars.readout_label.text()
            assert f"C {five.close[i] / 1000:,.2f}" in text and f"H {five.high[i] / 1000:,.2f}" in text
            assert f"buy {int(five.buy_volume[i]):,} sell {int(five.sell_volume[i]):,}" in text

            tabs.set_range("1 month")
            await tabs.wait_loaded()
            month = expected["1 month"]
            assert_plots(tabs, month)
            assert tabs.intraday_bars.columns.bucket == timedelta(minutes=15)
            assert len(month) < len(five) * 4  # 15-minute bins keep a month light
            assert "15-min bars" in tabs.intraday_bars.status_label.text()
            # every seeded weekday from the month's first day on, and nothing before it
            first = SPANS["1 month"].start(seed.DAY)
            seeded = [d for d in earlier + [seed.DAY] if d >= first]
            month_days = {int(t // 86400) for t in month.minute_epoch_s + 7 * 3600}
            assert month_days == {d.toordinal() - EPOCH_ORDINAL for d in seeded}

            tabs.set_range("Day")
            await tabs.wait_loaded()
        finally:
            await db.close()
        assert tabs.intraday_stack.currentWidget() is tabs.intraday
        x, y = tabs.intraday.price_line.getOriginalDataset()
        drawn = np.isfinite(y)
        matched = [t for t in seed.TRADES if t[3] != "put_through"]
        assert np.array_equal(x[drawn], market_x(np.array([t[0].timestamp() for t in matched])))
        assert np.allclose(y[drawn], [t[1] / 1000 for t in matched])

    qrun(scenario())


def test_a_newer_range_choice_wins_over_a_stale_load(qrun, database_url: str, tabs: ChartTabs) -> None:  # type: ignore[no-untyped-def]
    async def scenario() -> None:
        db = await open_pool(database_url)
        try:
            await seed.seed_days(db.pool, seed.earlier_weekdays(8))
            tabs.set_source(HistorySource(HistoryService(db.pool)))
            tabs.set_day(seed.DAY)
            tabs.show_symbol(seed.SYMBOL)
            tabs.set_range("1 month")
            tabs.set_range("5 days")  # before the month's load finished
            await tabs.wait_loaded()
            span = SPANS["5 days"]
            start, end = days_bounds(span.start(seed.DAY), seed.DAY)
            five = await trade_repository.minute_bars(db.pool, seed.SYMBOL, start, end, bucket=span.bucket)
        finally:
            await db.close()
        assert tabs.intraday_bars.columns.bucket == span.bucket
        assert_plots(tabs, five)

    qrun(scenario())


def test_range_starts() -> None:
    assert SPANS["Day"].start(seed.DAY) == seed.DAY
    assert SPANS["5 days"].start(seed.DAY) == date(2024, 3, 11)  # Fri back to Mon
    assert SPANS["5 days"].start(date(2024, 3, 12)) == date(2024, 3, 6)  # over a weekend
    assert SPANS["1 month"].start(date(2024, 3, 31)) == date(2024, 3, 1)  # 29 Feb clamps
    assert SPANS["1 year"].start(seed.DAY) == date(2023, 3, 16)


def test_bar_axis_labels_days_when_zoomed_out_and_times_within_a_day(qtbot) -> None:  # type: ignore[no-untyped-def]
    from desktop_app.ui.charts.axes import BarTimeAxis

    days = seed.earlier_weekdays(10)
    starts = np.array([seed.vn(h, m, day=d).timestamp() for d in days
                       for h, m in ((9, 15), (10, 0), (11, 0), (13, 0), (14, 0))])
    axis = BarTimeAxis()
    axis.set_starts(starts)
    assert axis.local_time_at(5) == seed.vn(9, 15, day=days[1]).replace(tzinfo=None)
    wide = axis.tickValues(0, len(starts) - 1, 800)[0][1]
    labels = axis.tickStrings(wide, 1, 1)
    assert labels == [d.strftime("%d/%m") for d in days[1:]]  # each new day, at its first bar
    narrow = axis.tickValues(0, 4, 800)[0][1]
    # within one day: the first bar names its day, the others their time
    assert axis.tickStrings(narrow, 1, 1) == [days[0].strftime("%d/%m"), "10:00", "11:00", "13:00", "14:00"]
