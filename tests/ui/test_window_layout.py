"""The main window on a trader's screens: fits 1280x720, never widens itself, board first.

No database or feed is started: the window's layout is what is under test, and it exists before
either (the start-up overlay covers it meanwhile).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QApplication, QLabel

from desktop_app import __version__
from desktop_app.config import Settings
from desktop_app.feeds.spec import FeedSpec
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.watchlist import COLUMN_INDEX, COLUMNS, FALLBACK_VN30, SYMBOL_COLUMN, WatchlistView

LONG = "put-through 12,345,678 sh at 123.45 (not drawn) · last 26.60 · " * 12


@pytest.fixture
def window(qtbot, tmp_path: Path) -> MainWindow:  # type: ignore[no-untyped-def]
    w = MainWindow(Settings(home=tmp_path), FeedSpec("demo"))
    qtbot.addWidget(w)
    return w


def settle_layout(window: MainWindow) -> None:
    for _ in range(3):
        QApplication.processEvents()
        window.layout().activate()


def test_minimum_size_fits_a_1280x720_screen(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    window.show()
    qtbot.waitExposed(window)
    assert window.minimumSize().width() <= 1280 and window.minimumSize().height() <= 720
    window.resize(1280, 720)
    settle_layout(window)
    assert (window.width(), window.height()) == (1280, 720)


def test_long_read_outs_and_status_texts_never_widen_the_window(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    window.resize(1366, 768)
    window.show()
    qtbot.waitExposed(window)
    settle_layout(window)
    assert window.width() == 1366
    window.status.set_feed_text(LONG, "#26c24a")
    window.status.set_database_text(LONG)
    window.status.writer_label.show_value("", LONG)
    window.report_error("chart load", RuntimeError(LONG))
    window.overlay.hide()
    # every label of the charts and the board (read-outs, headers, the market strip) gets a long text
    for label in window.charts.findChildren(QLabel) + window.watchlist.findChildren(QLabel):
        label.setText(LONG)
    settle_layout(window)
    assert window.width() == 1366 and window.height() == 768
    assert window.minimumSize().width() <= 1280
    # the status field elides its value and keeps the whole text as the tooltip
    assert "…" in window.status.feed_label.text() and LONG.strip() in window.status.feed_label.toolTip()


def test_all_30_rows_show_at_1920x1080_and_the_board_has_the_focus(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    window.resize(1920, 1040)  # 1080 less a task bar / title bar
    window.size_docks()
    window.show()
    qtbot.waitExposed(window)
    settle_layout(window)
    table = window.watchlist.table
    assert window.watchlist.model.rowCount() >= 30
    last = window.watchlist.model.rowCount() - 1
    assert table.rowViewportPosition(last) + table.rowHeight(last) <= table.viewport().height()
    # every column, Buy % and Foreign net included, shows without a horizontal scroll
    foreign = table.visualRect(table.model().index(0, COLUMN_INDEX["foreign_net"]))
    assert foreign.right() <= table.viewport().width()
    assert window.focusWidget() is table
    assert window.focusWidget() is not window.charts.day_edit


def test_symbol_column_is_frozen_and_its_header_fits_the_sort_arrow(qtbot) -> None:  # type: ignore[no-untyped-def]
    view = WatchlistView(list(FALLBACK_VN30))
    qtbot.addWidget(view)
    view.resize(320, 500)
    view.show()
    qtbot.waitExposed(view)
    table = view.table
    header = table.horizontalHeader()
    assert header.isSortIndicatorShown() and header.sortIndicatorSection() == SYMBOL_COLUMN
    assert table.columnWidth(SYMBOL_COLUMN) >= header.sectionSizeHint(SYMBOL_COLUMN)
    assert table.frozen.columnWidth(SYMBOL_COLUMN) == table.columnWidth(SYMBOL_COLUMN)

    bar = table.horizontalScrollBar()
    assert bar.maximum() > 0  # 320 px cannot show every column
    bar.setValue(bar.maximum())
    QApplication.processEvents()
    # the last columns are reachable ...
    last = table.visualRect(table.model().index(0, len(COLUMNS) - 1))
    assert last.left() >= table.frozen.width() and last.right() <= table.viewport().width()
    for column in ("buy_share", "foreign_net"):
        table.scrollTo(table.model().index(0, COLUMN_INDEX[column]))
        QApplication.processEvents()
        cell = table.visualRect(table.model().index(0, COLUMN_INDEX[column]))
        assert cell.left() >= table.frozen.width() and cell.right() <= table.viewport().width()
    bar.setValue(bar.maximum())
    QApplication.processEvents()
    # ... and the symbol still reads at the left edge, from the frozen column
    assert table.columnViewportPosition(SYMBOL_COLUMN) < 0  # scrolled away in the main view
    frozen = table.frozen
    assert frozen.isVisible() and frozen.x() <= table.frameWidth() + 1
    assert [c for c in range(len(COLUMNS)) if not frozen.isColumnHidden(c)] == [SYMBOL_COLUMN]
    y = frozen.rowViewportPosition(0) + 2
    assert frozen.indexAt(QPoint(4, y)).data() == view.proxy.index(0, SYMBOL_COLUMN).data()
    # scrolling down moves both views together
    table.verticalScrollBar().setValue(table.verticalScrollBar().maximum())
    QApplication.processEvents()
    assert frozen.verticalScrollBar().value() == table.verticalScrollBar().value()


def test_the_about_box_shows_the_version(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    box = window._about()
    assert f"VN30 Stock Tracker {__version__}" in box.text()
    assert box.isVisible()
    box.close()


def test_a_window_saved_wider_than_the_screen_comes_back_inside_it(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    first = MainWindow(Settings(home=tmp_path), FeedSpec("demo"))
    qtbot.addWidget(first)
    first.resize(2122, 900)  # what the widening bug left in window.ini
    first.save_layout()
    again = MainWindow(Settings(home=tmp_path), FeedSpec("demo"))
    qtbot.addWidget(again)
    area = again.available_area()
    assert area is not None
    assert again.width() <= max(area.width(), again.minimumWidth()) < 2122


def test_settings_and_backfill_dialogs_fit_a_720_px_screen(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from desktop_app.ui.backfill_dialog import BackfillDialog
    from desktop_app.ui.credentials import CredentialStore
    from desktop_app.ui.settings_dialog import SettingsDialog

    settings = Settings(home=tmp_path)
    for dialog in (SettingsDialog(settings, CredentialStore(settings)),
                   BackfillDialog(lambda _c: None, CredentialStore(settings))):  # type: ignore[arg-type,return-value]
        qtbot.addWidget(dialog)
        assert dialog.minimumSizeHint().height() <= 640 and dialog.minimumSizeHint().width() <= 1280
