"""The session state in market time, with a clock: what a board shows in its header.

Market time is not always the wall clock: the demo and a replay run a simulated day, so the
window hands in the clock it trusts (the wall clock for the live feed, the latest event time for
a simulated one). The phase comes from ``market_clock``'s timetables, the one place they live.
"""

from __future__ import annotations

from datetime import datetime
from typing import Callable

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QTimer
from PySide6.QtWidgets import QLabel, QWidget

from desktop_app.market_clock import Market, SessionPhase, session_at, to_vietnam, vn_now

PHASE_LABELS: dict[SessionPhase, str] = {
    SessionPhase.PRE_OPEN: QT_TRANSLATE_NOOP("SessionClock", "Pre-open"),
    SessionPhase.ATO: QT_TRANSLATE_NOOP("SessionClock", "ATO"),
    SessionPhase.CONTINUOUS: QT_TRANSLATE_NOOP("SessionClock", "Continuous"),
    SessionPhase.LUNCH: QT_TRANSLATE_NOOP("SessionClock", "Lunch break"),
    SessionPhase.ATC: QT_TRANSLATE_NOOP("SessionClock", "ATC"),
    SessionPhase.PUT_THROUGH: QT_TRANSLATE_NOOP("SessionClock", "Put-through"),
    SessionPhase.CLOSED: QT_TRANSLATE_NOOP("SessionClock", "Closed"),
}
PHASE_COLOURS: dict[SessionPhase, str] = {
    SessionPhase.PRE_OPEN: "#9a9a9a",
    SessionPhase.ATO: "#e0b040",
    SessionPhase.CONTINUOUS: "#26c24a",
    SessionPhase.LUNCH: "#9a9a9a",
    SessionPhase.ATC: "#e0b040",
    SessionPhase.PUT_THROUGH: "#4aa3f0",
    SessionPhase.CLOSED: "#9a9a9a",
}


def session_text(moment: datetime) -> tuple[str, SessionPhase, SessionPhase]:
    """``"HOSE Continuous · Futures Continuous · 10:23:45"`` and both phases at ``moment``."""
    stocks = session_at(moment, Market.HOSE)
    futures = session_at(moment, Market.DERIVATIVES)
    clock = to_vietnam(moment).strftime("%H:%M:%S")
    text = QCoreApplication.translate("SessionClock", "HOSE {stocks} · Futures {futures} · {clock}").format(
        stocks=phase_label(stocks), futures=phase_label(futures), clock=clock)
    return text, stocks, futures


def phase_label(phase: SessionPhase) -> str:
    """The phase's name in the UI language."""
    return QCoreApplication.translate("SessionClock", PHASE_LABELS[phase])


class SessionClock(QLabel):
    """A fixed-width label that ticks once a second; it never resizes the header it sits in."""

    def __init__(self, parent: QWidget | None = None, now: Callable[[], datetime] = vn_now) -> None:
        super().__init__(parent)
        self._now = now
        self.phase = SessionPhase.CLOSED
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance(
            self.tr("HOSE {stocks} · Futures {futures} · {clock}").format(
                stocks=phase_label(SessionPhase.PUT_THROUGH), futures=phase_label(SessionPhase.CONTINUOUS),
                clock="00:00:00")) + 8)
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self.refresh)
        self._timer.start()
        self.refresh()

    def set_clock(self, now: Callable[[], datetime]) -> None:
        """Follow another clock (e.g. the simulated market's) from now on."""
        self._now = now
        self.refresh()

    def refresh(self) -> None:
        text, self.phase, _ = session_text(self._now())
        self.setText(text)
        self.setStyleSheet(f"color: {PHASE_COLOURS[self.phase]}; font-weight: bold;")
