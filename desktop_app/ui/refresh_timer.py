"""RefreshTimer: a panel's periodic refresh, out of step with the other panels' refreshes.

Qt aligns its default (coarse) timers to round boundaries of the clock: every 100 ms timer fires
on the same 100 ms boundaries, every 1 s timer on the whole second. The board, the depth panel,
the tape, the charts, the flow view and the status bar all refresh on round periods, so their
callbacks ran back to back in one pass of the event loop: one long stall several times a second
instead of short ones in different frames. A ``RefreshTimer`` is precise (Qt never moves it onto
a boundary) and its first tick comes at a phase of its own, spread over the period (successive
timers take golden-ratio fractions of it), so each refresh gets a frame to itself. The period
itself is unchanged.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, QTimer

_GOLDEN = 0.6180339887498949


class RefreshTimer(QTimer):
    """A repeating ``QTimer`` of ``interval_ms`` whose ticks fall at a phase of its own."""

    _created = 0  # timers made so far: the next one takes the next phase

    def __init__(self, interval_ms: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        RefreshTimer._created += 1
        self.setTimerType(Qt.TimerType.PreciseTimer)
        self.period_ms = interval_ms
        self.phase_ms = 1 + int((RefreshTimer._created * _GOLDEN) % 1.0 * (interval_ms - 1))
        self.setInterval(interval_ms)
        self._settling = False
        self.timeout.connect(self._settle)

    def start(self) -> None:  # type: ignore[override]  # the period restarts at this timer's phase
        self._settling = True
        self.setInterval(self.phase_ms)
        super().start()

    def _settle(self) -> None:
        """After the first tick: the period from now on (a running timer restarts from now)."""
        if self._settling:
            self._settling = False
            self.setInterval(self.period_ms)
