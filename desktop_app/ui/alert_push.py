"""The GUI side of alert push: the desktop channel, the Telegram token from the OS keyring, the
Alerts menu (Rules, snooze), "New price alert…" on the board, and the channels' state in the
status bar.

One call, ``attach_alert_push(window, delivery, price_rules)``, once the pipeline runs. The
token is never written to settings.json: the environment wins, else the keyring (same pattern as
the SSI credentials), else nothing.
"""

from __future__ import annotations

import logging
from typing import Any

import keyring
import keyring.errors
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QWidget,
)

from desktop_app.services.alert_delivery import ChannelState, ChannelStatus, TelegramChannel
from desktop_app.ui.credentials import CredentialStore
from desktop_app.ui.desktop_notifier import DesktopChannel
from desktop_app.ui.price_rules_view import PriceRulesView

log = logging.getLogger(__name__)

TOKEN_SERVICE = "stock-tracker-telegram"
TOKEN_KEY = "bot_token"
SNOOZE_MINUTES = 30


def keyring_token() -> str | None:
    if not CredentialStore.keyring_available():
        return None
    try:
        return keyring.get_password(TOKEN_SERVICE, TOKEN_KEY)
    except keyring.errors.KeyringError as exc:
        log.warning("cannot read the Telegram token from the keyring: %s", exc)
        return None


def save_keyring_token(token: str) -> str:
    """Keep the token in the OS keyring; returns what happened, in words for the dialog."""
    if not CredentialStore.keyring_available():
        return "no system keyring on this computer: set STOCK_TRACKER_TELEGRAM_BOT_TOKEN instead"
    try:
        keyring.set_password(TOKEN_SERVICE, TOKEN_KEY, token)
    except keyring.errors.KeyringError as exc:
        return f"not saved (keyring error: {type(exc).__name__})"
    return "saved in the system keyring; used from the next start"


class TelegramTokenDialog(QDialog):
    """Enter the bot token (masked); it goes to the keyring, never to settings.json."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Telegram bot token")
        self.token = QLineEdit()
        self.token.setEchoMode(QLineEdit.EchoMode.Password)
        self.result_label = QLabel()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Close)
        buttons.accepted.connect(self._save)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("Bot token", self.token)
        form.addRow(QLabel("The chat id is set in settings.json (delivery.telegram_chat_id) or "
                           "STOCK_TRACKER_TELEGRAM_CHAT_ID."))
        form.addRow(self.result_label)
        form.addRow(buttons)

    def _save(self) -> None:
        token = self.token.text().strip()
        if token:
            self.result_label.setText(save_keyring_token(token))
            self.token.clear()


def describe(statuses: list[ChannelStatus]) -> str:
    """One line for the status bar: each channel and, when it is not fine, why."""
    parts = []
    for s in statuses:
        if s.state is ChannelState.STOPPED:
            parts.append(f"{s.channel} stopped: {s.reason}")
        elif s.state is ChannelState.RETRYING:
            parts.append(f"{s.channel} retrying ({s.pending} pending)")
        else:
            parts.append(f"{s.channel} ok" + (f" ({s.pending} pending)" if s.pending else ""))
    return "Push: " + " · ".join(parts) if parts else ""


class AlertPushUi:
    """Everything alert push adds to the main window."""

    def __init__(self, window: Any, delivery: Any, price_rules: Any) -> None:
        self.window = window
        self.delivery = delivery
        settings = window.settings
        self.desktop = DesktopChannel.with_tray(settings.delivery, window.windowIcon(), window)
        delivery.add_channel(self.desktop)
        if "telegram" not in delivery.channels and settings.delivery.telegram_chat_id:
            token = keyring_token()
            if token:
                delivery.add_channel(TelegramChannel(token, settings.delivery.telegram_chat_id,
                                                     settings.telegram_api_url,
                                                     timeout_s=settings.delivery.http_timeout_s))
        self.label = QLabel()
        window.status.addPermanentWidget(self.label)
        delivery.add_status_listener(lambda _s: self.label.setText(describe(delivery.statuses())))
        self.rules_view = PriceRulesView(price_rules, on_error=window.report_error)
        self.rules_view.setWindowFlag(Qt.WindowType.Window, True)
        self.rules_view.resize(640, 360)
        self._build_menu()
        table = window.watchlist.table
        table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        table.customContextMenuRequested.connect(self._board_menu)
        self.rules_view.reload()

    def _build_menu(self) -> None:
        menu = self.window.menuBar().addMenu("&Alerts")
        rules = QAction("Price alert &rules…", self.window)
        rules.triggered.connect(self.show_rules)
        menu.addAction(rules)
        snooze = QAction(f"&Snooze desktop alerts for {SNOOZE_MINUTES} min", self.window)
        snooze.triggered.connect(self.snooze)
        menu.addAction(snooze)
        resume = QAction("Resume desktop alerts", self.window)
        resume.triggered.connect(self.desktop.resume)
        menu.addAction(resume)
        token = QAction("&Telegram bot token…", self.window)
        token.triggered.connect(self.open_token_dialog)
        menu.addAction(token)
        self.menu = menu

    def show_rules(self) -> PriceRulesView:
        self.rules_view.show()
        self.rules_view.raise_()
        return self.rules_view

    def snooze(self) -> None:
        until = self.desktop.snooze(SNOOZE_MINUTES)
        self.window.statusBar().showMessage(f"Desktop alerts snoozed until {until:%H:%M}", 8000)

    def new_price_alert(self, symbol: str | None) -> Any:
        self.show_rules()
        return self.rules_view.new_rule(symbol)

    def open_token_dialog(self) -> TelegramTokenDialog:
        dialog = TelegramTokenDialog(self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        dialog.open()
        return dialog

    def _board_menu(self, pos: QPoint) -> None:
        watchlist = self.window.watchlist
        table = watchlist.table
        index = table.indexAt(pos)
        symbol = watchlist.model.symbol_at(watchlist.proxy.mapToSource(index).row()) if index.isValid() else None
        menu = QMenu(table)
        action = menu.addAction("New price alert…")
        action.triggered.connect(lambda: self.new_price_alert(symbol))
        menu.popup(table.viewport().mapToGlobal(pos))


def attach_alert_push(window: Any, delivery: Any, price_rules: Any) -> AlertPushUi | None:
    """Called once the pipeline runs (the runtime has started the services)."""
    if delivery is None or price_rules is None:
        return None
    window.alert_push = AlertPushUi(window, delivery, price_rules)
    return window.alert_push
