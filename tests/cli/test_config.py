"""Settings: defaults < saved settings < environment; credentials never saved."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from desktop_app.config import AlertThresholds, Settings, mask_dsn, save_settings
from desktop_app.errors import ConfigurationError


def test_defaults_without_environment(tmp_path: Path) -> None:
    settings = Settings.load({"STOCK_TRACKER_HOME": str(tmp_path)})
    assert settings.home == tmp_path
    assert settings.uses_embedded_database
    assert settings.ssi_data_url == "https://fc-data.ssi.com.vn/"
    assert settings.ssi_stream_url == "https://fc-datahub.ssi.com.vn/"
    assert settings.flush_interval_s == 1.0 and settings.queue_max == 10_000
    assert settings.journal_budget_bytes == 1 << 30
    assert settings.alerts == AlertThresholds()
    assert not settings.has_ssi_credentials
    assert settings.embedded_dir == tmp_path / "pgdata"


def test_home_defaults_to_the_platform_data_dir() -> None:
    settings = Settings.load({})
    assert settings.home.name == "stock-tracker"


def test_environment_wins_over_saved_settings(tmp_path: Path) -> None:
    (tmp_path / "settings.json").write_text(json.dumps({
        "database_url": "postgresql://saved@localhost/saved",
        "flush_interval_s": 2.0,
        "alerts": {"block_trade_value_vnd": 5_000_000_000},
    }))
    settings = Settings.load({
        "STOCK_TRACKER_HOME": str(tmp_path),
        "STOCK_TRACKER_DATABASE_URL": "postgresql://env@localhost/env",
        "SSI_CONSUMER_ID": "id", "SSI_CONSUMER_SECRET": "secret",
    })
    assert settings.database_url == "postgresql://env@localhost/env"
    assert settings.flush_interval_s == 2.0
    assert settings.alerts.block_trade_value_vnd == 5_000_000_000
    assert settings.alerts.foreign_surge_shares == 500_000
    assert settings.has_ssi_credentials
    assert "secret" not in repr(settings)


def test_saved_settings_round_trip_without_credentials(tmp_path: Path) -> None:
    settings = replace(
        Settings.load({"STOCK_TRACKER_HOME": str(tmp_path)}),
        ssi_consumer_id="id", ssi_consumer_secret="top-secret", flush_interval_s=0.5,
        alerts=replace(AlertThresholds(), basis_extreme_points=20.0),
    )
    path = save_settings(settings)
    text = path.read_text()
    assert "top-secret" not in text and '"id"' not in text
    again = Settings.load({"STOCK_TRACKER_HOME": str(tmp_path)})
    assert again.flush_interval_s == 0.5
    assert again.alerts.basis_extreme_points == 20.0
    assert again.ssi_consumer_secret is None


@pytest.mark.parametrize(
    "saved, message",
    [
        ({"flush_interval_s": 0}, "flush interval"),
        ({"feed": "bloomberg"}, "feed must be one of"),
        ({"alerts": {"imbalance_low_share": 0.9}}, "imbalance_low_share"),
        ({"database_url": "postgresql://host-without-db"}, "must name a database"),
    ],
)
def test_invalid_saved_settings_are_explained(tmp_path: Path, saved: dict, message: str) -> None:
    (tmp_path / "settings.json").write_text(json.dumps(saved))
    with pytest.raises(ConfigurationError, match=message):
        Settings.load({"STOCK_TRACKER_HOME": str(tmp_path)})


def test_corrupt_settings_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "settings.json").write_text("{not json")
    with pytest.raises(ConfigurationError, match="cannot read saved settings"):
        Settings.load({"STOCK_TRACKER_HOME": str(tmp_path)})


def test_mask_dsn() -> None:
    assert mask_dsn("postgresql://u:pw@h:5432/d") == "postgresql://u:***@h:5432/d"
    assert mask_dsn("postgresql://u@h/d") == "postgresql://u@h/d"
