"""SSI FastConnect credentials for the GUI: OS keyring first, else this session only.

They are never written to settings.json. Environment variables (SSI_CONSUMER_ID /
SSI_CONSUMER_SECRET, already in ``Settings``) win over everything. On a machine without a usable
keyring backend (``keyring.get_keyring()`` is the ``fail`` backend or has priority < 1, as on a
bare Linux box) the store says so and keeps what the user typed in memory for this run.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import keyring
import keyring.errors
from PySide6.QtCore import QT_TRANSLATE_NOOP

from desktop_app.config import Settings

log = logging.getLogger(__name__)

SERVICE = "stock-tracker-ssi"
ID_KEY = "consumer_id"
SECRET_KEY = "consumer_secret"


@dataclass(frozen=True, slots=True)
class SsiCredentials:
    consumer_id: str
    consumer_secret: str

    def __repr__(self) -> str:  # the secret never reaches a log line
        return f"SsiCredentials(consumer_id={self.consumer_id!r}, consumer_secret='***')"


class CredentialStore:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._session: SsiCredentials | None = None

    @staticmethod
    def keyring_available() -> bool:
        backend = keyring.get_keyring()
        priority = getattr(backend, "priority", 0)
        try:
            priority = float(priority)
        except (TypeError, ValueError):
            priority = 0.0
        return type(backend).__module__ != "keyring.backends.fail" and priority >= 1

    def describe_backend(self) -> str:
        if self.keyring_available():
            return f"stored in the system keyring ({type(keyring.get_keyring()).__name__})"
        return ("no system keyring is available on this computer: credentials are kept for this "
                "session only (or set SSI_CONSUMER_ID / SSI_CONSUMER_SECRET)")

    def from_environment(self) -> bool:
        return self._settings.has_ssi_credentials

    def get(self) -> SsiCredentials | None:
        s = self._settings
        if s.ssi_consumer_id and s.ssi_consumer_secret:
            return SsiCredentials(s.ssi_consumer_id, s.ssi_consumer_secret)
        if self._session is not None:
            return self._session
        if self.keyring_available():
            try:
                cid = keyring.get_password(SERVICE, ID_KEY)
                secret = keyring.get_password(SERVICE, SECRET_KEY)
            except keyring.errors.KeyringError as exc:
                log.warning("cannot read SSI credentials from the keyring: %s", exc)
                return None
            if cid and secret:
                return SsiCredentials(cid, secret)
        return None

    def save(self, credentials: SsiCredentials) -> str:
        """Keep the credentials; returns where they went, in words for the dialog."""
        self._session = credentials
        if not self.keyring_available():
            return QT_TRANSLATE_NOOP("CredentialStore", "kept for this session only (no system keyring)")
        try:
            keyring.set_password(SERVICE, ID_KEY, credentials.consumer_id)
            keyring.set_password(SERVICE, SECRET_KEY, credentials.consumer_secret)
        except keyring.errors.KeyringError as exc:
            log.warning("cannot store SSI credentials in the keyring: %s", exc)
            return f"kept for this session only (keyring error: {exc})"
        return QT_TRANSLATE_NOOP("CredentialStore", "saved in the system keyring")

    def forget(self) -> None:
        self._session = None
        if self.keyring_available():
            for key in (ID_KEY, SECRET_KEY):
                try:
                    keyring.delete_password(SERVICE, key)
                except keyring.errors.PasswordDeleteError:
                    pass
                except keyring.errors.KeyringError as exc:
                    log.warning("cannot remove SSI credentials from the keyring: %s", exc)
