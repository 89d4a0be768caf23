"""Alerts: the ones firing now, and a review table over everything stored in ``alerts``.

The review table pages lazily (Qt's ``canFetchMore`` / ``fetchMore`` -> ``list_alerts`` with an
offset) so a year of alerts opens as fast as a day's. It loads when the history service arrives and again
each time the Review tab is opened; filters rebuild the model and the columns are sized to what
they show after every page. Acknowledging names the alert in its dialog, writes through
the history service and updates the row in place. CSV export writes the table's own
rows (the pages still unloaded of the same result are fetched first, no new query), UTF-8 with a
BOM so that Excel reads Vietnamese text. Dialogs open with ``open()``: no nested event loop.
"""

from __future__ import annotations

import asyncio
import csv
import logging
from datetime import date, datetime, time, timedelta
from html import escape
from pathlib import Path
from typing import Any, Callable, Sequence

from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QCoreApplication,
    QAbstractListModel,
    QAbstractTableModel,
    QDate,
    QModelIndex,
    QPersistentModelIndex,
    QStandardPaths,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop_app.domain import VIETNAM_TZ, Alert, Severity, StoredAlert
from desktop_app.market_clock import to_vietnam, vn_today
from desktop_app.services.history import AlertFilter, HistoryService
from desktop_app.ui import board_format as fmt
from desktop_app.ui.alert_text import localized_message
from desktop_app.ui.async_tasks import TaskSlots

log = logging.getLogger(__name__)

PAGE_SIZE = 200
LIVE_MAX = 500
REVIEW_REFRESH_MS = 2000  # new alerts reach an idle, visible Review table at most this often
ALERT_TYPES = ("ceiling_hit", "floor_hit", "block_trade", "foreign_surge", "basis_flip",
               "basis_extreme", "active_imbalance")
SEVERITY_COLOURS = {"info": "#50a0f0", "warning": "#f0a030", "critical": "#f04848"}
CSV_HEADER = ("id", "created_at_vietnam", "symbol", "alert_type", "severity", "message",
              "acknowledged_at_vietnam", "note")
CSV_ENCODING = "utf-8-sig"  # the BOM tells Excel the file is UTF-8 ("Đã xem", not mojibake)
MESSAGE_COLUMN_MAX = 460  # px: longer messages are elided (the tooltip has them whole)


def _iso_vn(ts: datetime | None) -> str:
    return "" if ts is None else to_vietnam(ts).isoformat(timespec="seconds")


def csv_row(a: StoredAlert) -> tuple[str, ...]:
    return (str(a.id), _iso_vn(a.created_at), a.symbol, a.alert_type, a.severity or "",
            a.message or "", _iso_vn(a.acknowledged_at), a.note or "")


# --------------------------------------------------------------------------- live list


class LiveAlertsModel(QAbstractListModel):
    """Alerts as they fire, newest first, capped."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.alerts: list[Alert] = []

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.alerts)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        a = self.alerts[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{fmt.vietnam_time(a.timestamp)}  {a.symbol:<9} {localized_message(a.alert_type, a.message)}"
        if role == Qt.ItemDataRole.ForegroundRole:
            from PySide6.QtGui import QColor

            return QColor(SEVERITY_COLOURS.get(a.severity.value, "#e0e0e0"))
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.tr("{type} ({severity}) at {time}").format(
                type=a.alert_type, severity=a.severity.value, time=fmt.vietnam_time(a.timestamp, True))
        return None

    def add(self, alerts: Sequence[Alert]) -> None:
        if not alerts:
            return
        newest_first = list(reversed(alerts))
        self.beginInsertRows(QModelIndex(), 0, len(newest_first) - 1)
        self.alerts[0:0] = newest_first
        self.endInsertRows()
        if len(self.alerts) > LIVE_MAX:
            self.beginRemoveRows(QModelIndex(), LIVE_MAX, len(self.alerts) - 1)
            del self.alerts[LIVE_MAX:]
            self.endRemoveRows()


# --------------------------------------------------------------------------- review table

REVIEW_COLUMNS = (QT_TRANSLATE_NOOP("AlertReviewModel", "Time (VN)"), QT_TRANSLATE_NOOP("AlertReviewModel", "Symbol"), QT_TRANSLATE_NOOP("AlertReviewModel", "Type"), QT_TRANSLATE_NOOP("AlertReviewModel", "Severity"), QT_TRANSLATE_NOOP("AlertReviewModel", "Message"), QT_TRANSLATE_NOOP("AlertReviewModel", "Acknowledged"), QT_TRANSLATE_NOOP("AlertReviewModel", "Note"))


class AlertReviewModel(QAbstractTableModel):
    """Stored alerts matching a filter, loaded page by page as the view scrolls."""

    loading_changed = Signal(bool)
    total_changed = Signal(int)

    def __init__(self, tasks: TaskSlots, parent=None) -> None:
        super().__init__(parent)
        self.tasks = tasks
        self.history: HistoryService | None = None
        self.filter = AlertFilter()
        self.rows: list[StoredAlert] = []
        self.total = 0
        self._fetching = False
        self._generation = 0

    # ------------------------------------------------------------------ Qt API
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(REVIEW_COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return QCoreApplication.translate("AlertReviewModel", REVIEW_COLUMNS[section])
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        a = self.rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (
                fmt.vietnam_time(a.created_at, True), a.symbol, a.alert_type, a.severity or "",
                localized_message(a.alert_type, a.message or ""), fmt.vietnam_time(a.acknowledged_at, True),
                a.note or "",
            )[col]
        if role == Qt.ItemDataRole.ForegroundRole and col == 3 and a.severity:
            from PySide6.QtGui import QColor

            return QColor(SEVERITY_COLOURS.get(a.severity, "#e0e0e0"))
        if role == Qt.ItemDataRole.ToolTipRole and col == 4:
            return localized_message(a.alert_type, a.message or "")
        return None

    def alert_at(self, row: int) -> StoredAlert:
        return self.rows[row]

    def canFetchMore(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> bool:  # noqa: N802
        return not parent.isValid() and self.history is not None and len(self.rows) < self.total

    def fetchMore(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> None:  # noqa: N802
        if parent.isValid() or self._fetching or not self.canFetchMore():
            return
        self._fetching = True
        self.tasks.start("alerts-page", self._fetch_page(self._generation))

    # ------------------------------------------------------------------ loading
    def set_history(self, history: HistoryService | None) -> None:
        self.history = history
        self.reload()

    def set_filter(self, flt: AlertFilter) -> None:
        self.filter = flt
        self.reload()

    def reload(self) -> None:
        self._generation += 1
        self._fetching = False
        self.beginResetModel()
        self.rows = []
        self.total = 0
        self.endResetModel()
        if self.history is not None:
            self.tasks.start("alerts-reload", self._reload(self._generation))

    async def _reload(self, generation: int) -> None:
        assert self.history is not None
        self.loading_changed.emit(True)
        try:
            total = await self.history.count_alerts(self.filter)
            if generation != self._generation:
                return
            self.total = total
            self.total_changed.emit(total)
            self._fetching = True
            await self._fetch_page(generation)
        finally:
            self.loading_changed.emit(False)

    async def _fetch_page(self, generation: int) -> None:
        assert self.history is not None
        try:
            page = await self.history.list_alerts(self.filter, PAGE_SIZE, len(self.rows))
        finally:
            if generation == self._generation:
                self._fetching = False
        if generation != self._generation or not page:
            return
        known = {a.id for a in self.rows}  # an alert stored meanwhile shifts the offsets by one
        page = [a for a in page if a.id not in known]
        if not page:
            return
        first = len(self.rows)
        self.beginInsertRows(QModelIndex(), first, first + len(page) - 1)
        self.rows.extend(page)
        self.endInsertRows()

    async def load_all(self) -> None:
        """Fetch every remaining page (used before selecting far rows in tests and exports)."""
        while self.canFetchMore():
            self._fetching = True
            await self._fetch_page(self._generation)

    async def acknowledge(self, row: int, note: str | None) -> StoredAlert:
        return await self.acknowledge_id(self.rows[row].id, note)

    async def acknowledge_id(self, alert_id: int, note: str | None) -> StoredAlert:
        assert self.history is not None
        updated = await self.history.acknowledge_alert(alert_id, note)
        # the row may have moved if the model was reloaded meanwhile: find it by id
        for i, existing in enumerate(self.rows):
            if existing.id == updated.id:
                self.rows[i] = updated
                self.dataChanged.emit(self.index(i, 0), self.index(i, len(REVIEW_COLUMNS) - 1))
                break
        return updated



def write_csv(path: Path, alerts: Sequence[StoredAlert]) -> int:
    """Blocking file write: run it in an executor."""
    with path.open("w", newline="", encoding=CSV_ENCODING) as fh:
        writer = csv.writer(fh)
        writer.writerow(CSV_HEADER)
        for a in alerts:
            writer.writerow(csv_row(a))
    return len(alerts)


# --------------------------------------------------------------------------- the widget


class AcknowledgeDialog(QDialog):
    """Says which alert (symbol, type, time, message) is being acknowledged; asks for a note."""

    acknowledged = Signal(int, object)  # alert id, note or None

    def __init__(self, alert: StoredAlert, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.alert = alert
        self.setWindowTitle(self.tr("Acknowledge {symbol} alert").format(symbol=alert.symbol))
        self.setMinimumWidth(460)
        self.summary = QLabel(
            f"<b>{escape(alert.symbol)}</b> · {escape(alert.alert_type)} · "
            f"{fmt.vietnam_time(alert.created_at, True)}<br>"
            f"{escape(localized_message(alert.alert_type, alert.message or ''))}"
        )
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.note_edit = QLineEdit()
        self.note_edit.setPlaceholderText(self.tr("Note (optional), e.g. Đã xem"))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("Acknowledge"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        box = QVBoxLayout(self)
        box.addWidget(self.summary)
        box.addWidget(QLabel(self.tr("Note:")))
        box.addWidget(self.note_edit)
        box.addWidget(buttons)

    def accept(self) -> None:
        self.acknowledged.emit(self.alert.id, self.note_edit.text().strip() or None)
        super().accept()


class AlertsView(QWidget):
    """Live list + review table with filters; double-click asks to open the chart at the alert."""

    openChart = Signal(str, object)  # symbol, datetime

    def __init__(self, on_error: Callable[[str, BaseException], None] | None = None, parent=None) -> None:
        super().__init__(parent)
        self.tasks = TaskSlots(on_error)
        self.live_model = LiveAlertsModel(self)
        self.live_list = QListView()
        self.live_list.setModel(self.live_model)
        self.live_list.doubleClicked.connect(self._live_double_clicked)
        self.review_model = AlertReviewModel(self.tasks, self)
        self.table = QTableView()
        self.table.setModel(self.review_model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(22)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)  # sized by fit_columns
        header.setStretchLastSection(True)
        self.table.setWordWrap(False)
        self.table.doubleClicked.connect(self._review_double_clicked)
        self.review_model.rowsInserted.connect(lambda *_: self.fit_columns())
        self.review_model.modelReset.connect(self.fit_columns)

        self.symbol_edit = QLineEdit()
        self.symbol_edit.setPlaceholderText(self.tr("Symbol"))
        self.symbol_edit.setMaximumWidth(90)
        self.type_combo = QComboBox()
        self.type_combo.addItem(self.tr("All types"), None)
        for t in ALERT_TYPES:
            self.type_combo.addItem(t, t)
        self.severity_combo = QComboBox()
        self.severity_combo.addItem(self.tr("All severities"), None)
        for s in Severity:
            self.severity_combo.addItem(s.value, s.value)
        self.range_check = QCheckBox(self.tr("From"))
        today = vn_today()
        self.from_edit = QDateEdit(QDate(today.year, today.month, today.day).addDays(-7))
        self.to_edit = QDateEdit(QDate(today.year, today.month, today.day))
        for edit in (self.from_edit, self.to_edit):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat(fmt.QT_DATE_FORMAT)
        self.unack_check = QCheckBox(self.tr("Unacknowledged only"))
        apply_button = QPushButton(self.tr("Apply"))
        apply_button.clicked.connect(self.apply_filter)
        self.symbol_edit.returnPressed.connect(self.apply_filter)
        self.ack_button = QPushButton(self.tr("Acknowledge…"))
        self.ack_button.clicked.connect(self._ask_acknowledge)
        self.export_button = QPushButton(self.tr("Export CSV…"))
        self.export_button.clicked.connect(self._ask_export)
        self.count_label = QLabel("")
        self.review_model.total_changed.connect(lambda n: self.count_label.setText(self.tr("{n} alerts").format(n=f"{n:,}")))
        self.ack_dialog: AcknowledgeDialog | None = None
        self.export_dialog: QFileDialog | None = None

        # two rows of controls around the table: it fits beside the board on a 1280 px screen
        filters = QHBoxLayout()
        for w in (self.symbol_edit, self.type_combo, self.severity_combo, self.unack_check, apply_button):
            filters.addWidget(w)
        filters.addStretch(1)
        actions = QHBoxLayout()
        for w in (self.range_check, self.from_edit, QLabel(self.tr("to")), self.to_edit):
            actions.addWidget(w)
        actions.addSpacing(12)
        actions.addWidget(self.count_label)
        actions.addStretch(1)
        actions.addWidget(self.ack_button)
        actions.addWidget(self.export_button)
        review = QWidget()
        rbox = QVBoxLayout(review)
        rbox.setContentsMargins(2, 2, 2, 2)
        rbox.addLayout(filters)
        rbox.addWidget(self.table, 1)
        rbox.addLayout(actions)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.live_list, self.tr("Live"))
        self.review_tab = self.tabs.addTab(review, self.tr("Review"))
        self.tabs.currentChanged.connect(self._tab_changed)
        self.refresh_timer = QTimer(self)
        self.refresh_timer.setSingleShot(True)
        self.refresh_timer.setInterval(REVIEW_REFRESH_MS)
        self.refresh_timer.timeout.connect(self._refresh_review)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.tabs)

    # ------------------------------------------------------------------ wiring
    def set_history(self, history: HistoryService | None) -> None:
        self.review_model.filter = self.current_filter()
        self.review_model.set_history(history)

    def _tab_changed(self, index: int) -> None:
        """Opening the Review tab shows what is stored now (alerts fire while it is hidden)."""
        if index == self.review_tab and self.review_model.history is not None:
            self.apply_filter()

    def fit_columns(self) -> None:
        """Every column as wide as what it shows (the message capped, the note stretching)."""
        self.table.resizeColumnsToContents()
        message = REVIEW_COLUMNS.index("Message")
        if self.table.columnWidth(message) > MESSAGE_COLUMN_MAX:
            self.table.setColumnWidth(message, MESSAGE_COLUMN_MAX)

    def on_live_alerts(self, alerts: Sequence[Alert]) -> None:
        self.live_model.add(alerts)
        if self._review_idle() and not self.refresh_timer.isActive():
            self.refresh_timer.start()

    def _review_idle(self) -> bool:
        """Review shown, nothing selected, scrolled to the top: new rows disturb no one."""
        return (self.review_model.history is not None and self.tabs.currentIndex() == self.review_tab
                and self.table.isVisible() and self.selected_row() is None
                and self.table.verticalScrollBar().value() == 0)

    def _refresh_review(self) -> None:
        if self._review_idle():
            self.review_model.reload()  # the applied filter, not half-typed edits

    def current_filter(self) -> AlertFilter:
        symbol = self.symbol_edit.text().strip().upper() or None
        start = end = None
        if self.range_check.isChecked():
            f, t = self.from_edit.date(), self.to_edit.date()
            start = datetime.combine(date(f.year(), f.month(), f.day()), time(0), VIETNAM_TZ)
            end = datetime.combine(date(t.year(), t.month(), t.day()) + timedelta(days=1), time(0), VIETNAM_TZ)
        return AlertFilter(
            symbol=symbol,
            alert_type=self.type_combo.currentData(),
            severity=self.severity_combo.currentData(),
            start=start,
            end=end,
            unacknowledged_only=self.unack_check.isChecked(),
        )

    def apply_filter(self) -> None:
        self.review_model.set_filter(self.current_filter())

    def selected_row(self) -> int | None:
        rows = self.table.selectionModel().selectedRows()
        return rows[0].row() if rows else None

    # ------------------------------------------------------------------ actions
    def acknowledge_selected(self, note: str | None) -> asyncio.Task | None:
        row = self.selected_row()
        if row is None or self.review_model.history is None:
            return None
        return self.tasks.start("acknowledge", self.review_model.acknowledge(row, note or None))

    def export_csv(self, path: Path) -> asyncio.Task:
        return self.tasks.start("export", self._export(path))

    async def _export(self, path: Path) -> int:
        """The table's rows: the rest of the shown result is paged in first, nothing is re-queried."""
        await self.review_model.load_all()
        alerts = list(self.review_model.rows)
        n = await asyncio.get_running_loop().run_in_executor(None, write_csv, path, alerts)
        self.count_label.setText(self.tr("Exported {n}").format(n=f"{n:,}"))
        self.count_label.setToolTip(self.tr("Exported {n} alerts to {path}").format(n=f"{n:,}", path=path))
        return n

    def _ask_acknowledge(self) -> AcknowledgeDialog | None:
        """A note dialog that names the alert it acknowledges; the answer arrives by signal."""
        row = self.selected_row()
        if row is None or self.review_model.history is None:
            return None
        dialog = AcknowledgeDialog(self.review_model.alert_at(row), self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        dialog.acknowledged.connect(
            lambda alert_id, note: self.tasks.start("acknowledge", self.review_model.acknowledge_id(alert_id, note)))
        dialog.destroyed.connect(lambda *_: setattr(self, "ack_dialog", None))
        self.ack_dialog = dialog
        dialog.open()
        return dialog

    def _ask_export(self) -> QFileDialog | None:
        if self.review_model.history is None:
            return None
        folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation) or str(Path.home())
        dialog = QFileDialog(self, self.tr("Export alerts"), str(Path(folder) / "alerts.csv"), "CSV (*.csv)")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix("csv")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        dialog.fileSelected.connect(lambda name: self.export_csv(Path(name)) if name else None)
        dialog.destroyed.connect(lambda *_: setattr(self, "export_dialog", None))
        self.export_dialog = dialog
        dialog.open()
        return dialog

    def _review_double_clicked(self, index: QModelIndex) -> None:
        a = self.review_model.rows[index.row()]
        self.openChart.emit(a.symbol, a.created_at)

    def _live_double_clicked(self, index: QModelIndex) -> None:
        a = self.live_model.alerts[index.row()]
        self.openChart.emit(a.symbol, a.timestamp)

