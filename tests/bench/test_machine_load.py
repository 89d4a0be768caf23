"""Every bench prints the machine's load average beside its figures."""

from __future__ import annotations

import os

from desktop_app.bench.machine_load import load_average, load_line


def test_load_average_reports_the_three_windows_as_the_os_does() -> None:
    figures = load_average()
    assert set(figures) == {"load_avg_1m", "load_avg_5m", "load_avg_15m"}
    assert all(value >= 0 for value in figures.values())
    # 15-minute figures move slowly: what we report is what the OS reports, rounded.
    assert abs(figures["load_avg_15m"] - os.getloadavg()[2]) < 0.5


def test_load_line_names_the_three_figures() -> None:
    line = load_line({"load_avg_1m": 1.5, "load_avg_5m": 2.25, "load_avg_15m": 3.0})
    assert line == "load average 1.5 / 2.25 / 3.0 (1, 5, 15 min)"
    assert load_line({}) == "load average unavailable on this platform"
