"""Start-up figures and the hidden ``gui --quit-after S`` used by the packaging smoke test.

The first paint of the main window is logged with the time since the process started, so a
packaged build's cold start can be read from its log (``packaging/measure_start.sh``).
"""

from __future__ import annotations

import logging
import time

import psutil
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QWidget

log = logging.getLogger(__name__)


class _FirstPaint(QObject):
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt name)
        if event.type() == QEvent.Type.Paint:
            watched.removeEventFilter(self)
            process = psutil.Process()
            since_launch = time.time() - process.create_time()
            cpu = process.cpu_times()  # the share of it this process computed (busy machines)
            log.info("main window first painted %.2f s after launch (%.2f s CPU)",
                     since_launch, cpu.user + cpu.system)
        return False


def watch_startup(window: QWidget, quit_after_s: float | None) -> None:
    """Log the window's first paint; with ``quit_after_s``, close the window (a normal shutdown) then."""
    probe = _FirstPaint(window)
    window.installEventFilter(probe)
    if quit_after_s is not None:
        QTimer.singleShot(int(quit_after_s * 1000), window.close)
