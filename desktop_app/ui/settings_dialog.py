"""Settings: database, feed, SSI credentials, alert thresholds, flush interval.

Edits the user's SAVED settings (``<home>/settings.json``), not the environment-merged ones, so a
``STOCK_TRACKER_DATABASE_URL`` in the environment is never copied into the file. Validation is
``config.Settings.validate`` itself: its ``ConfigurationError`` message is what the user reads.
Credentials go to the keyring (``credentials.py``), never to the file. Everything here is read at
start-up, so a change says that it applies after a restart.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import fields, replace
from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop_app.config import AlertThresholds, Settings, load_saved_settings, mask_dsn, save_settings, validate_database_url
from desktop_app.errors import ConfigurationError
from desktop_app.services.connection_check import TEST_TIMEOUT_S, check_database_url
from desktop_app.ui.async_tasks import TaskSlots
from desktop_app.ui.credentials import CredentialStore, SsiCredentials

log = logging.getLogger(__name__)


BIG_TRADE_UNIT = 1_000_000_000  # the big-print threshold is typed in billions of VND
THRESHOLD_LABELS = {
    "limit_exit_pct": QT_TRANSLATE_NOOP("SettingsDialog", "Ceiling/floor episode ends (% away)"),
    "block_trade_value_vnd": QT_TRANSLATE_NOOP("SettingsDialog", "Block trade value (VND)"),
    "foreign_surge_shares": QT_TRANSLATE_NOOP("SettingsDialog", "Foreign surge (shares net)"),
    "foreign_surge_exit_shares": QT_TRANSLATE_NOOP("SettingsDialog", "Foreign surge ends below (shares net)"),
    "foreign_window_s": QT_TRANSLATE_NOOP("SettingsDialog", "Foreign window (s)"),
    "basis_extreme_points": QT_TRANSLATE_NOOP("SettingsDialog", "Basis extreme (points)"),
    "basis_flip_dead_band_points": QT_TRANSLATE_NOOP("SettingsDialog", "Basis flip dead band (points)"),
    "imbalance_min_shares": QT_TRANSLATE_NOOP("SettingsDialog", "Imbalance minimum (shares)"),
    "imbalance_high_share": QT_TRANSLATE_NOOP("SettingsDialog", "Imbalance high share (0–1)"),
    "imbalance_low_share": QT_TRANSLATE_NOOP("SettingsDialog", "Imbalance low share (0–1)"),
    "imbalance_exit_margin": QT_TRANSLATE_NOOP("SettingsDialog", "Imbalance ends after falling back (0–1)"),
    "imbalance_window_s": QT_TRANSLATE_NOOP("SettingsDialog", "Imbalance window (s)"),
    "cooldown_s": QT_TRANSLATE_NOOP("SettingsDialog", "Alert cooldown (s)"),
}


def saved_settings(settings: Settings) -> Settings:
    """The user's own settings (file over defaults), without environment overrides."""
    return Settings(home=settings.home).with_saved(load_saved_settings(settings.home))


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


class SettingsDialog(QDialog):
    saved = Signal(object)  # the saved Settings

    def __init__(self, settings: Settings, store: CredentialStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Settings"))
        self.setMinimumWidth(560)
        self.current = settings
        self.base = saved_settings(settings)
        self.store = store
        self.tasks = TaskSlots(self._task_failed)

        # database
        self.embedded_radio = QRadioButton(self.tr("Embedded PostgreSQL (in the data folder)"))
        self.external_radio = QRadioButton(self.tr("External PostgreSQL:"))
        group = QButtonGroup(self)
        group.addButton(self.embedded_radio)
        group.addButton(self.external_radio)
        self.url_edit = QLineEdit(self.base.database_url or "")
        self.url_edit.setPlaceholderText("postgresql://user:password@host:5432/dbname")
        self.url_edit.textEdited.connect(lambda _t: self.external_radio.setChecked(True))
        (self.external_radio if self.base.database_url else self.embedded_radio).setChecked(True)
        self.test_button = QPushButton(self.tr("Test connection"))
        self.test_button.clicked.connect(self.test_connection)
        self.test_label = QLabel("")
        self.test_label.setWordWrap(True)
        db_box = QGroupBox(self.tr("Database"))
        db_form = QVBoxLayout(db_box)
        db_form.addWidget(self.embedded_radio)
        ext = QHBoxLayout()
        ext.addWidget(self.external_radio)
        ext.addWidget(self.url_edit, 1)
        ext.addWidget(self.test_button)
        db_form.addLayout(ext)
        db_form.addWidget(self.test_label)
        if settings.database_url and settings.database_url != self.base.database_url:
            env_note = QLabel(self.tr("STOCK_TRACKER_DATABASE_URL is set in the environment and wins over this choice."))
            env_note.setWordWrap(True)
            db_form.addWidget(env_note)

        # feed + writer
        self.feed_combo = QComboBox()
        self.feed_combo.addItem(self.tr("Demo (simulated market)"), "demo")
        self.feed_combo.addItem(self.tr("SSI FastConnect live"), "ssi")
        self.feed_combo.setCurrentIndex(max(0, self.feed_combo.findData(self.base.feed)))
        self.flush_spin = QDoubleSpinBox()
        self.flush_spin.setRange(0.01, 120.0)
        self.flush_spin.setDecimals(2)
        self.flush_spin.setSuffix(" s")
        self.flush_spin.setValue(float(self.base.flush_interval_s))
        self.language_combo = QComboBox()
        self.language_combo.addItem(self.tr("System language"), "auto")
        self.language_combo.addItem("English", "en")
        self.language_combo.addItem("Tiếng Việt", "vi")
        self.language_combo.setCurrentIndex(max(0, self.language_combo.findData(self.base.language)))
        self.language_note = QLabel(self.tr("The language changes at the next start."))
        self.language_note.setWordWrap(True)
        feed_box = QGroupBox(self.tr("Feed and writer"))
        feed_form = QFormLayout(feed_box)
        feed_form.addRow(self.tr("Default feed"), self.feed_combo)
        feed_form.addRow(self.tr("Database flush interval"), self.flush_spin)
        feed_form.addRow(self.tr("Language"), self.language_combo)
        feed_form.addRow("", self.language_note)

        # credentials
        creds = store.get()
        self.ssi_id_edit = QLineEdit(creds.consumer_id if creds else "")
        self.ssi_secret_edit = QLineEdit(creds.consumer_secret if creds else "")
        self.ssi_secret_edit.setEchoMode(QLineEdit.EchoMode.Password)
        ssi_box = QGroupBox(self.tr("SSI FastConnect credentials"))
        ssi_form = QFormLayout(ssi_box)
        ssi_form.addRow(self.tr("Consumer ID"), self.ssi_id_edit)
        ssi_form.addRow(self.tr("Consumer secret"), self.ssi_secret_edit)
        where = self.tr("Set by SSI_CONSUMER_ID / SSI_CONSUMER_SECRET in the environment.") if store.from_environment() \
            else _sentence(store.describe_backend())
        where_label = QLabel(where)
        where_label.setWordWrap(True)
        ssi_form.addRow(where_label)
        if store.from_environment():
            self.ssi_id_edit.setEnabled(False)
            self.ssi_secret_edit.setEnabled(False)

        # thresholds
        self.threshold_spins: dict[str, QDoubleSpinBox | QSpinBox] = {}
        alert_box = QGroupBox(self.tr("Alert thresholds"))
        alert_form = QFormLayout(alert_box)
        for f in fields(AlertThresholds):
            value = getattr(self.base.alerts, f.name)
            spin: QDoubleSpinBox | QSpinBox
            if isinstance(value, int) and not isinstance(value, bool) and value < 2**31:
                spin = QSpinBox()
                spin.setRange(-1, 2**31 - 1)
                spin.setGroupSeparatorShown(True)
                spin.setValue(int(value))
            else:
                spin = QDoubleSpinBox()
                spin.setRange(-1.0, 1e15)
                spin.setDecimals(0 if float(value) >= 1000 else 2)
                spin.setGroupSeparatorShown(True)
                spin.setValue(float(value))
            self.threshold_spins[f.name] = spin
            alert_form.addRow(QCoreApplication.translate("SettingsDialog", THRESHOLD_LABELS[f.name])
                              if f.name in THRESHOLD_LABELS else f.name, spin)
        # order flow: the big-print threshold (the chart's bubbles, the Flow view, the API's default)
        self.big_trade_spin = QDoubleSpinBox()
        self.big_trade_spin.setRange(0.01, 1000.0)
        self.big_trade_spin.setDecimals(2)
        self.big_trade_spin.setSuffix(self.tr(" bn VND"))
        self.big_trade_spin.setValue(self.base.big_trade_min_value / BIG_TRADE_UNIT)
        self.big_trade_spin.setToolTip(self.tr("A print worth this much or more is a big print: bubbles on the "
                                               "intraday chart and the history API's default big-trade filter"))
        alert_form.addRow(self.tr("Big print (order flow)"), self.big_trade_spin)

        self.error_label = QLabel("")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #f04848;")
        self.restart_label = QLabel("")
        self.restart_label.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        # the thresholds scroll: the dialog fits a 1280x720 screen however many of them there are
        self.alert_scroll = QScrollArea()
        self.alert_scroll.setWidget(alert_box)
        self.alert_scroll.setWidgetResizable(True)
        self.alert_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.alert_scroll.setMinimumHeight(120)
        box = QVBoxLayout(self)
        for w in (db_box, feed_box, ssi_box, self.alert_scroll, self.error_label, self.restart_label, self.buttons):
            box.addWidget(w, 1 if w is self.alert_scroll else 0)
        self.fit_screen()

    def fit_screen(self) -> None:
        """As tall as its content, at most 85 % of the screen's free height."""
        screen = QGuiApplication.primaryScreen()
        wanted = self.sizeHint().height() + self.alert_scroll.widget().sizeHint().height() \
            - self.alert_scroll.sizeHint().height()
        if screen is not None:
            wanted = min(wanted, int(screen.availableGeometry().height() * 0.85))
        self.resize(max(self.sizeHint().width(), self.minimumWidth()), wanted)

    # ------------------------------------------------------------------ values
    def edited_settings(self) -> Settings:
        """The settings as edited, validated; raises ConfigurationError with the reason."""
        url = self.url_edit.text().strip() if self.external_radio.isChecked() else None
        if self.external_radio.isChecked() and not url:
            raise ConfigurationError(self.tr("enter the external database URL, or choose the embedded database"))
        thresholds: dict[str, Any] = {}
        for name, spin in self.threshold_spins.items():
            default = getattr(AlertThresholds(), name)
            thresholds[name] = int(spin.value()) if isinstance(default, int) else float(spin.value())
        edited = replace(
            self.base,
            database_url=url,
            feed=self.feed_combo.currentData(),
            flush_interval_s=round(float(self.flush_spin.value()), 3),
            alerts=AlertThresholds(**thresholds),
            big_trade_min_value=round(self.big_trade_spin.value() * BIG_TRADE_UNIT),
            language=self.language_combo.currentData(),
        )
        edited.validate()
        return edited

    def edited_credentials(self) -> SsiCredentials | None:
        cid, secret = self.ssi_id_edit.text().strip(), self.ssi_secret_edit.text().strip()
        if not cid and not secret:
            return None
        if not cid or not secret:
            raise ConfigurationError(self.tr("SSI credentials need both the consumer ID and the secret"))
        return SsiCredentials(cid, secret)

    def validate(self) -> str | None:
        """The validation message, or None when everything is valid (also shown in the dialog)."""
        try:
            self.edited_settings()
            self.edited_credentials()
        except ConfigurationError as exc:
            self.error_label.setText(str(exc))
            return str(exc)
        self.error_label.setText("")
        return None

    # ------------------------------------------------------------------ actions
    def save(self) -> Settings | None:
        if self.validate() is not None:
            return None
        edited = self.edited_settings()
        try:
            path = save_settings(edited)
        except (OSError, ConfigurationError) as exc:
            self.error_label.setText(self.tr("Cannot save the settings: {error}").format(error=exc))
            return None
        notes = [self.tr("Saved to {path}.").format(path=path)]
        creds = self.edited_credentials()
        if creds is not None and not self.store.from_environment() and creds != self.store.get():
            notes.append(self.tr("SSI credentials {outcome}.").format(outcome=self.store.save(creds)))
        if self._needs_restart(edited):
            notes.append(self.tr("Restart the app for the database, feed, flush interval, alert threshold "
                                 "and language changes to take effect."))
        self.restart_label.setText(" ".join(notes))
        self.saved.emit(edited)
        self.accept()
        return edited

    def _needs_restart(self, edited: Settings) -> bool:
        before = self.base
        return (edited.database_url != before.database_url or edited.feed != before.feed
                or edited.flush_interval_s != before.flush_interval_s or edited.alerts != before.alerts
                or edited.language != before.language)

    def test_connection(self) -> asyncio.Task | None:
        url = self.url_edit.text().strip()
        try:
            validate_database_url(url)
        except ConfigurationError as exc:
            self.test_label.setText(f"✗ {exc}")
            return None
        self.test_button.setEnabled(False)
        self.test_label.setText(self.tr("Connecting to {url}…").format(url=mask_dsn(url)))
        return self.tasks.start("test-connection", self._test(url))

    async def _test(self, url: str) -> None:
        try:
            self.test_label.setText(f"✓ {await check_database_url(url)}")
        except ConfigurationError as exc:
            self.test_label.setText(f"✗ {exc}")
        except (asyncio.TimeoutError, TimeoutError):
            self.test_label.setText("✗ " + self.tr("no answer from {url} within {seconds} s").format(url=mask_dsn(url), seconds=f"{TEST_TIMEOUT_S:g}"))
        finally:
            self.test_button.setEnabled(True)

    def _task_failed(self, slot: str, exc: BaseException) -> None:
        self.test_label.setText(f"✗ {exc}")
        self.test_button.setEnabled(True)
