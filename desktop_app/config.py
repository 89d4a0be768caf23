"""Settings: environment variables over the user's saved settings over defaults.

One immutable ``Settings`` object is built at start-up (``Settings.load()``) and handed down; nothing
else reads the environment. Saved settings live in ``<home>/settings.json`` (written by the GUI's
settings dialog). SSI credentials are never saved there: they come from the environment or the OS
keyring (see ``ui/settings_dialog.py``).
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import urlsplit

import platformdirs

from desktop_app.errors import ConfigurationError

log = logging.getLogger(__name__)

APP_NAME = "stock-tracker"
DEFAULT_SSI_DATA_URL = "https://fc-data.ssi.com.vn/"
DEFAULT_SSI_STREAM_URL = "https://fc-datahub.ssi.com.vn/"
SETTINGS_FILE = "settings.json"

ENV_DATABASE_URL = "STOCK_TRACKER_DATABASE_URL"
ENV_HOME = "STOCK_TRACKER_HOME"
ENV_SSI_CONSUMER_ID = "SSI_CONSUMER_ID"
ENV_SSI_CONSUMER_SECRET = "SSI_CONSUMER_SECRET"
ENV_SSI_DATA_URL = "SSI_DATA_URL"
ENV_SSI_STREAM_URL = "SSI_STREAM_URL"
ENV_TELEGRAM_BOT_TOKEN = "STOCK_TRACKER_TELEGRAM_BOT_TOKEN"
ENV_TELEGRAM_CHAT_ID = "STOCK_TRACKER_TELEGRAM_CHAT_ID"
ENV_TELEGRAM_API_URL = "STOCK_TRACKER_TELEGRAM_API_URL"
ENV_WEBHOOK_URL = "STOCK_TRACKER_WEBHOOK_URL"
DEFAULT_TELEGRAM_API_URL = "https://api.telegram.org"
PUSH_CHANNELS = ("telegram", "webhook", "desktop")

FEEDS = ("demo", "ssi", "replay")
LANGUAGES = ("auto", "en", "vi")  # the UI language: the system locale's, English, Vietnamese


@dataclass(frozen=True, slots=True)
class AlertThresholds:
    """Alert rule thresholds: the defaults of the README's alert table, every one a user setting.

    The ``*_exit_*`` and dead-band fields give the state rules hysteresis, so a figure hovering at
    a threshold does not fire again and again (see ``processing/alerts.py``).
    """

    limit_exit_pct: float = 1.0  # a ceiling/floor episode ends with a print this many % away from the limit
    block_trade_value_vnd: int = 10_000_000_000
    foreign_surge_shares: int = 500_000
    foreign_surge_exit_shares: int = 250_000  # a surge ends when |net| in the window drops below
    foreign_window_s: float = 300.0
    basis_extreme_points: float = 15.0
    basis_flip_dead_band_points: float = 0.5  # a flip needs basis >= +band on one side, <= -band on the other
    imbalance_min_shares: int = 200_000
    imbalance_high_share: float = 0.80
    imbalance_low_share: float = 0.20
    imbalance_exit_margin: float = 0.05  # an imbalance ends when the dominant share falls this far back
    imbalance_window_s: float = 300.0
    cooldown_s: float = 300.0

    def validate(self) -> None:
        for f in fields(self):
            if getattr(self, f.name) < 0:
                raise ConfigurationError(f"alert threshold {f.name} must not be negative")
        if not 0.0 <= self.imbalance_low_share < self.imbalance_high_share <= 1.0:
            raise ConfigurationError(
                "alert thresholds: need 0 <= imbalance_low_share < imbalance_high_share <= 1"
            )
        if self.foreign_window_s <= 0 or self.imbalance_window_s <= 0:
            raise ConfigurationError("alert thresholds: windows must be positive")
        if self.foreign_surge_exit_shares > self.foreign_surge_shares:
            raise ConfigurationError(
                "alert thresholds: foreign_surge_exit_shares must not exceed foreign_surge_shares"
            )
        if self.imbalance_exit_margin > (self.imbalance_high_share - self.imbalance_low_share) / 2:
            raise ConfigurationError(
                "alert thresholds: imbalance_exit_margin must be at most half the gap between"
                " imbalance_low_share and imbalance_high_share"
            )


@dataclass(frozen=True, slots=True)
class AlertRoute:
    """Which alerts one channel gets: empty tuples mean every type / every severity."""

    alert_types: tuple[str, ...] = ()
    severities: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DeliverySettings:
    """Alert push: routing per channel, retry pacing, the desktop's quiet hours and sounds.

    The Telegram token is not here (never in settings.json): it comes from the environment or,
    in the GUI, the OS keyring.
    """

    routes: dict[str, AlertRoute] = field(default_factory=dict)  # channel -> route; absent = all
    telegram_chat_id: str | None = None
    webhook_url: str | None = field(default=None, repr=False)  # its path may be a secret
    retry_base_s: float = 1.0  # first backoff after a 5xx / network error; doubles per attempt
    retry_max_s: float = 60.0
    poll_s: float = 1.0  # how often newly committed alerts are looked for
    exit_wait_s: float = 5.0  # at exit: bounded wait that sends what it can
    http_timeout_s: float = 10.0
    quiet_start: str | None = None  # "22:00" (Vietnam time): no desktop pop-up or sound from here
    quiet_end: str | None = None  # "07:00"
    notify_severities: tuple[str, ...] = ("info", "warning", "critical")  # desktop pop-up
    sound_severities: tuple[str, ...] = ("warning", "critical")  # desktop sound

    def route(self, channel: str) -> AlertRoute:
        return self.routes.get(channel, AlertRoute())

    def validate(self) -> None:
        for name in ("retry_base_s", "retry_max_s", "poll_s", "exit_wait_s", "http_timeout_s"):
            if not float(getattr(self, name)) >= 0:
                raise ConfigurationError(f"alert delivery: {name} must not be negative")
        if float(self.poll_s) <= 0 or float(self.http_timeout_s) <= 0:
            raise ConfigurationError("alert delivery: poll_s and http_timeout_s must be positive")
        for channel in self.routes:
            if channel not in PUSH_CHANNELS:
                raise ConfigurationError(f"alert delivery: unknown channel {channel!r} in routes")
        if self.webhook_url is not None:
            parts = urlsplit(self.webhook_url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise ConfigurationError("the alert webhook must be an http(s) URL")
        for name in ("quiet_start", "quiet_end"):
            value = getattr(self, name)
            if value is not None:
                parse_clock(value, name)

    @classmethod
    def from_saved(cls, base: "DeliverySettings", saved: Mapping[str, Any]) -> "DeliverySettings":
        known = {f.name for f in fields(cls)}
        values: dict[str, Any] = {}
        for key, value in saved.items():
            if key not in known:
                log.warning("ignoring unknown saved delivery setting %r", key)
            elif key == "routes" and isinstance(value, Mapping):
                values[key] = {
                    ch: AlertRoute(tuple(r.get("alert_types", ())), tuple(r.get("severities", ())))
                    for ch, r in value.items() if isinstance(r, Mapping)
                }
            elif key in ("notify_severities", "sound_severities") and isinstance(value, list):
                values[key] = tuple(value)
            else:
                values[key] = value
        return replace(base, **values)


def parse_clock(text: str, name: str = "time") -> tuple[int, int]:
    """``"HH:MM"`` -> (hour, minute); ConfigurationError otherwise."""
    try:
        hour, minute = (int(part) for part in text.split(":"))
    except ValueError:
        raise ConfigurationError(f"{name} must be HH:MM, got {text!r}") from None
    if not (0 <= hour < 24 and 0 <= minute < 60):
        raise ConfigurationError(f"{name} must be HH:MM, got {text!r}")
    return hour, minute


@dataclass(frozen=True, slots=True)
class Settings:
    home: Path
    database_url: str | None = None  # None -> embedded PostgreSQL under home
    ssi_consumer_id: str | None = None
    ssi_consumer_secret: str | None = field(default=None, repr=False)
    ssi_data_url: str = DEFAULT_SSI_DATA_URL
    ssi_stream_url: str = DEFAULT_SSI_STREAM_URL
    feed: str = "demo"
    flush_interval_s: float = 1.0
    queue_max: int = 10_000
    journal_budget_bytes: int = 1 << 30
    rest_pace_s: float = 1.0  # minimum gap between SSI REST calls
    alerts: AlertThresholds = field(default_factory=AlertThresholds)
    big_trade_min_value: int = 1_000_000_000  # VND: a print worth this much is a big print (order flow)
    delivery: DeliverySettings = field(default_factory=DeliverySettings)
    telegram_bot_token: str | None = field(default=None, repr=False)  # env or keyring, never saved
    telegram_api_url: str = DEFAULT_TELEGRAM_API_URL
    language: str = "auto"  # "auto" follows the system locale; "en" / "vi" force one (next start)

    # ------------------------------------------------------------------ derived paths
    @property
    def embedded_dir(self) -> Path:
        return self.home / "pgdata"

    @property
    def journal_dir(self) -> Path:
        return self.home / "journal"

    @property
    def log_dir(self) -> Path:
        return self.home / "logs"

    @property
    def log_file(self) -> Path:
        return self.log_dir / "stock-tracker.log"

    @property
    def uses_embedded_database(self) -> bool:
        return self.database_url is None

    @property
    def has_telegram(self) -> bool:
        return bool(self.telegram_bot_token and self.delivery.telegram_chat_id)

    @property
    def has_ssi_credentials(self) -> bool:
        return bool(self.ssi_consumer_id and self.ssi_consumer_secret)

    # ------------------------------------------------------------------ loading
    @classmethod
    def load(cls, environ: Mapping[str, str] | None = None) -> "Settings":
        """Defaults, then ``<home>/settings.json``, then environment variables."""
        env = os.environ if environ is None else environ
        home_raw = env.get(ENV_HOME)
        home = Path(home_raw).expanduser() if home_raw else Path(platformdirs.user_data_dir(APP_NAME))
        saved = load_saved_settings(home)
        settings = cls(home=home)
        settings = settings.with_saved(saved)
        overrides: dict[str, Any] = {}
        if env.get(ENV_DATABASE_URL):
            overrides["database_url"] = env[ENV_DATABASE_URL]
        if env.get(ENV_SSI_CONSUMER_ID):
            overrides["ssi_consumer_id"] = env[ENV_SSI_CONSUMER_ID]
        if env.get(ENV_SSI_CONSUMER_SECRET):
            overrides["ssi_consumer_secret"] = env[ENV_SSI_CONSUMER_SECRET]
        if env.get(ENV_SSI_DATA_URL):
            overrides["ssi_data_url"] = env[ENV_SSI_DATA_URL]
        if env.get(ENV_SSI_STREAM_URL):
            overrides["ssi_stream_url"] = env[ENV_SSI_STREAM_URL]
        if env.get(ENV_TELEGRAM_BOT_TOKEN):
            overrides["telegram_bot_token"] = env[ENV_TELEGRAM_BOT_TOKEN]
        if env.get(ENV_TELEGRAM_API_URL):
            overrides["telegram_api_url"] = env[ENV_TELEGRAM_API_URL]
        delivery_env: dict[str, Any] = {}
        if env.get(ENV_TELEGRAM_CHAT_ID):
            delivery_env["telegram_chat_id"] = env[ENV_TELEGRAM_CHAT_ID]
        if env.get(ENV_WEBHOOK_URL):
            delivery_env["webhook_url"] = env[ENV_WEBHOOK_URL]
        if delivery_env:
            overrides["delivery"] = replace(settings.delivery, **delivery_env)
        settings = replace(settings, **overrides)
        settings.validate()
        return settings

    def with_saved(self, saved: Mapping[str, Any]) -> "Settings":
        """Apply the saved-settings mapping (unknown keys are ignored with a log line)."""
        known = {f.name for f in fields(self)} - {"home", "ssi_consumer_secret", "ssi_consumer_id",
                                                   "telegram_bot_token"}
        values: dict[str, Any] = {}
        for key, value in saved.items():
            if key == "alerts" and isinstance(value, Mapping):
                alert_fields = {f.name for f in fields(AlertThresholds)}
                values["alerts"] = replace(
                    self.alerts, **{k: v for k, v in value.items() if k in alert_fields}
                )
            elif key == "delivery" and isinstance(value, Mapping):
                values["delivery"] = DeliverySettings.from_saved(self.delivery, value)
            elif key in known:
                values[key] = value
            else:
                log.warning("ignoring unknown saved setting %r", key)
        return replace(self, **values)

    def validate(self) -> None:
        if self.database_url is not None:
            validate_database_url(self.database_url)
        for name in ("ssi_data_url", "ssi_stream_url", "telegram_api_url"):
            url = getattr(self, name)
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise ConfigurationError(f"{name} must be an http(s) URL, got {url!r}")
        if int(self.big_trade_min_value) <= 0:
            raise ConfigurationError("big trade minimum value must be a positive number of VND")
        if self.feed not in FEEDS:
            raise ConfigurationError(f"feed must be one of {', '.join(FEEDS)}, got {self.feed!r}")
        if self.language not in LANGUAGES:
            raise ConfigurationError(f"language must be one of {', '.join(LANGUAGES)}, got {self.language!r}")
        if not 0.05 <= float(self.flush_interval_s) <= 60:
            raise ConfigurationError("flush interval must be between 0.05 and 60 seconds")
        if int(self.queue_max) < 100:
            raise ConfigurationError("writer queue size must be at least 100")
        if int(self.journal_budget_bytes) < 1 << 20:
            raise ConfigurationError("journal disk budget must be at least 1 MiB")
        if float(self.rest_pace_s) < 0:
            raise ConfigurationError("REST pacing must not be negative")
        self.alerts.validate()
        self.delivery.validate()

    def saved_form(self) -> dict[str, Any]:
        """What ``settings.json`` holds: everything but the home and the credentials."""
        data = asdict(self)
        for key in ("home", "ssi_consumer_id", "ssi_consumer_secret", "telegram_bot_token"):
            data.pop(key)
        return data


def validate_database_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres") or not parts.hostname:
        raise ConfigurationError(
            f"{ENV_DATABASE_URL} must look like postgresql://user:password@host:port/dbname"
        )
    try:
        parts.port
    except ValueError as exc:
        raise ConfigurationError(f"{ENV_DATABASE_URL}: bad port ({exc})") from None
    if not parts.path.strip("/"):
        raise ConfigurationError(f"{ENV_DATABASE_URL} must name a database (…/dbname)")


def mask_dsn(url: str) -> str:
    """The DSN with its password replaced by ``***`` (for ``db url`` and logs)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


def load_saved_settings(home: Path) -> dict[str, Any]:
    path = home / SETTINGS_FILE
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigurationError(f"cannot read saved settings {path}: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigurationError(f"saved settings {path} must be a JSON object")
    return data


def save_settings(settings: Settings) -> Path:
    """Write the user's settings atomically (credentials excluded)."""
    settings.validate()
    settings.home.mkdir(parents=True, exist_ok=True)
    path = settings.home / SETTINGS_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(settings.saved_form(), indent=2, default=str), encoding="utf-8")
    os.replace(tmp, path)
    return path
