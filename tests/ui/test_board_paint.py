"""How the board paints at the peak: the same pixels as before, less work per event-loop pass.

The board's text cells (one model lookup per cell) must look exactly as the style painted them;
a refresh's changed rows are repainted a third per tick; a re-sort that changes no order is not
done; sparklines convert only new points, thin their points to the pixel columns and reuse the
finished part of the line; the panels' refresh timers keep their period at phases of their own.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QApplication, QStyle, QStyledItemDelegate, QStyleOptionViewItem

from desktop_app.ui.refresh_timer import RefreshTimer
from desktop_app.ui.sparkline import SPARK_ROLE, FloatSeries, Sparkline, SparklineDelegate, polyline
from desktop_app.ui.watchlist import COLUMN_INDEX, COLUMNS, REPAINT_SLICES, WatchlistView

from tests.ui.test_watchlist import stats

SYMBOLS = [f"S{i:02d}" for i in range(30)]


def board(qtbot, symbols=SYMBOLS) -> WatchlistView:  # type: ignore[no-untyped-def]
    view = WatchlistView(symbols)
    qtbot.addWidget(view)
    return view


def render(widget) -> QImage:  # type: ignore[no-untyped-def]
    image = QImage(widget.size(), QImage.Format.Format_RGB32)
    image.fill(QColor("#000000"))
    painter = QPainter(image)
    widget.render(painter, QPoint(0, 0))
    painter.end()
    return image


def test_board_cells_paint_exactly_what_the_style_paints(qtbot) -> None:  # type: ignore[no-untyped-def]
    view = board(qtbot, SYMBOLS[:6])
    view.resize(1400, 300)
    view.show()
    qtbot.waitExposed(view)
    view.show_columns([c.id for c in COLUMNS])
    view.model.apply(1, [stats(s, 25_000 + 50 * i, high=Decimal(26_000)) for i, s in enumerate(SYMBOLS[:6])])
    view.model.apply(2, [stats(s, 25_000 + 50 * i + (100 if i % 2 else -100), version=2, high=Decimal(26_000))
                         for i, s in enumerate(SYMBOLS[:6])])  # moved: the last prices flash
    assert view.model.flashing("S01")
    view.select_symbol("S02")
    view.table.setColumnWidth(COLUMN_INDEX["volume"], 30)  # too narrow: the text is elided
    for _ in range(3):
        QApplication.processEvents()  # the geometry after the width change
    cells = (view.table.viewport(), view.table.frozen.viewport())
    fast = [render(widget) for widget in cells]
    plain = QStyledItemDelegate(view.table)
    view.table.setItemDelegate(plain)
    view.table.frozen.setItemDelegate(plain)
    QApplication.processEvents()
    assert [render(widget) for widget in cells] == fast


def test_a_refresh_repaints_the_changed_rows_a_third_per_tick(qtbot) -> None:  # type: ignore[no-untyped-def]
    view = board(qtbot)

    class Stats:  # the LiveStats reading API: every symbol changed since version 0
        version = 1

        def changed_since(self, version):  # type: ignore[no-untyped-def]
            return 1, ([stats(s, 25_100) for s in SYMBOLS] if version < 1 else [])

        def market(self):  # type: ignore[no-untyped-def]
            from desktop_app.processing.live_stats import LiveStats
            return LiveStats().market()

    repainted: list[int] = []
    view.model.dataChanged.connect(lambda a, _b, _roles=None: repainted.append(a.row()))
    view.stats = Stats()  # type: ignore[assignment]
    view.refresh()
    first = set(repainted)
    assert 0 < len(first) <= -(-len(SYMBOLS) // REPAINT_SLICES)  # a third of the rows now
    model = view.model
    assert model.data(model.index(model.row_of("S29"), COLUMN_INDEX["last"])) == "25.10"  # all values in
    for _ in range(REPAINT_SLICES - 1):
        view.timer.timeout.emit()  # the next ticks of the refresh period
    assert sorted(set(repainted)) == list(range(len(SYMBOLS)))  # every changed row, once the period is over
    count = len(repainted)
    view.timer.timeout.emit()
    assert len(repainted) == count  # nothing left to repaint


def test_a_resort_that_changes_no_order_is_not_done(qtbot) -> None:  # type: ignore[no-untyped-def]
    view = board(qtbot, ["A", "B", "C"])
    view.model.apply(1, [stats("A", 25_100, matched_volume=300), stats("B", 25_000, matched_volume=200),
                         stats("C", 24_900, matched_volume=100)])
    view.table.sortByColumn(COLUMN_INDEX["volume"], Qt.SortOrder.DescendingOrder)
    layouts: list[int] = []
    view.proxy.layoutChanged.connect(lambda *_: layouts.append(1))
    view.model.apply(2, [stats("A", 25_100, version=2, matched_volume=400)])  # still first
    view._dirty_since_sort = True
    view.resort()
    assert layouts == []
    view.model.apply(3, [stats("C", 24_900, version=3, matched_volume=900)])  # C overtakes
    view._dirty_since_sort = True
    view.resort()
    assert layouts and [view.proxy.data(view.proxy.index(r, 0)) for r in range(3)] == ["C", "A", "B"]


def test_a_float_series_converts_only_what_moved_and_starts_over_on_a_shift() -> None:
    series = FloatSeries()
    day = [Decimal(v) for v in ("10.5", "10.6", "10.4")]
    assert series.update(tuple(day)).tolist() == [10.5, 10.6, 10.4]
    revision = series.revision
    moved = tuple(day[:2]) + (Decimal("10.7"),)  # the current minute's price moves
    assert series.update(moved).tolist() == [10.5, 10.6, 10.7] and series.revision == revision
    grown = moved + (Decimal("10.8"),)  # a new minute
    out = series.update(grown)
    assert out.tolist() == [10.5, 10.6, 10.7, 10.8] and series.revision > revision
    shifted = grown[1:] + (Decimal("10.9"),)  # the oldest minute dropped (the series is full)
    assert series.update(shifted).tolist() == [10.6, 10.7, 10.8, 10.9]
    assert out.tolist() == [10.5, 10.6, 10.7, 10.8]  # what was handed out earlier did not change
    assert series.update((Decimal(1),)).tolist() == [1.0]  # a new day


def test_a_thinned_sparkline_keeps_every_columns_lowest_and_highest_point() -> None:
    rng = np.random.default_rng(3)
    values = 50 + np.cumsum(rng.normal(0, 0.1, 480))
    poly, _ = polyline(Sparkline(values, 50.0), 0.0, 0.0, 52.0, 20.0)
    assert poly.size() <= 2 * 52 + 2
    ys = [poly.at(i).y() for i in range(poly.size())]
    xs = [poly.at(i).x() for i in range(poly.size())]
    full, _ = polyline(Sparkline(values[:20], 50.0), 0.0, 0.0, 52.0, 20.0)  # few points: all of them
    assert full.size() == 20
    low, high = min(values.min(), 50.0), max(values.max(), 50.0)
    assert min(ys) == 20.0 - (values.max() - low) / (high - low) * 20.0  # the day's high is drawn
    assert max(ys) == 20.0 - (values.min() - low) / (high - low) * 20.0  # and its low
    assert xs == sorted(xs) and xs[0] == 0.0 and xs[-1] == 52.0  # in order, first to last


def test_a_cached_sparkline_paints_as_one_drawn_whole(qtbot) -> None:  # type: ignore[no-untyped-def]
    model = QStandardItemModel(1, 1)
    model.setItem(0, 0, QStandardItem())
    delegate = SparklineDelegate()
    rng = np.random.default_rng(5)
    for n in (3, 60, 300):
        values = 50 + np.cumsum(rng.normal(0, 0.1, n))
        images = []
        for key in (None, ("S00", 1)):
            for _ in range(2):  # the second paint of a keyed line reuses its finished part
                model.setData(model.index(0, 0), Sparkline(values, 50.0, key=key), SPARK_ROLE)
                image = QImage(70, 22, QImage.Format.Format_RGB32)
                image.fill(QColor("#101418"))
                painter = QPainter(image)
                option = QStyleOptionViewItem()
                option.rect = QRect(3, 1, 62, 20)
                option.state = QStyle.StateFlag.State_Enabled
                delegate.paint(painter, option, model.index(0, 0))
                painter.end()
            images.append(image)
        whole, cached = images
        differing = sum(1 for x in range(70) for y in range(22) if whole.pixel(x, y) != cached.pixel(x, y))
        assert differing <= 12  # only the antialiasing where the moving segment joins the cached part
        background = QColor("#101418").rgb()
        assert sum(1 for x in range(70) for y in range(22) if cached.pixel(x, y) != background) >= 20  # a line


def test_refresh_timers_keep_their_period_at_phases_of_their_own(qtbot) -> None:  # type: ignore[no-untyped-def]
    first, second = RefreshTimer(100), RefreshTimer(100)
    assert first.phase_ms != second.phase_ms and 0 < first.phase_ms < 100 and 0 < second.phase_ms < 100
    ticks: list[int] = []
    first.timeout.connect(lambda: ticks.append(first.interval()))
    first.start()
    assert first.interval() == first.phase_ms and first.isActive()
    qtbot.waitUntil(lambda: len(ticks) >= 2, timeout=2000)
    assert first.interval() == 100  # the period from the first tick on
    first.stop()
    second.stop()
