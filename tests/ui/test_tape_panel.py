"""Time and sales in the window: follows the board's selection, starts from today's stored prints
(read through the history service from a real database), goes on with live prints, stays bounded."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

from desktop_app.config import Settings
from desktop_app.domain import ClassifiedTrade, TradeType
from desktop_app.feeds.spec import FeedSpec
from desktop_app.services.history import HistoryService
from desktop_app.ui.async_tasks import wait_until
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.tape_panel import TapePanel
from tests.support import known_history as seed
from tests.ui.conftest import open_pool


def live(symbol: str, seconds: int, price: int = 98_000, volume: int = 100, total: int = 0) -> ClassifiedTrade:
    return ClassifiedTrade(symbol, Decimal(price), volume, Decimal(price * volume), TradeType.BUY, None, None,
                           seed.vn(14, 55) + timedelta(seconds=seconds), total)


def test_the_tape_follows_the_selected_symbol_from_stored_then_live_prints(qrun, database_url: str, qtbot,
                                                                          tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    window = MainWindow(Settings(home=tmp_path), FeedSpec("demo"))
    qtbot.addWidget(window)
    panel = window.tape_panel
    assert window.tape_dock.widget() is panel and window.tabifiedDockWidgets(window.alerts_dock)

    async def scenario() -> None:
        db = await open_pool(database_url)
        try:
            await seed.seed_all(db.pool)
            window.attach_database(SimpleNamespace(pool=db.pool))
            panel.set_history(HistoryService(db.pool), lambda: seed.DAY)
            assert window.watchlist.select_symbol("FPT")
            await panel.wait_loaded()
            rows = panel.tape.model.trades()
            assert len(rows) == len(seed.TRADES) and rows[0].trade_type is TradeType.PUT_THROUGH  # newest first
            assert [r.timestamp for r in rows] == sorted((t[0] for t in seed.TRADES), reverse=True)
            panel.add(live("FPT", 1))
            panel.add(live("VNM", 2))  # another symbol's print: not on this tape
            await wait_until(lambda: len(panel.tape.model.trades()) == len(seed.TRADES) + 1)
            assert panel.tape.model.trades()[0].timestamp == seed.vn(14, 55, 1)

            assert window.watchlist.select_symbol("VNM")  # the selection moves: so does the tape
            await panel.wait_loaded()
            assert [r.symbol for r in panel.tape.model.trades()] == ["VNM"]
            assert panel.tape.title.text() == "Time and sales — VNM" and panel.depth.symbol == "VNM"
        finally:
            await window.charts.wait_loaded()
            await db.close()

    qrun(scenario())


def test_stored_and_live_prints_merge_once_and_stay_bounded(qrun, database_url: str, qtbot) -> None:  # type: ignore[no-untyped-def]
    panel = TapePanel(capacity=5)
    qtbot.addWidget(panel)

    async def scenario() -> None:
        db = await open_pool(database_url)
        try:
            await seed.seed_all(db.pool)
            panel.follow("FPT")
            panel.add(live("FPT", 1, total=999_999))  # arrived while the history loads
            panel.set_history(HistoryService(db.pool), lambda: seed.DAY)
            await panel.wait_loaded()
            rows = panel.tape.model.trades()
            assert len(rows) == 5  # 9 stored + 1 live, capacity 5: the newest five
            assert rows[0].timestamp == seed.vn(14, 55, 1) and rows[1].trade_type is TradeType.PUT_THROUGH
            for i in range(2, 2_000):  # a burst: memory stays flat
                panel.add(live("FPT", i))
            await wait_until(lambda: panel.tape.model.trades()[0].timestamp == seed.vn(14, 55) + timedelta(seconds=1_999))
            assert panel.tape.model.rowCount() == 5
        finally:
            await db.close()

    qrun(scenario())


def test_the_big_print_threshold_is_the_setting_and_follows_a_save(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    window = MainWindow(Settings(home=tmp_path, big_trade_min_value=2_000_000_000), FeedSpec("demo"))
    qtbot.addWidget(window)
    model = window.tape_panel.tape.model
    print_15bn = live("FPT", 1, price=100_000, volume=15_000)  # 1.5 bn VND
    assert not model.is_big_print(print_15bn)
    window._settings_saved(Settings(home=tmp_path, big_trade_min_value=1_000_000_000))
    assert model.is_big_print(print_15bn)
