"""The main window: watchlist dock, chart tabs in the centre, alerts dock, menus, status bar.

The window exists (and paints) before the database does: ``StartupOverlay`` covers it with the
current start-up step until ``attach_database`` / ``attach_pipeline`` hand it the live parts.
Layout, geometry and the last symbol persist in ``<home>/window.ini`` (QSettings, INI format).
Closing is two-phase: the first close request is refused and reported (``closeRequested``) so the
app can flush and shut the database down, then ``finish_close`` really closes.

Screen sizes: the window opens at most as large as the screen's free area, its minimum size is set
explicitly (``MINIMUM_SIZE``, fits 1280x720) and so are the minimum widths of the board, the charts
and the alerts: a read-out or a label that grows can never push the window wider than the screen.
The board owns the whole left edge (it is the thing a trader watches) and has the keyboard focus
when the window opens; the alerts sit under the charts.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Callable

from PySide6.QtCore import QByteArray, QRect, QSettings, QSize, Qt, QUrl, Signal
from PySide6.QtGui import QAction, QCloseEvent, QDesktopServices, QGuiApplication, QIcon, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QDockWidget,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

from desktop_app import app_version
from desktop_app.config import Settings
from desktop_app.domain import Alert, ClassifiedTrade
from desktop_app.feeds.spec import FeedSpec
from desktop_app.processing.order_flow import OrderFlowBook
from desktop_app.services.history import HistoryService
from desktop_app.services.securities import SecuritiesCatalog, source_for_feed
from desktop_app.services.watchlists import WatchlistService
from desktop_app.ui.alerts_view import AlertsView
from desktop_app.ui.charts.chart_tabs import ChartTabs
from desktop_app.ui.credentials import CredentialStore
from desktop_app.ui.flow_view import FlowView
from desktop_app.market_clock import vn_now, vn_today
from desktop_app.ui.history_source import HistorySource
from desktop_app.ui.index_chart import IndexChart
from desktop_app.ui.refresh_timer import RefreshTimer
from desktop_app.ui.status_bar import AppStatusBar
from desktop_app.ui.tape_panel import TapePanel
from desktop_app.ui.watchlist import WatchlistView, default_basket
from desktop_app.ui.watchlist_picker import WatchlistPicker

log = logging.getLogger(__name__)

ORGANIZATION = "VN30 Stock Tracker"
APPLICATION = "stock-tracker"
WINDOW_STATE_FILE = "window.ini"
LIVE_ALERTS_MS = 250
STATE_VERSION = 2  # saved dock layouts of older versions (board not full height) are ignored
MINIMUM_SIZE = QSize(1000, 600)
PREFERRED_SIZE = QSize(1600, 1000)
BOARD_MIN_WIDTH = 300
CHARTS_MIN_SIZE = QSize(440, 260)
ALERTS_MIN_SIZE = QSize(420, 120)
BOARD_SHARE_MAX = 0.46  # the board never takes more than this share of the window's width
ALERTS_SHARE = 0.3  # of the window's height, under the charts


def find_icon() -> QIcon:
    try:
        from desktop_app.feeds.basket import find_resource

        return QIcon(str(find_resource("icons/stock-tracker.png")))
    except Exception:  # no icon is cosmetic only
        return QIcon()


class StartupOverlay(QWidget):
    """Covers the window while the database and the feed start: never a frozen blank window."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet("StartupOverlay { background: rgba(16, 20, 24, 235); } QLabel { color: #e0e0e0; }")
        self.title = QLabel("<h2>VN30 Stock Tracker</h2>")
        self.step = QLabel(self.tr("Starting…"))
        self.step.setStyleSheet("font-size: 14px;")
        self.bar = QProgressBar()
        self.bar.setRange(0, 0)  # busy indicator
        self.bar.setMaximumWidth(360)
        box = QVBoxLayout(self)
        box.addStretch(1)
        for w in (self.title, self.step, self.bar):
            box.addWidget(w, 0, Qt.AlignmentFlag.AlignHCenter)
        box.addStretch(2)
        parent.installEventFilter(self)
        self.setGeometry(parent.rect())

    def show_step(self, text: str) -> None:
        self.step.setText(text)
        self.setGeometry(self.parentWidget().rect())
        self.raise_()
        self.show()

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - keep covering the window on resize
        if obj is self.parentWidget() and event.type() == event.Type.Resize:
            self.setGeometry(obj.rect())
        return False


class MainWindow(QMainWindow):
    closeRequested = Signal()
    settingsSaved = Signal(object)

    def __init__(self, settings: Settings, feed: FeedSpec, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.feed_spec = feed
        self.credential_store = CredentialStore(settings)
        self.database: Any = None
        self.pipeline: Any = None
        self.order_flow: OrderFlowBook | None = None  # live order flow, fed by the pipeline
        self._can_close = False
        self._close_requested = False
        self.errors: list[str] = []  # what the user was told went wrong (tests read it)
        self.setWindowTitle(self.tr("VN30 Stock Tracker"))
        self.setWindowIcon(find_icon())
        self.setMinimumSize(MINIMUM_SIZE)  # explicit: no child's minimum can raise it
        self.resize(self.default_size())
        self.setCorner(Qt.Corner.TopLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)

        self.charts = ChartTabs(on_error=self.report_error)
        self.charts.setMinimumSize(CHARTS_MIN_SIZE)
        self.setCentralWidget(self.charts)
        self.watchlist = WatchlistView()
        self.watchlist.setMinimumWidth(BOARD_MIN_WIDTH)
        self.watchlist.symbolSelected.connect(self.charts.show_symbol)
        self.watchlist_dock = self._dock(self.tr("Watchlist"), "watchlistDock", self.watchlist,
                                         Qt.DockWidgetArea.LeftDockWidgetArea)
        self.alerts = AlertsView(on_error=self.report_error)
        self.alerts.setMinimumSize(ALERTS_MIN_SIZE)
        self.alerts.openChart.connect(self.open_chart_at)
        self.alerts_dock = self._dock(self.tr("Alerts"), "alertsDock", self.alerts, Qt.DockWidgetArea.BottomDockWidgetArea)
        self.flow = FlowView(on_error=self.report_error)  # basket order flow, a tab beside the alerts
        self.flow_dock = self._dock(self.tr("Flow"), "flowDock", self.flow, Qt.DockWidgetArea.BottomDockWidgetArea)
        self.tabifyDockWidget(self.alerts_dock, self.flow_dock)
        self.tape_panel = TapePanel(on_error=self.report_error)  # depth + time and sales, a third tab
        self.tape_panel.set_big_print_threshold(Decimal(settings.big_trade_min_value))
        self.watchlist.symbolSelected.connect(self.tape_panel.follow)
        self.tape_dock = self._dock(self.tr("Depth && tape"), "tapeDock", self.tape_panel,
                                    Qt.DockWidgetArea.BottomDockWidgetArea)
        self.tabifyDockWidget(self.flow_dock, self.tape_dock)
        self.alerts_dock.raise_()
        self.index_chart = IndexChart(on_error=self.report_error)  # beside the symbol charts
        self.charts.tabs.addTab(self.index_chart, self.tr("VN30 index"))
        self.charts.day_edit.dateChanged.connect(
            lambda q: self.index_chart.set_day(date(q.year(), q.month(), q.day())))
        self.index_chart.set_day(self.charts.day)
        self.status = AppStatusBar()
        self.setStatusBar(self.status)
        self.status.set_feed_text(feed.describe(), "#f0c020")
        self._build_menus()
        self.overlay = StartupOverlay(self)
        self.overlay.show_step(self.tr("Starting…"))

        self._live_alerts: list[Alert] = []
        self._alert_timer = RefreshTimer(LIVE_ALERTS_MS, self)
        self._alert_timer.timeout.connect(self._flush_live_alerts)
        self._alert_timer.start()
        self.backfill_factory: Callable[..., Any] | None = None
        self._dialogs: list[QWidget] = []
        self._focused_once = False

        self.size_docks()
        self.window_state = QSettings(str(settings.home / WINDOW_STATE_FILE), QSettings.Format.IniFormat)
        self.watchlist_picker = WatchlistPicker(self.watchlist, self.window_state, on_error=self.report_error)
        self.restore_layout()

    # ------------------------------------------------------------------ layout
    def _dock(self, title: str, name: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu(self.tr("&File"))
        self.settings_action = QAction(self.tr("&Settings…"), self)
        self.settings_action.triggered.connect(self.open_settings)
        file_menu.addAction(self.settings_action)
        file_menu.addSeparator()
        quit_action = QAction(self.tr("&Quit"), self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)

        data_menu = self.menuBar().addMenu(self.tr("&Data"))
        self.backfill_action = QAction(self.tr("&Backfill daily OHLC…"), self)
        self.backfill_action.triggered.connect(self.open_backfill)
        self.charts.backfill_requested.connect(self.open_backfill)  # the daily chart's empty state
        self.backfill_action.setEnabled(False)
        data_menu.addAction(self.backfill_action)
        reload_action = QAction(self.tr("&Reload charts"), self)
        reload_action.setShortcut(QKeySequence.StandardKey.Refresh)
        reload_action.triggered.connect(lambda: self.charts.reload())
        data_menu.addAction(reload_action)

        view_menu = self.menuBar().addMenu(self.tr("&View"))
        view_menu.addAction(self.watchlist_dock.toggleViewAction())
        view_menu.addAction(self.alerts_dock.toggleViewAction())
        view_menu.addAction(self.flow_dock.toggleViewAction())
        view_menu.addAction(self.tape_dock.toggleViewAction())

        help_menu = self.menuBar().addMenu(self.tr("&Help"))
        log_action = QAction(self.tr("Open &log folder"), self)
        log_action.triggered.connect(
            lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.settings.log_dir)))
        )
        help_menu.addAction(log_action)
        about = QAction(self.tr("&About"), self)
        about.triggered.connect(self._about)
        help_menu.addAction(about)

    @staticmethod
    def available_area() -> QRect | None:
        screen = QGuiApplication.primaryScreen()
        return screen.availableGeometry() if screen is not None else None

    def default_size(self) -> QSize:
        """The preferred size, shrunk to the screen's free area (never below the minimum)."""
        area = self.available_area()
        if area is None:
            return PREFERRED_SIZE
        return PREFERRED_SIZE.boundedTo(area.size()).expandedTo(MINIMUM_SIZE)

    def size_docks(self) -> None:
        """The board as wide as its columns (at most BOARD_SHARE_MAX of the window), the alerts
        ALERTS_SHARE of the height."""
        board = min(self.watchlist.preferred_width(), int(self.width() * BOARD_SHARE_MAX))
        self.resizeDocks([self.watchlist_dock], [max(board, BOARD_MIN_WIDTH)], Qt.Orientation.Horizontal)
        self.resizeDocks([self.alerts_dock], [int(self.height() * ALERTS_SHARE)], Qt.Orientation.Vertical)

    def restore_layout(self) -> None:
        geometry = self.window_state.value("geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)  # Qt brings a geometry from a bigger screen back inside
        state = self.window_state.value("windowState")
        if isinstance(state, QByteArray) and not self.restoreState(state, STATE_VERSION):
            self.size_docks()
        tab = self.window_state.value("chartTab")
        if tab is not None:
            self.charts.tabs.setCurrentIndex(int(tab))
        columns = self.window_state.value("boardColumns")
        if isinstance(columns, str) and columns:
            self.watchlist.show_columns(columns.split(","))

    def save_layout(self) -> None:
        self.window_state.setValue("geometry", self.saveGeometry())
        self.window_state.setValue("windowState", self.saveState(STATE_VERSION))
        self.window_state.setValue("chartTab", self.charts.tabs.currentIndex())
        self.window_state.setValue("boardColumns", ",".join(self.watchlist.visible_columns()))
        if self.charts.symbol:
            self.window_state.setValue("lastSymbol", self.charts.symbol)
        self.window_state.sync()

    def last_symbol(self) -> str | None:
        value = self.window_state.value("lastSymbol")
        return str(value) if value else None

    # ------------------------------------------------------------------ start-up
    def show_step(self, text: str) -> None:
        self.overlay.show_step(text)
        self.statusBar().showMessage(text)

    def attach_database(self, database: Any) -> None:
        self.database = database
        self.status.set_database_text("up", "#26c24a")
        history = HistoryService(database.pool)  # the one read path of every history view
        self.charts.set_source(HistorySource(history))
        self.index_chart.set_source(HistorySource(history))
        self.tape_panel.set_history(history, self._market_day)
        self.alerts.set_history(history)
        self.flow.set_history(history)
        self.backfill_action.setEnabled(True)
        self.watchlist_picker.attach(WatchlistService(database.pool, default_basket()),
                                     SecuritiesCatalog(database.pool, source_for_feed(self.feed_spec.kind)))
        symbol = self.last_symbol() or (self.watchlist.model.symbol_at(0) if self.watchlist.model.rowCount() else None)
        if symbol and not self.watchlist.select_symbol(symbol):
            self.charts.show_symbol(symbol)

    def attach_pipeline(self, pipeline: Any) -> None:
        self.pipeline = pipeline
        pipeline.processor.subscribe(self._on_processed)
        self.watchlist.attach(pipeline.processor.stats)
        self.charts.attach_stats(pipeline.processor.stats)
        stats = pipeline.processor.stats
        self.index_chart.attach_stats(stats)
        self.tape_panel.depth.attach(stats, lambda: stats.market().futures_symbol)
        if self.feed_spec.kind != "ssi":  # a simulated day: its clock is the newest event's time
            self.watchlist.strip.clock.set_clock(lambda: stats.latest_event_time or vn_now())
        self.order_flow = OrderFlowBook(Decimal(self.settings.big_trade_min_value))
        pipeline.processor.subscribe(self.order_flow.on_value)
        self.flow.attach_live(self.order_flow)
        self.charts.attach_order_flow(self.order_flow)
        pipeline.processor.subscribe(self.flow.on_value)  # foreign flow, last prices, VN30 level
        self.status.attach(pipeline)

    def _market_day(self) -> date:
        """The trading day the feed is on (a replay's day, not the calendar's)."""
        day = self.pipeline.processor.stats.trading_date if self.pipeline is not None else None
        return day or vn_today()

    def startup_finished(self) -> None:
        self.overlay.hide()
        self.statusBar().clearMessage()

    def focus_board(self) -> None:
        """Keyboard focus on the board: arrows move through the symbols from the first key press."""
        self.watchlist.table.setFocus(Qt.FocusReason.OtherFocusReason)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        if not self._focused_once:
            self._focused_once = True
            self.focus_board()
            if self.watchlist_dock.width() > self.width() * BOARD_SHARE_MAX:  # a layout saved on a wider screen
                self.size_docks()

    def feed_unavailable(self, message: str) -> None:
        """The live feed could not start: say so in the status bar and in a dialog."""
        self.status.set_feed_text(self.tr("SSI credentials missing")
                                  if "credential" in message.lower() else self.tr("not connected"), "#f04848")
        self.show_message(self.tr("Live feed not available"), message, QMessageBox.Icon.Warning)

    # ------------------------------------------------------------------ live values
    def _on_processed(self, value: Any) -> None:
        """Called by the processor for every output value: must stay trivial."""
        if isinstance(value, ClassifiedTrade):
            self.charts.on_live_trade(value)
            self.tape_panel.add(value)
        elif isinstance(value, Alert):
            self._live_alerts.append(value)

    def _flush_live_alerts(self) -> None:
        if self._live_alerts:
            batch, self._live_alerts = self._live_alerts, []
            self.alerts.on_live_alerts(batch)

    # ------------------------------------------------------------------ actions
    def open_chart_at(self, symbol: str, when: datetime) -> None:
        self.watchlist.table.selectionModel().blockSignals(True)
        self.watchlist.select_symbol(symbol)
        self.watchlist.table.selectionModel().blockSignals(False)
        self.charts.open_at(symbol, when)

    def open_settings(self) -> Any:
        from desktop_app.ui.settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.settings, self.credential_store, self)
        dialog.saved.connect(self._settings_saved)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        dialog.open()
        return dialog

    def _settings_saved(self, settings: Settings) -> None:
        self.settingsSaved.emit(settings)
        self.tape_panel.set_big_print_threshold(Decimal(settings.big_trade_min_value))  # applies at once
        self.statusBar().showMessage(self.tr("Settings saved — restart the app to apply database/feed changes"), 8000)

    def open_backfill(self) -> Any:
        from desktop_app.ui.backfill_dialog import BackfillDialog

        if self.database is None:
            return None
        dialog = BackfillDialog(self.backfill_factory or self._default_backfill_factory,
                                self.credential_store, self)
        dialog.finished_run.connect(lambda _s: self.charts.reload(basis=False))
        dialog.show()
        self._dialogs.append(dialog)
        dialog.finished.connect(lambda _r, d=dialog: self._dialogs.remove(d) if d in self._dialogs else None)
        return dialog

    def _default_backfill_factory(self, credentials: Any) -> Any:
        from desktop_app.services.backfill import BackfillService

        return BackfillService.from_settings(
            self.database.pool, self.settings,
            consumer_id=credentials.consumer_id, consumer_secret=credentials.consumer_secret,
        )

    def _about(self) -> QMessageBox:
        return self.show_message(
            self.tr("About VN30 Stock Tracker"),
            f"VN30 Stock Tracker {app_version()}\n\n"
            + self.tr("Live VN30 board with active buy/sell, foreign flow, futures basis and alerts, "
                      "persisted to PostgreSQL.")
            + "\n\n" + self.tr("Data folder: {home}\nLog: {log}").format(home=self.settings.home,
                                                                          log=self.settings.log_file),
        )

    # ------------------------------------------------------------------ errors
    def report_error(self, what: str, exc: BaseException) -> None:
        """A background task failed: a line in the status bar; the details are in the log."""
        text = f"{what} failed: {exc}"
        self.errors.append(text)
        self.statusBar().showMessage(f"{text} (details in {self.settings.log_file})", 15000)

    def show_message(self, title: str, text: str, icon: QMessageBox.Icon = QMessageBox.Icon.Information) -> QMessageBox:
        """A non-blocking message box (no nested event loop on the app's asyncio loop)."""
        box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Ok, self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        box.open()
        self.errors.append(f"{title}: {text}")
        return box

    # ------------------------------------------------------------------ closing
    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if self._can_close:
            event.accept()
            return
        event.ignore()
        if not self._close_requested:
            self._close_requested = True
            self.save_layout()
            self.show_step(self.tr("Saving and shutting down…"))
            self.closeRequested.emit()

    def finish_close(self) -> None:
        self._can_close = True
        self.watchlist.attach(None)
        self.charts.attach_stats(None)
        self.index_chart.attach_stats(None)
        self.tape_panel.depth.attach(None)
        self.status.attach(None)
        self._alert_timer.stop()
        self.close()
