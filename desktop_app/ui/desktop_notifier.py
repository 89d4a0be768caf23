"""The desktop push channel: a system-tray notification and a sound, per severity, with quiet
hours and a snooze.

It is a channel of the delivery service like Telegram (name ``desktop``), so an alert pops up
once, in order, and one that was pending when the app closed pops up at the next start, marked
delayed. During quiet hours (Vietnam time, may span midnight) or a snooze, the alert is still
delivered — it stays in the Live list and the review table — but silently: no pop-up, no sound.

Alerts delivered late (they fired while the app was closed, e.g. recorded headless) do not pop
up one by one: the first one shows a single "missed alerts" notice, the rest stay silent.

Sounds: the platform's alert beep, once for a warning and twice for a critical alert (info is
silent by default); which severities pop up or sound is in Settings (``DeliverySettings``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Callable

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QSystemTrayIcon

from desktop_app.config import DeliverySettings, parse_clock
from desktop_app.market_clock import to_vietnam, vn_now
from desktop_app.services.alert_delivery.channels import OutgoingAlert
from desktop_app.ui.alert_text import localized_message

NOTIFICATION_MS = 8_000
BEEPS = {"info": 1, "warning": 1, "critical": 2}
_ICONS = {
    "info": QSystemTrayIcon.MessageIcon.Information,
    "warning": QSystemTrayIcon.MessageIcon.Warning,
    "critical": QSystemTrayIcon.MessageIcon.Critical,
}


def in_quiet_hours(moment: datetime, start: str | None, end: str | None) -> bool:
    """True when the Vietnam wall-clock time of ``moment`` is in [start, end) (may wrap midnight)."""
    if not start or not end:
        return False
    begin, finish = time(*parse_clock(start)), time(*parse_clock(end))
    clock = to_vietnam(moment).time()
    if begin == finish:
        return False
    if begin < finish:
        return begin <= clock < finish
    return clock >= begin or clock < finish


@dataclass(frozen=True, slots=True)
class Shown:
    """What the user saw or heard for one alert (the channel keeps the recent ones)."""

    alert_id: int
    title: str
    text: str
    popped_up: bool
    beeps: int
    silenced: str | None  # "quiet hours" / "snoozed" / "delayed" when nothing was shown


class DesktopChannel:
    name = "desktop"

    def __init__(self, settings: DeliverySettings, tray: QSystemTrayIcon | None = None, *,
                 beep: Callable[[], None] = QApplication.beep,
                 clock: Callable[[], datetime] = vn_now) -> None:
        self.settings = settings
        self._tray = tray
        self._beep = beep
        self._clock = clock
        self.snoozed_until: datetime | None = None
        self.shown: list[Shown] = []
        self._told_missed = False

    @classmethod
    def with_tray(cls, settings: DeliverySettings, icon: QIcon, parent=None) -> "DesktopChannel":  # type: ignore[no-untyped-def]
        tray = QSystemTrayIcon(icon, parent)
        tray.setToolTip("VN30 Stock Tracker")
        if QSystemTrayIcon.isSystemTrayAvailable():
            tray.show()
        return cls(settings, tray)

    def snooze(self, minutes: float) -> datetime:
        self.snoozed_until = self._clock() + timedelta(minutes=minutes)
        return self.snoozed_until

    def resume(self) -> None:
        self.snoozed_until = None

    def silenced_by(self) -> str | None:
        now = self._clock()
        if self.snoozed_until is not None and now < self.snoozed_until:
            return "snoozed"
        if in_quiet_hours(now, self.settings.quiet_start, self.settings.quiet_end):
            return "quiet hours"
        return None

    async def send(self, alert: OutgoingAlert) -> None:
        title, _, body = alert.text().partition("\n")
        body = localized_message(alert.alert_type, body) if body else body  # the push itself stays English
        silenced = self.silenced_by()
        if alert.delayed and silenced is None:
            if not self._told_missed and self._tray is not None:
                self._tray.showMessage(QCoreApplication.translate("DesktopChannel", "Missed alerts"),
                                       QCoreApplication.translate("DesktopChannel", "Alerts that fired while the app "
                                                                  "was closed are in the Alerts list"),
                                       _ICONS["info"], NOTIFICATION_MS)
            self._told_missed = True
            silenced = "delayed"
        severity = alert.severity
        pop_up = silenced is None and severity in self.settings.notify_severities
        beeps = BEEPS.get(severity, 1) if silenced is None and severity in self.settings.sound_severities else 0
        if pop_up and self._tray is not None:
            self._tray.showMessage(title, body or title, _ICONS.get(severity, _ICONS["info"]), NOTIFICATION_MS)
        for _ in range(beeps):
            self._beep()
        self.shown.append(Shown(alert.alert_id, title, body, pop_up, beeps, silenced))
        del self.shown[:-200]

    async def aclose(self) -> None:
        if self._tray is not None:
            self._tray.hide()
