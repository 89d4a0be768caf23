"""The board's header: session state and clock at each timetable boundary (HOSE and derivatives),
VN30 / VN-Index with change, and breadth from the MI messages (nothing where the feed sends none)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import orjson
import pytest

from desktop_app.config import Settings
from desktop_app.domain import VIETNAM_TZ
from desktop_app.feeds.messages import parse_envelope
from desktop_app.feeds.spec import FeedSpec
from desktop_app.processing.processor import MarketDataProcessor
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.watchlist import WatchlistView

DAY = datetime(2026, 12, 1, tzinfo=VIETNAM_TZ)  # a Tuesday


def at(h: int, m: int, s: int = 0) -> datetime:
    return DAY + timedelta(hours=h, minutes=m, seconds=s)


BOUNDARIES = [  # (moment, HOSE phase, futures phase)
    (at(8, 14, 59), "Closed", "Closed"),
    (at(8, 15), "Closed", "Pre-open"),
    (at(8, 30), "Pre-open", "Pre-open"),
    (at(8, 45), "Pre-open", "ATO"),
    (at(8, 59, 59), "Pre-open", "ATO"),
    (at(9, 0), "ATO", "Continuous"),
    (at(9, 15), "Continuous", "Continuous"),
    (at(11, 29, 59), "Continuous", "Continuous"),
    (at(11, 30), "Lunch break", "Lunch break"),
    (at(13, 0), "Continuous", "Continuous"),
    (at(14, 30), "ATC", "ATC"),
    (at(14, 45), "Put-through", "Closed"),
    (at(15, 0), "Closed", "Closed"),
]


@pytest.fixture
def window(qtbot, tmp_path: Path) -> MainWindow:  # type: ignore[no-untyped-def]
    w = MainWindow(Settings(home=tmp_path), FeedSpec("demo"))
    qtbot.addWidget(w)
    return w


def test_the_header_shows_the_session_of_both_markets_at_each_boundary(window: MainWindow) -> None:
    clock = window.watchlist.strip.clock
    assert clock.parent() is not None and window.watchlist.strip.isAncestorOf(clock)
    moment = {"t": BOUNDARIES[0][0]}
    clock.set_clock(lambda: moment["t"])
    for when, hose, futures in BOUNDARIES:
        moment["t"] = when
        clock.refresh()
        assert clock.text() == f"HOSE {hose} · Futures {futures} · {when:%H:%M:%S}", when
    moment["t"] = at(10, 0) + timedelta(days=4)  # Saturday: closed all day
    clock.refresh()
    assert clock.text().startswith("HOSE Closed · Futures Closed")


def test_a_simulated_feed_drives_the_clock_with_its_event_time(window: MainWindow) -> None:
    processor = MarketDataProcessor()

    class Pipeline:  # only what attach_pipeline reads
        def __init__(self) -> None:
            self.processor = processor

    window.status.attach = lambda _p: None  # type: ignore[method-assign]  # the status bar is not under test
    window.attach_pipeline(Pipeline())
    processor.process_all(parse_envelope(mi("VN30", "10:31:07", 1_250.5)))
    window.watchlist.strip.clock.refresh()
    assert window.watchlist.strip.clock.text().endswith("10:31:07")  # the replayed day's time, not the wall
    window.finish_close()


def mi(index_id: str, time: str, value: float, *, breadth: bool = True, key: str = "IndexId") -> str:
    content: dict = {"RType": "MI", key: index_id, "IndexValue": value, "PriorIndexValue": 1_240.0,
                     "Change": value - 1_240.0, "RatioChange": round((value - 1_240.0) / 12.4, 2),
                     "TotalQtty": 1.0e8, "TotalValue": 3.0e12, "TradingDate": "01/12/2026", "Time": time,
                     "Exchange": "HOSE"}
    if breadth:
        content |= {"Advances": 18.0, "Declines": 9.0, "NoChanges": 3.0, "Ceilings": 1.0, "Floors": 0.0}
    return orjson.dumps({"DataType": "MI", "Content": orjson.dumps(content).decode()}).decode()


def test_indexes_and_breadth_come_from_the_mi_messages(qtbot) -> None:  # type: ignore[no-untyped-def]
    view = WatchlistView(["ACB"])
    qtbot.addWidget(view)
    processor = MarketDataProcessor()
    view.attach(processor.stats)
    strip = view.strip
    processor.process_all(parse_envelope(mi("VN30", "10:00:00", 1_250.5, breadth=False)))
    view.refresh()
    assert "1,250.50" in strip.index_label.text() and "+10.50" in strip.index_label.text()
    assert strip.breadth_label.text() == ""  # no counts in the message: no fake zeros
    assert strip.vnindex_label.text() == ""

    processor.process_all(parse_envelope(mi("VN30", "10:00:05", 1_251.0)))
    view.refresh()
    text = strip.breadth_label.text()
    assert "VN30" in text and all(f"{sign}{n}<" in text for sign, n in
                                  (("▲", 18), ("▼", 9), ("■", 3), ("⇈", 1), ("⇊", 0)))

    # VN-Index (either key spelling): its level and change, and the broad market's breadth wins
    processor.process_all(parse_envelope(mi("VNINDEX", "10:00:06", 1_262.25, key="IndexID")))
    view.refresh()
    assert "VN-Index" in strip.vnindex_label.text() and "1,262.25" in strip.vnindex_label.text()
    assert strip.breadth_label.text().startswith("<b>VN-Index</b>")
    market = processor.stats.market()
    assert market.vnindex_breadth is not None and market.vnindex_breadth.advances == 18
    assert market.vn30_value == 1_251  # VN-Index never overwrites the VN30 (or the basis)
