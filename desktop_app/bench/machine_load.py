"""The machine's load average, printed beside every bench figure.

The figures are wall-clock or CPU times on a machine that may be shared; the load average says
how much other work ran beside them, so a reader can tell a slow run from a busy machine.
"""

from __future__ import annotations

import os


def load_average() -> dict[str, float]:
    """``load_avg_1m/5m/15m`` as ``os.getloadavg`` reports them (empty where it is unavailable)."""
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:  # the platform has no load average
        return {}
    return {"load_avg_1m": round(one, 2), "load_avg_5m": round(five, 2), "load_avg_15m": round(fifteen, 2)}


def load_line(figures: dict[str, object]) -> str:
    """One human line for the text output: ``load average 1.52 / 1.40 / 1.31 (1, 5, 15 min)``."""
    if "load_avg_1m" not in figures:
        return "load average unavailable on this platform"
    return (f"load average {figures['load_avg_1m']} / {figures['load_avg_5m']} / {figures['load_avg_15m']}"
            " (1, 5, 15 min)")
