"""The small replay file shipped in ``resources/sample_replay.jsonl``, cut from a demo day."""

from __future__ import annotations

from datetime import date, time
from pathlib import Path

from desktop_app.feeds.demo.simulator import DemoMarket
from desktop_app.feeds.demo.wire import envelope

SAMPLE_SYMBOLS = ("ACB", "FPT", "SSI")
SAMPLE_WINDOWS = (
    (time(9, 0, 0), time(9, 0, 5)),  # session status, futures ATO
    (time(9, 14, 55), time(9, 16, 0)),  # ATO prints, continuous trading starts
    (time(10, 30, 0), time(10, 30, 40)),
    (time(11, 29, 50), time(11, 30, 0)),  # lunch break
    (time(14, 29, 50), time(14, 30, 10)),  # ATC starts
    (time(14, 44, 59), time(15, 0, 0)),  # ATC prints, put-through, close
)


def write_sample_replay(path: Path, seed: int = 7, day: date = date(2026, 3, 10)) -> int:
    """A small replay file covering every message kind, plus 3 deliberately bad lines.

    A few symbols, the index and both futures months, around the open, a busy stretch and the
    close. Returns the number of lines written.
    """
    market = DemoMarket(seed=seed, start=day, symbols=SAMPLE_SYMBOLS)
    lines: list[str] = []
    for stamp, text in market.timed_day(day):
        t = stamp.time()
        if any(a <= t <= b for a, b in SAMPLE_WINDOWS):
            lines.append(text)
    bad = [
        '{"DataType":"X-TRADE","Content":"{\\"Symbol\\":\\"ACB\\",truncated',
        envelope("X-TRADE", {"RType": "X-TRADE", "TradingDate": day.strftime("%d/%m/%Y"), "Time": "09:16:00",
                             "Symbol": "ACB", "Exchange": "HOSE", "LastPrice": -24500.0, "LastVol": 100.0,
                             "TotalVol": 100.0, "TotalVal": 2450000.0, "TradingSession": "LO"}),
        envelope("ZZ", {"Symbol": "ACB"}),
    ]
    for i, line in enumerate(bad):
        lines.insert(len(lines) * (i + 1) // 4, line)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(lines)
