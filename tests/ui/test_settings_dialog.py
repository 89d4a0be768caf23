"""Settings dialog: validation messages, what gets saved (and what never is), Test connection."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from desktop_app.config import Settings
from desktop_app.ui.async_tasks import wait_until
from desktop_app.ui.credentials import CredentialStore
from desktop_app.ui.settings_dialog import SettingsDialog


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def dialog(qtbot, home: Path):  # type: ignore[no-untyped-def]
    settings = Settings(home=home)
    d = SettingsDialog(settings, CredentialStore(settings))
    qtbot.addWidget(d)
    return d


def test_bad_database_url_is_explained(dialog: SettingsDialog) -> None:
    dialog.external_radio.setChecked(True)
    dialog.url_edit.setText("mysql://localhost/db")
    message = dialog.validate()
    assert message is not None and "postgresql://user:password@host:port/dbname" in message
    assert dialog.error_label.text() == message
    dialog.url_edit.setText("")
    assert "enter the external database URL" in dialog.validate()


def test_threshold_and_flush_validation_messages(dialog: SettingsDialog) -> None:
    dialog.threshold_spins["imbalance_low_share"].setValue(0.9)
    assert "imbalance_low_share < imbalance_high_share" in dialog.validate()
    dialog.threshold_spins["imbalance_low_share"].setValue(0.2)
    dialog.flush_spin.setValue(0.01)
    assert dialog.validate() == "flush interval must be between 0.05 and 60 seconds"
    dialog.flush_spin.setValue(2.0)
    dialog.threshold_spins["cooldown_s"].setValue(-1)
    assert "cooldown_s must not be negative" in dialog.validate()
    dialog.threshold_spins["cooldown_s"].setValue(120)
    assert dialog.validate() is None and dialog.error_label.text() == ""


def test_half_entered_credentials_are_refused(dialog: SettingsDialog) -> None:
    dialog.ssi_id_edit.setText("abc")
    assert "both the consumer ID and the secret" in dialog.validate()


def test_save_writes_settings_without_credentials_and_says_restart(dialog: SettingsDialog, home: Path) -> None:
    dialog.external_radio.setChecked(True)
    dialog.url_edit.setText("postgresql://trader:pw@db.example:5432/market")
    dialog.flush_spin.setValue(2.5)
    dialog.threshold_spins["block_trade_value_vnd"].setValue(20_000_000_000)
    dialog.ssi_id_edit.setText("my-id")
    dialog.ssi_secret_edit.setText("my-very-secret")
    saved = dialog.save()
    assert saved is not None
    text = (home / "settings.json").read_text(encoding="utf-8")
    data = json.loads(text)
    assert data["database_url"] == "postgresql://trader:pw@db.example:5432/market"
    assert data["flush_interval_s"] == 2.5
    assert data["alerts"]["block_trade_value_vnd"] == 20_000_000_000
    assert "my-very-secret" not in text and "my-id" not in text
    assert "Restart the app" in dialog.restart_label.text()
    # no keyring on this machine: kept for the session, and said so
    assert "session only" in dialog.restart_label.text()
    assert dialog.store.get().consumer_secret == "my-very-secret"
    loaded = Settings.load({"STOCK_TRACKER_HOME": str(home)})
    assert loaded.flush_interval_s == 2.5 and loaded.alerts.block_trade_value_vnd == 20_000_000_000


def test_environment_database_url_is_not_copied_into_the_file(qtbot, home: Path) -> None:  # type: ignore[no-untyped-def]
    env = Settings(home=home, database_url="postgresql://env:pw@envhost:5432/envdb")
    d = SettingsDialog(env, CredentialStore(env))
    qtbot.addWidget(d)
    assert d.embedded_radio.isChecked()  # the file's own choice
    assert d.save() is not None
    assert json.loads((home / "settings.json").read_text())["database_url"] is None


def test_test_connection_reports_success_and_failure(qrun, dialog: SettingsDialog, database_url: str) -> None:  # type: ignore[no-untyped-def]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]

    async def scenario() -> None:
        dialog.url_edit.setText(database_url)
        await dialog.test_connection()
        assert dialog.test_label.text().startswith("✓ Connected to")
        assert dialog.test_button.isEnabled()
        dialog.url_edit.setText(f"postgresql://u:secretpw@127.0.0.1:{closed_port}/x")
        task = dialog.test_connection()
        assert not dialog.test_button.isEnabled()  # the UI stays usable; only the button waits
        await task
        await wait_until(lambda: dialog.test_label.text().startswith("✗"))
        assert "connection refused" in dialog.test_label.text()
        assert "secretpw" not in dialog.test_label.text()

    qrun(scenario())


def test_the_big_print_threshold_is_typed_in_billions_and_saved_in_vnd(dialog: SettingsDialog, home: Path) -> None:
    assert dialog.big_trade_spin.value() == 1.0  # the default, 1 bn VND
    dialog.big_trade_spin.setValue(2.5)
    assert dialog.save() is not None
    assert json.loads((home / "settings.json").read_text(encoding="utf-8"))["big_trade_min_value"] == 2_500_000_000
    assert Settings.load({"STOCK_TRACKER_HOME": str(home)}).big_trade_min_value == 2_500_000_000
