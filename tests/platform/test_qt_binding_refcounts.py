"""The Qt binding must not leak references to None: PySide6 6.12.0 on Python 3.11 drops one per
void call (``setText``, ``update``…) and the app aborts with "none_dealloc" after minutes of a live
board. pyproject pins ``PySide6-Essentials<6.12``; this test fails if a bad binding comes back."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import os, sys
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from PySide6.QtWidgets import QApplication, QLabel
app = QApplication([])
label = QLabel("x")
before = sys.getrefcount(None)
for _ in range(20_000):
    label.setText("a")
    label.update()
print(sys.getrefcount(None) - before)
"""


def test_void_qt_calls_keep_none_alive() -> None:
    result = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert int(result.stdout.strip()) > -1000, "the Qt binding leaks references to None"
