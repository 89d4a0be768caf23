"""Data → Backfill daily OHLC…: import SSI DailyOhlc into ``daily_ohlc`` without freezing the app.

The run is ``services.backfill.BackfillService.run`` on the app's loop; its progress callback
updates the bar and the current symbol, Cancel sets the service's cancel event (it stops between
windows, keeping what was written), a symbol that fails is listed with its reason while the others
go on, and the summary says inserted / updated / unchanged / failed. Credentials come from the
environment, the keyring, or are asked for here (see ``credentials.py``), in a dialog opened with
``open()`` (no nested event loop). Network and credential failures are told in a trader's words
(``trader_message``); the technical reason goes to the log file.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import date, timedelta
from typing import Any, Callable, Protocol, Sequence

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QDate, Qt, Signal
from PySide6.QtWidgets import (
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.errors import ConfigurationError
from desktop_app.feeds.ssi_rest import SsiAuthError, SsiUnavailableError
from desktop_app.market_clock import vn_today
from desktop_app.ui import board_format as fmt
from desktop_app.ui.async_tasks import TaskSlots
from desktop_app.ui.credentials import CredentialStore, SsiCredentials

log = logging.getLogger(__name__)


class BackfillRunner(Protocol):
    """What the dialog needs from ``BackfillService``."""

    async def run(self, symbols: Sequence[str] | str, start: date, end: date, *,
                  progress: Callable[[Any], None] | None = None,
                  cancel: asyncio.Event | None = None) -> Any: ...


ServiceFactory = Callable[[SsiCredentials], BackfillRunner]

NO_NETWORK = QT_TRANSLATE_NOOP("BackfillDialog", "Cannot reach SSI's data server — check your internet connection.")
SSI_BUSY = QT_TRANSLATE_NOOP("BackfillDialog",
                             "SSI's data server is not answering right now (busy or down) — try again in a few minutes.")
BAD_CREDENTIALS = QT_TRANSLATE_NOOP("BackfillDialog", "SSI refused the consumer ID / secret — check them in "
                                    "File → Settings → SSI FastConnect credentials.")


def trader_message(failure: BaseException | str) -> str | None:
    """What a trader should read about a backfill failure (in the UI language), or None when the
    technical reason is the useful one (a malformed row, a database error)."""
    message = _plain_reason(failure)
    return None if message is None else QCoreApplication.translate("BackfillDialog", message)


def _plain_reason(failure: BaseException | str) -> str | None:
    """``failure`` is the exception or the ``"ExceptionName: text"`` reason a summary lists per symbol."""
    if isinstance(failure, SsiAuthError):
        return BAD_CREDENTIALS
    if isinstance(failure, BaseException):
        if not isinstance(failure, (SsiUnavailableError, OSError)):
            return None
        text = str(failure)
    else:
        if not failure.startswith((f"{SsiUnavailableError.__name__}:", f"{SsiAuthError.__name__}:")):
            return None
        if failure.startswith(SsiAuthError.__name__):
            return BAD_CREDENTIALS
        text = failure
    return SSI_BUSY if "HTTP 5" in text or "HTTP 429" in text else NO_NETWORK


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
        self.setWindowTitle(self.tr("SSI FastConnect credentials"))
        self.setMinimumWidth(440)
        self.store = store
        self.id_edit = QLineEdit()
        self.secret_edit = QLineEdit()
        self.secret_edit.setEchoMode(QLineEdit.EchoMode.Password)
        form = QFormLayout(self)
        intro = QLabel(self.tr("The backfill and the live feed need SSI FastConnect Data credentials."))
        intro.setWordWrap(True)
        form.addRow(intro)
        form.addRow(self.tr("Consumer ID"), self.id_edit)
        form.addRow(self.tr("Consumer secret"), self.secret_edit)
        where = store.describe_backend()
        note = QLabel(where[:1].upper() + where[1:] + ".")
        note.setWordWrap(True)
        form.addRow(note)
        self.error_label = QLabel("")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #f04848;")
        form.addRow(self.error_label)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.saved_where = ""

    def _accept(self) -> None:
        cid, secret = self.id_edit.text().strip(), self.secret_edit.text().strip()
        if not cid or not secret:
            self.error_label.setText(self.tr("Both the consumer ID and the secret are needed."))
            return
        self.saved_where = self.store.save(SsiCredentials(cid, secret))
        self.accept()


class BackfillDialog(QDialog):
    finished_run = Signal(object)  # the BackfillSummary, or the exception that stopped the run

    def __init__(self, service_factory: ServiceFactory, store: CredentialStore,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Backfill daily OHLC"))
        self.setMinimumWidth(520)
        self.service_factory = service_factory
        self.store = store
        self.tasks = TaskSlots(self._task_failed)
        self.cancel_event: asyncio.Event | None = None
        self.summary: Any = None

        self.vn30_radio = QRadioButton(self.tr("VN30 basket"))
        self.list_radio = QRadioButton(self.tr("Symbols:"))
        self.vn30_radio.setChecked(True)
        self.symbols_edit = QLineEdit()
        self.symbols_edit.setPlaceholderText("FPT, VNM, HPG")
        self.symbols_edit.textEdited.connect(lambda _t: self.list_radio.setChecked(True))
        today = vn_today()
        start = today - timedelta(days=365)
        self.from_edit = QDateEdit(QDate(start.year, start.month, start.day))
        self.to_edit = QDateEdit(QDate(today.year, today.month, today.day))
        for edit in (self.from_edit, self.to_edit):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat(fmt.QT_DATE_FORMAT)
        self.to_edit.setMaximumDate(QDate(today.year, today.month, today.day))
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setValue(0)
        self.current_label = QLabel("")
        self.current_label.setWordWrap(True)  # a long message wraps; it is never cut off
        self.current_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.credentials_dialog: CredentialsDialog | None = None
        self.log_view = QPlainTextEdit()
        self.log_view.setReadOnly(True)
        self.log_view.setMaximumBlockCount(2000)
        self.start_button = QPushButton(self.tr("Start"))
        self.start_button.setDefault(True)
        self.start_button.clicked.connect(self.start)
        self.cancel_button = QPushButton(self.tr("Cancel run"))
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.close_button = QPushButton(self.tr("Close"))
        self.close_button.clicked.connect(self.close)

        symbols_row = QHBoxLayout()
        symbols_row.addWidget(self.vn30_radio)
        symbols_row.addWidget(self.list_radio)
        symbols_row.addWidget(self.symbols_edit, 1)
        dates_row = QHBoxLayout()
        dates_row.addWidget(self.from_edit)
        dates_row.addWidget(QLabel(self.tr("to")))
        dates_row.addWidget(self.to_edit)
        dates_row.addStretch(1)
        form = QFormLayout()
        form.addRow(self.tr("Symbols"), symbols_row)
        form.addRow(self.tr("Dates"), dates_row)
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

    def credentials(self) -> SsiCredentials | None:
        return self.store.get()

    def ask_credentials(self) -> CredentialsDialog:
        """Open the credentials prompt; once they are given the run starts."""
        dialog = CredentialsDialog(self.store, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        dialog.accepted.connect(lambda d=dialog: self._credentials_given(d.saved_where))
        dialog.rejected.connect(lambda: self.show_error(
            "SSI credentials are needed for the backfill (Settings → SSI, or "
            "SSI_CONSUMER_ID / SSI_CONSUMER_SECRET)."))
        dialog.destroyed.connect(lambda *_: setattr(self, "credentials_dialog", None))
        self.credentials_dialog = dialog
        dialog.open()
        return dialog

    def _credentials_given(self, saved_where: str) -> None:
        where = QCoreApplication.translate("CredentialStore", saved_where)
        self.append_log(self.tr("SSI credentials {where}.").format(where=where))
        if self.store.get() is not None:
            self.start()

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
            self.ask_credentials()
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
        self.current_label.setText(self.tr("Connecting to SSI…"))
        label = symbols if isinstance(symbols, str) else ", ".join(symbols)
        self.append_log(self.tr("Backfill {symbols} from {start} to {end}…").format(
            symbols=label, start=f"{start:%d/%m/%Y}", end=f"{end:%d/%m/%Y}"))
        return self.tasks.start("backfill", self._run(service, symbols, start, end, self.cancel_event))

    def cancel(self) -> None:
        if self.cancel_event is not None and not self.cancel_event.is_set():
            self.cancel_event.set()
            self.current_label.setText(self.tr("Cancelling after the current window…"))
            self.cancel_button.setEnabled(False)

    async def _run(self, service: BackfillRunner, symbols: Sequence[str] | str, start: date, end: date,
                   cancel: asyncio.Event) -> Any:
        try:
            summary = await service.run(symbols, start, end, progress=self.on_progress, cancel=cancel)
        except (ConfigurationError, SsiUnavailableError) as exc:  # refused credentials / no network
            log.warning("backfill stopped before any symbol: %s", exc)  # every symbol would fail
            self.show_error(trader_message(exc) or str(exc))
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
        self.current_label.setText(self.tr("{symbol} ({index}/{total}) — {symbol_rows} bars for it, {rows} bars so far")
                                   .format(symbol=p.symbol, index=p.symbol_index, total=p.symbols_total,
                                           symbol_rows=f"{p.symbol_rows:,}", rows=f"{p.rows:,}"))

    def show_summary(self, s: Any) -> None:
        if not s.cancelled:
            self.progress.setValue(1000)
        text = (self.tr("Cancelled: inserted {inserted}, updated {updated}, unchanged {unchanged}, failed {failed}")
                if s.cancelled else
                self.tr("Done: inserted {inserted}, updated {updated}, unchanged {unchanged}, failed {failed}")).format(
            inserted=f"{s.inserted:,}", updated=f"{s.updated:,}", unchanged=f"{s.unchanged:,}", failed=len(s.failed))
        plain = {trader_message(reason) for reason in s.failed.values()}
        if len(plain) == 1 and None not in plain:  # one cause for every failure: say it once
            text += f" — {plain.pop()}"
        self.current_label.setText(text)
        self.append_log(text)
        for symbol, reason in s.failed.items():
            readable = trader_message(reason)
            if readable is not None:
                log.warning("backfill of %s failed: %s", symbol, reason)  # the detail, for the log
            self.append_log(self.tr("  {symbol}: FAILED — {reason}").format(symbol=symbol, reason=readable or reason))

    def show_error(self, message: str) -> None:
        self.append_log(self.tr("Error: {message}").format(message=message))
        self.current_label.setText(message)

    def append_log(self, line: str) -> None:
        self.log_view.appendPlainText(line)

    def _running(self, running: bool) -> None:
        self.start_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)

    def _task_failed(self, slot: str, exc: BaseException) -> None:
        self.show_error(trader_message(exc) or f"The backfill stopped: {exc}")
        self.finished_run.emit(exc)

    def closeEvent(self, event) -> None:  # noqa: N802
        """Closing while running cancels cleanly rather than abandoning the task."""
        if self.tasks.running("backfill") is not None:
            self.cancel()
        super().closeEvent(event)
