"""Data → Backfill daily OHLC…: import SSI DailyOhlc into ``daily_ohlc`` without freezing the app.

The run is ``services.backfill.BackfillService.run`` on the app's loop; its progress callback
updates the bar and the current symbol, Cancel sets the service's cancel event (it stops between
windows, keeping what was written), a symbol that fails is listed with its reason while the others
go on, and the summary says inserted / updated / unchanged / failed. Credentials come from the
environment, the keyring, or are asked for here (see ``credentials.py``).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import date, datetime, timedelta
from typing import Any, Callable, Protocol, Sequence

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import (
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.domain import VIETNAM_TZ
from desktop_app.errors import ConfigurationError
from desktop_app.ui.async_tasks import TaskSlots
from desktop_app.ui.credentials import CredentialStore, SsiCredentials

log = logging.getLogger(__name__)


class BackfillRunner(Protocol):
    """What the dialog needs from ``BackfillService``."""

    async def run(self, symbols: Sequence[str] | str, start: date, end: date, *,
                  progress: Callable[[Any], None] | None = None,
                  cancel: asyncio.Event | None = None) -> Any: ...


ServiceFactory = Callable[[SsiCredentials], BackfillRunner]


def parse_symbols(text: str) -> list[str]:
    items = [s.strip().upper() for s in text.replace(";", ",").replace(" ", ",").split(",") if s.strip()]
    for item in items:
        if not (1 <= len(item) <= 10 and item.isalnum()):
            raise ConfigurationError(f"not a ticker symbol: {item!r}")
    if not items:
        raise ConfigurationError("enter at least one symbol, e.g. FPT,VNM")
    return items


class CredentialsDialog(QDialog):
    """Asks for the SSI consumer id / secret; says where they will be kept."""

    def __init__(self, store: CredentialStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("SSI FastConnect credentials")
        self.store = store
        self.id_edit = QLineEdit()
        self.secret_edit = QLineEdit()
        self.secret_edit.setEchoMode(QLineEdit.EchoMode.Password)
        form = QFormLayout(self)
        form.addRow(QLabel("The backfill and the live feed need SSI FastConnect Data credentials."))
        form.addRow("Consumer ID", self.id_edit)
        form.addRow("Consumer secret", self.secret_edit)
        note = QLabel(store.describe_backend())
        note.setWordWrap(True)
        form.addRow(note)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.saved_where = ""

    def _accept(self) -> None:
        cid, secret = self.id_edit.text().strip(), self.secret_edit.text().strip()
        if not cid or not secret:
            QMessageBox.warning(self, "SSI credentials", "Both the consumer ID and the secret are needed.")
            return
        self.saved_where = self.store.save(SsiCredentials(cid, secret))
        self.accept()


class BackfillDialog(QDialog):
    finished_run = Signal(object)  # the BackfillSummary, or the exception that stopped the run

    def __init__(self, service_factory: ServiceFactory, store: CredentialStore,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Backfill daily OHLC")
        self.setMinimumWidth(520)
        self.service_factory = service_factory
        self.store = store
        self.tasks = TaskSlots(self._task_failed)
        self.cancel_event: asyncio.Event | None = None
        self.summary: Any = None

        self.vn30_radio = QRadioButton("VN30 basket")
        self.list_radio = QRadioButton("Symbols:")
        self.vn30_radio.setChecked(True)
        self.symbols_edit = QLineEdit()
        self.symbols_edit.setPlaceholderText("FPT, VNM, HPG")
        self.symbols_edit.textEdited.connect(lambda _t: self.list_radio.setChecked(True))
        today = datetime.now(VIETNAM_TZ).date()
        start = today - timedelta(days=365)
        self.from_edit = QDateEdit(QDate(start.year, start.month, start.day))
        self.to_edit = QDateEdit(QDate(today.year, today.month, today.day))
        for edit in (self.from_edit, self.to_edit):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("dd/MM/yyyy")
        self.to_edit.setMaximumDate(QDate(today.year, today.month, today.day))
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setValue(0)
        self.current_label = QLabel("")
        self.log_view = QPlainTextEdit()
        self.log_view.setReadOnly(True)
        self.log_view.setMaximumBlockCount(2000)
        self.start_button = QPushButton("Start")
        self.start_button.setDefault(True)
        self.start_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Cancel run")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.close_button = QPushButton("Close")
        self.close_button.clicked.connect(self.close)

        symbols_row = QHBoxLayout()
        symbols_row.addWidget(self.vn30_radio)
        symbols_row.addWidget(self.list_radio)
        symbols_row.addWidget(self.symbols_edit, 1)
        dates_row = QHBoxLayout()
        dates_row.addWidget(self.from_edit)
        dates_row.addWidget(QLabel("to"))
        dates_row.addWidget(self.to_edit)
        dates_row.addStretch(1)
        form = QFormLayout()
        form.addRow("Symbols", symbols_row)
        form.addRow("Dates", dates_row)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.close_button)
        box = QVBoxLayout(self)
        box.addLayout(form)
        box.addWidget(self.progress)
        box.addWidget(self.current_label)
        box.addWidget(self.log_view, 1)
        box.addLayout(buttons)

    # ------------------------------------------------------------------ inputs
    def chosen_symbols(self) -> Sequence[str] | str:
        if self.vn30_radio.isChecked():
            return "VN30"
        return parse_symbols(self.symbols_edit.text())

    def chosen_dates(self) -> tuple[date, date]:
        f, t = self.from_edit.date(), self.to_edit.date()
        start, end = date(f.year(), f.month(), f.day()), date(t.year(), t.month(), t.day())
        if start > end:
            raise ConfigurationError("the start date must not be after the end date")
        return start, end

    def credentials(self, ask: bool = True) -> SsiCredentials | None:
        creds = self.store.get()
        if creds is None and ask:
            dialog = CredentialsDialog(self.store, self)
            if dialog.exec() == QDialog.DialogCode.Accepted:
                self.append_log(f"SSI credentials {dialog.saved_where}.")
                creds = self.store.get()
        return creds

    # ------------------------------------------------------------------ run
    def start(self) -> asyncio.Task | None:
        try:
            symbols = self.chosen_symbols()
            start, end = self.chosen_dates()
        except ConfigurationError as exc:
            self.show_error(str(exc))
            return None
        creds = self.credentials()
        if creds is None:
            self.show_error("SSI credentials are needed for the backfill (Settings → SSI, or "
                            "SSI_CONSUMER_ID / SSI_CONSUMER_SECRET).")
            return None
        try:
            service = self.service_factory(creds)
        except ConfigurationError as exc:
            self.show_error(str(exc))
            return None
        self.cancel_event = asyncio.Event()
        self.summary = None
        self._running(True)
        self.progress.setValue(0)
        label = symbols if isinstance(symbols, str) else ", ".join(symbols)
        self.append_log(f"Backfill {label} from {start:%d/%m/%Y} to {end:%d/%m/%Y}…")
        return self.tasks.start("backfill", self._run(service, symbols, start, end, self.cancel_event))

    def cancel(self) -> None:
        if self.cancel_event is not None and not self.cancel_event.is_set():
            self.cancel_event.set()
            self.current_label.setText("Cancelling after the current window…")
            self.cancel_button.setEnabled(False)

    async def _run(self, service: BackfillRunner, symbols: Sequence[str] | str, start: date, end: date,
                   cancel: asyncio.Event) -> Any:
        try:
            summary = await service.run(symbols, start, end, progress=self.on_progress, cancel=cancel)
        except ConfigurationError as exc:  # refused credentials: every symbol would fail
            self.show_error(str(exc))
            self.finished_run.emit(exc)
            return None
        finally:
            self._running(False)
        self.summary = summary
        self.show_summary(summary)
        self.finished_run.emit(summary)
        return summary

    def on_progress(self, p: Any) -> None:
        self.progress.setValue(int(round(p.fraction * 1000)))
        self.current_label.setText(
            f"{p.symbol} ({p.symbol_index}/{p.symbols_total}) — {p.symbol_rows:,} bars for it,"
            f" {p.rows:,} bars so far"
        )

    def show_summary(self, s: Any) -> None:
        if not s.cancelled:
            self.progress.setValue(1000)
        head = "Cancelled" if s.cancelled else "Done"
        self.current_label.setText(
            f"{head}: inserted {s.inserted:,}, updated {s.updated:,}, unchanged {s.unchanged:,},"
            f" failed {len(s.failed)}"
        )
        self.append_log(self.current_label.text())
        for symbol, reason in s.failed.items():
            self.append_log(f"  {symbol}: FAILED — {reason}")

    def show_error(self, message: str) -> None:
        self.append_log(f"Error: {message}")
        self.current_label.setText(message)

    def append_log(self, line: str) -> None:
        self.log_view.appendPlainText(line)

    def _running(self, running: bool) -> None:
        self.start_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)

    def _task_failed(self, slot: str, exc: BaseException) -> None:
        self.show_error(f"the backfill stopped: {exc}")
        self.finished_run.emit(exc)

    def closeEvent(self, event) -> None:  # noqa: N802
        """Closing while running cancels cleanly rather than abandoning the task."""
        if self.tasks.running("backfill") is not None:
            self.cancel()
        super().closeEvent(event)
