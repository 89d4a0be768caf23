"""The GUI side of alert push: the desktop channel, the Telegram token from the OS keyring, the
Alerts menu (Rules, snooze), "New price alert…" on the board, and the channels' state in the
status bar.

One call, ``attach_alert_push(window, delivery, price_rules)``, once the pipeline runs. The
token is never written to settings.json: the environment wins, else the keyring (same pattern as
the SSI credentials), else nothing.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

import keyring
import keyring.errors
from dataclasses import replace

from PySide6.QtCore import QCoreApplication, QPoint, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QWidget,
)

from desktop_app.domain import PriceRuleKind
from desktop_app.config import PUSH_CHANNELS, AlertRoute, DeliverySettings, Settings, save_settings
from desktop_app.errors import ConfigurationError

from desktop_app.services.alert_delivery import ChannelState, ChannelStatus, TelegramChannel
from desktop_app.ui.credentials import CredentialStore
from desktop_app.ui.desktop_notifier import DesktopChannel
from desktop_app.ui.price_rules_view import KIND_LABELS, PriceRuleDialog, PriceRulesView

log = logging.getLogger(__name__)

TOKEN_SERVICE = "stock-tracker-telegram"
TOKEN_KEY = "bot_token"
SNOOZE_MINUTES = 30
SEVERITIES = ("info", "warning", "critical")


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
        return QCoreApplication.translate("AlertPushUi", "no system keyring on this computer: "
                                          "set STOCK_TRACKER_TELEGRAM_BOT_TOKEN instead")
    try:
        keyring.set_password(TOKEN_SERVICE, TOKEN_KEY, token)
    except keyring.errors.KeyringError as exc:
        return QCoreApplication.translate("AlertPushUi", "not saved (keyring error: {error})").format(
            error=type(exc).__name__)
    return QCoreApplication.translate("AlertPushUi", "saved in the system keyring (used from the next start)")


class PushSettingsDialog(QDialog):
    """Alerts -> Push settings: each channel's state (and why it stopped), the Telegram token
    (to the keyring only), chat id, webhook, quiet hours and routing; saved to settings.json."""

    saved = Signal(object)  # the new Settings

    def __init__(self, settings: Settings, statuses: list[ChannelStatus], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Alert push settings"))
        self._settings = settings
        d = settings.delivery
        self.status_label = QLabel(describe(statuses) or self.tr("Push: no channel running"))
        self.status_label.setWordWrap(True)
        self.token = QLineEdit()
        self.token.setEchoMode(QLineEdit.EchoMode.Password)
        self.token.setPlaceholderText("from the environment" if settings.telegram_bot_token else "kept in the OS keyring")
        self.chat_id = QLineEdit(d.telegram_chat_id or "")
        self.webhook = QLineEdit(d.webhook_url or "")
        self.quiet_start = QLineEdit(d.quiet_start or "")
        self.quiet_start.setPlaceholderText("HH:MM")
        self.quiet_end = QLineEdit(d.quiet_end or "")
        self.quiet_end.setPlaceholderText("HH:MM")
        self.routes: dict[str, tuple[QLineEdit, dict[str, QCheckBox]]] = {}
        self.result_label = QLabel()
        self.result_label.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._save)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow(self.status_label)
        form.addRow(self.tr("Telegram bot token"), self.token)
        form.addRow(self.tr("Telegram chat id"), self.chat_id)
        form.addRow(self.tr("Webhook URL"), self.webhook)
        quiet = QHBoxLayout()
        quiet.addWidget(self.quiet_start)
        quiet.addWidget(QLabel(self.tr("to")))
        quiet.addWidget(self.quiet_end)
        form.addRow(self.tr("Desktop quiet hours"), quiet)
        for channel in PUSH_CHANNELS:
            route = d.route(channel)
            types = QLineEdit(", ".join(route.alert_types))
            types.setPlaceholderText(self.tr("all alert types (or e.g. ceiling_hit, price_above)"))
            boxes = {}
            row = QHBoxLayout()
            row.addWidget(types, 1)
            for severity in SEVERITIES:
                box = QCheckBox(severity)
                box.setChecked(not route.severities or severity in route.severities)
                boxes[severity] = box
                row.addWidget(box)
            self.routes[channel] = (types, boxes)
            form.addRow(self.tr("{channel} gets").format(channel=channel.capitalize()), row)
        form.addRow(self.result_label)
        form.addRow(buttons)

    def delivery_settings(self) -> DeliverySettings:
        routes = {}
        for channel, (types, boxes) in self.routes.items():
            chosen = tuple(s for s, box in boxes.items() if box.isChecked())
            alert_types = tuple(t.strip() for t in types.text().split(",") if t.strip())
            route = AlertRoute(alert_types, () if len(chosen) == len(SEVERITIES) else chosen)
            if route != AlertRoute():
                routes[channel] = route
        return replace(
            self._settings.delivery, routes=routes, telegram_chat_id=self.chat_id.text().strip() or None,
            webhook_url=self.webhook.text().strip() or None,
            quiet_start=self.quiet_start.text().strip() or None, quiet_end=self.quiet_end.text().strip() or None,
        )

    def _save(self) -> None:
        try:
            settings = replace(self._settings, delivery=self.delivery_settings())
            settings.validate()
            save_settings(settings)
        except (ConfigurationError, OSError) as exc:
            self.result_label.setText(self.tr("Not saved: {error}").format(error=exc))
            return
        notes = [self.tr("Saved; channel changes apply at the next start.")]
        token = self.token.text().strip()
        if token:
            notes.append(self.tr("Bot token {outcome}.").format(outcome=save_keyring_token(token)))
            self.token.clear()
        self.result_label.setText(" ".join(notes))
        self._settings = settings
        self.saved.emit(settings)
        self.accept()


def describe(statuses: list[ChannelStatus]) -> str:
    """One line for the status bar: each channel and, when it is not fine, why."""
    parts = []
    for s in statuses:
        if s.state is ChannelState.STOPPED:
            parts.append(QCoreApplication.translate("AlertPushUi", "{channel} stopped: {reason}").format(
                channel=s.channel, reason=s.reason))
        elif s.state is ChannelState.RETRYING:
            parts.append(QCoreApplication.translate("AlertPushUi", "{channel} retrying ({pending} pending)").format(
                channel=s.channel, pending=s.pending))
        elif s.pending:
            parts.append(QCoreApplication.translate("AlertPushUi", "{channel} ok ({pending} pending)").format(
                channel=s.channel, pending=s.pending))
        else:
            parts.append(QCoreApplication.translate("AlertPushUi", "{channel} ok").format(channel=s.channel))
    return QCoreApplication.translate("AlertPushUi", "Push: ") + " · ".join(parts) if parts else ""


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
        window.charts.priceAlertRequested.connect(self.chart_price_alert)  # the intraday price pane's menu
        self.rules_view.reload()

    def _build_menu(self) -> None:
        menu = self.window.menuBar().addMenu(QCoreApplication.translate("AlertPushUi", "&Alerts"))
        rules = QAction(QCoreApplication.translate("AlertPushUi", "Price alert &rules…"), self.window)
        rules.triggered.connect(self.show_rules)
        menu.addAction(rules)
        snooze = QAction(QCoreApplication.translate("AlertPushUi", "&Snooze desktop alerts for {minutes} min").format(
            minutes=SNOOZE_MINUTES), self.window)
        snooze.triggered.connect(self.snooze)
        menu.addAction(snooze)
        resume = QAction(QCoreApplication.translate("AlertPushUi", "Resume desktop alerts"), self.window)
        resume.triggered.connect(self.desktop.resume)
        menu.addAction(resume)
        push = QAction(QCoreApplication.translate("AlertPushUi", "&Push settings (Telegram, webhook, quiet hours)…"),
                       self.window)
        push.triggered.connect(self.open_push_settings)
        menu.addAction(push)
        self.menu = menu

    def show_rules(self) -> PriceRulesView:
        self.rules_view.show()
        self.rules_view.raise_()
        return self.rules_view

    def snooze(self) -> None:
        until = self.desktop.snooze(SNOOZE_MINUTES)
        self.window.statusBar().showMessage(QCoreApplication.translate("AlertPushUi", "Desktop alerts snoozed until {time}").format(
            time=f"{until:%H:%M}"), 8000)

    def new_price_alert(self, symbol: str | None) -> Any:
        self.show_rules()
        return self.rules_view.new_rule(symbol)

    def chart_price_alert(self, symbol: str, threshold: Decimal, last: float | None) -> PriceRuleDialog:
        """The rule dialog for "alert when the price crosses ``threshold``": at or above when the
        threshold is over the last price (or no price is known), at or below when under it."""
        dialog = self.new_price_alert(symbol)
        below = last is not None and float(threshold) < last
        kind = PriceRuleKind.PRICE_BELOW if below else PriceRuleKind.PRICE_ABOVE
        dialog.kind.setCurrentIndex(list(KIND_LABELS).index(kind))
        dialog.threshold.setText(str(threshold))
        return dialog

    def open_push_settings(self) -> PushSettingsDialog:
        dialog = PushSettingsDialog(self.window.settings, self.delivery.statuses(), self.window)
        dialog.saved.connect(self._push_settings_saved)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        dialog.open()
        return dialog

    def _push_settings_saved(self, settings: Settings) -> None:
        """Routing and quiet hours apply now; new channels (token, chat, webhook) at the next start."""
        self.window.settings = settings
        self.delivery.update_settings(settings.delivery)
        self.desktop.settings = settings.delivery

    def _board_menu(self, pos: QPoint) -> None:
        watchlist = self.window.watchlist
        table = watchlist.table
        index = table.indexAt(pos)
        symbol = watchlist.model.symbol_at(watchlist.proxy.mapToSource(index).row()) if index.isValid() else None
        menu = QMenu(table)
        action = menu.addAction(QCoreApplication.translate("AlertPushUi", "New price alert…"))
        action.triggered.connect(lambda: self.new_price_alert(symbol))
        menu.popup(table.viewport().mapToGlobal(pos))


def attach_alert_push(window: Any, delivery: Any, price_rules: Any) -> AlertPushUi | None:
    """Called once the pipeline runs (the runtime has started the services)."""
    if delivery is None or price_rules is None:
        return None
    window.alert_push = AlertPushUi(window, delivery, price_rules)
    return window.alert_push
