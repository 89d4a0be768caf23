"""The main window: watchlist dock, chart tabs in the centre, alerts dock, menus, status bar.

The window exists (and paints) before the database does: ``StartupOverlay`` covers it with the
current start-up step until ``attach_database`` / ``attach_pipeline`` hand it the live parts.
Layout, geometry and the last symbol persist in ``<home>/window.ini`` (QSettings, INI format).
Closing is two-phase: the first close request is refused and reported (``closeRequested``) so the
app can flush and shut the database down, then ``finish_close`` really closes.
"""

from __future__ import annotations

import logging
from datetime import datetime
from decimal import Decimal
from typing import Any, Callable

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QAction, QCloseEvent, QDesktopServices, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

from desktop_app.config import Settings
from desktop_app.domain import Alert, ClassifiedTrade
from desktop_app.feeds.spec import FeedSpec
from desktop_app.processing.order_flow import OrderFlowBook
from desktop_app.services.history import HistoryService
from desktop_app.ui.alerts_view import AlertsView
from desktop_app.ui.charts.chart_tabs import ChartTabs
from desktop_app.ui.credentials import CredentialStore
from desktop_app.ui.flow_view import FlowView
from desktop_app.ui.history_source import HistorySource
from desktop_app.ui.status_bar import AppStatusBar
from desktop_app.ui.watchlist import WatchlistView

log = logging.getLogger(__name__)

ORGANIZATION = "VN30 Stock Tracker"
APPLICATION = "stock-tracker"
WINDOW_STATE_FILE = "window.ini"
LIVE_ALERTS_MS = 250


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
        self.step = QLabel("Starting…")
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
        self.setWindowTitle("VN30 Stock Tracker")
        self.setWindowIcon(find_icon())
        self.resize(1400, 860)

        self.charts = ChartTabs(on_error=self.report_error)
        self.setCentralWidget(self.charts)
        self.watchlist = WatchlistView()
        self.watchlist.symbolSelected.connect(self.charts.show_symbol)
        self.watchlist_dock = self._dock("Watchlist", "watchlistDock", self.watchlist,
                                         Qt.DockWidgetArea.LeftDockWidgetArea)
        self.alerts = AlertsView(on_error=self.report_error)
        self.alerts.openChart.connect(self.open_chart_at)
        self.alerts_dock = self._dock("Alerts", "alertsDock", self.alerts, Qt.DockWidgetArea.BottomDockWidgetArea)
        self.flow = FlowView(on_error=self.report_error)  # basket order flow, a tab beside the alerts
        self.flow_dock = self._dock("Flow", "flowDock", self.flow, Qt.DockWidgetArea.BottomDockWidgetArea)
        self.tabifyDockWidget(self.alerts_dock, self.flow_dock)
        self.alerts_dock.raise_()
        self.status = AppStatusBar()
        self.setStatusBar(self.status)
        self.status.set_feed_text(feed.describe(), "#f0c020")
        self._build_menus()
        self.overlay = StartupOverlay(self)
        self.overlay.show_step("Starting…")

        self._live_alerts: list[Alert] = []
        self._alert_timer = QTimer(self)
        self._alert_timer.setInterval(LIVE_ALERTS_MS)
        self._alert_timer.timeout.connect(self._flush_live_alerts)
        self._alert_timer.start()
        self.backfill_factory: Callable[..., Any] | None = None
        self._dialogs: list[QWidget] = []

        self.resizeDocks([self.watchlist_dock], [760], Qt.Orientation.Horizontal)
        self.resizeDocks([self.alerts_dock], [220], Qt.Orientation.Vertical)
        self.window_state = QSettings(str(settings.home / WINDOW_STATE_FILE), QSettings.Format.IniFormat)
        self.restore_layout()

    # ------------------------------------------------------------------ layout
    def _dock(self, title: str, name: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.settings_action = QAction("&Settings…", self)
        self.settings_action.triggered.connect(self.open_settings)
        file_menu.addAction(self.settings_action)
        file_menu.addSeparator()
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)

        data_menu = self.menuBar().addMenu("&Data")
        self.backfill_action = QAction("&Backfill daily OHLC…", self)
        self.backfill_action.triggered.connect(self.open_backfill)
        self.backfill_action.setEnabled(False)
        data_menu.addAction(self.backfill_action)
        reload_action = QAction("&Reload charts", self)
        reload_action.setShortcut(QKeySequence.StandardKey.Refresh)
        reload_action.triggered.connect(lambda: self.charts.reload())
        data_menu.addAction(reload_action)

        view_menu = self.menuBar().addMenu("&View")
        view_menu.addAction(self.watchlist_dock.toggleViewAction())
        view_menu.addAction(self.alerts_dock.toggleViewAction())

        help_menu = self.menuBar().addMenu("&Help")
        log_action = QAction("Open &log folder", self)
        log_action.triggered.connect(
            lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.settings.log_dir)))
        )
        help_menu.addAction(log_action)
        about = QAction("&About", self)
        about.triggered.connect(self._about)
        help_menu.addAction(about)

    def restore_layout(self) -> None:
        geometry = self.window_state.value("geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        state = self.window_state.value("windowState")
        if isinstance(state, QByteArray):
            self.restoreState(state)
        tab = self.window_state.value("chartTab")
        if tab is not None:
            self.charts.tabs.setCurrentIndex(int(tab))

    def save_layout(self) -> None:
        self.window_state.setValue("geometry", self.saveGeometry())
        self.window_state.setValue("windowState", self.saveState())
        self.window_state.setValue("chartTab", self.charts.tabs.currentIndex())
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
        self.alerts.set_history(history)
        self.flow.set_history(history)
        self.backfill_action.setEnabled(True)
        symbol = self.last_symbol() or (self.watchlist.model.symbol_at(0) if self.watchlist.model.rowCount() else None)
        if symbol and not self.watchlist.select_symbol(symbol):
            self.charts.show_symbol(symbol)

    def attach_pipeline(self, pipeline: Any) -> None:
        self.pipeline = pipeline
        pipeline.processor.subscribe(self._on_processed)
        self.watchlist.attach(pipeline.processor.stats)
        self.charts.attach_stats(pipeline.processor.stats)
        self.order_flow = OrderFlowBook(Decimal(self.settings.big_trade_min_value))
        pipeline.processor.subscribe(self.order_flow.on_value)
        self.flow.attach_live(self.order_flow)
        self.status.attach(pipeline)

    def startup_finished(self) -> None:
        self.overlay.hide()
        self.statusBar().clearMessage()

    def feed_unavailable(self, message: str) -> None:
        """The live feed could not start: say so in the status bar and in a dialog."""
        self.status.set_feed_text("not connected — SSI credentials missing"
                                  if "credential" in message.lower() else "not connected", "#f04848")
        self.show_message("Live feed not available", message, QMessageBox.Icon.Warning)

    # ------------------------------------------------------------------ live values
    def _on_processed(self, value: Any) -> None:
        """Called by the processor for every output value: must stay trivial."""
        if isinstance(value, ClassifiedTrade):
            self.charts.on_live_trade(value)
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
        self.statusBar().showMessage("Settings saved — restart the app to apply database/feed changes", 8000)

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

    def _about(self) -> None:
        self.show_message(
            "About VN30 Stock Tracker",
            "Live VN30 board with active buy/sell, foreign flow, futures basis and alerts, "
            f"persisted to PostgreSQL.\n\nData folder: {self.settings.home}\nLog: {self.settings.log_file}",
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
            self.show_step("Saving and shutting down…")
            self.closeRequested.emit()

    def finish_close(self) -> None:
        self._can_close = True
        self.watchlist.attach(None)
        self.charts.attach_stats(None)
        self.status.attach(None)
        self._alert_timer.stop()
        self.close()
