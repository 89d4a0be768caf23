"""The real window, the real pipeline, the real database: replay in, board out, clean shutdown."""

from __future__ import annotations

import asyncio
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from desktop_app.config import Settings
from desktop_app.feeds.basket import find_resource
from desktop_app.feeds.base import FeedState
from desktop_app.feeds.spec import FeedSpec
from desktop_app.ui import board_format as fmt
from desktop_app.ui.app import GuiController, install_exception_hooks
from desktop_app.ui.app_runtime import AppRuntime
from desktop_app.ui.async_tasks import wait_until
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.watchlist import COLUMN_INDEX
from tests.ui.conftest import open_pool

SAMPLE = find_resource("sample_replay.jsonl")


def cell(window: MainWindow, symbol: str, column: str) -> str:
    model = window.watchlist.model
    return model.data(model.index(model.row_of(symbol), COLUMN_INDEX[column]))


def colour(window: MainWindow, symbol: str, column: str):  # type: ignore[no-untyped-def]
    from PySide6.QtCore import Qt

    model = window.watchlist.model
    return model.data(model.index(model.row_of(symbol), COLUMN_INDEX[column]), Qt.ItemDataRole.ForegroundRole)


def test_replay_fills_the_board_and_close_flushes_everything(qrun, qtbot, database_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(home=tmp_path, database_url=database_url, flush_interval_s=0.2)
    feed = FeedSpec("replay", SAMPLE, speed=None)
    window = MainWindow(settings, feed)
    qtbot.addWidget(window)
    window.show()
    controller = GuiController(window, AppRuntime(settings, feed))
    steps: list[str] = []
    assert window.overlay.isVisible()  # the window shows the start-up screen before anything started

    async def scenario() -> None:
        original = window.show_step
        window.show_step = lambda text: (steps.append(text), original(text))  # type: ignore[method-assign]
        controller.begin()
        await controller.started.wait()
        assert controller.startup_error is None
        pipeline = window.pipeline
        await pipeline.wait_finished()
        stats = pipeline.processor.stats
        await wait_until(lambda: window.watchlist.model.version == stats.version)
        await wait_until(lambda: "replay" in window.status.feed_label.text() or "ended" in window.status.feed_label.text())
        assert pipeline.feed.state in (FeedState.ENDED, FeedState.REPLAY)

        # every stock on the board shows exactly the live figures, coloured like a board
        shown = 0
        for symbol, s in stats.symbols().items():
            if s.exchange == "DERIVATIVES" or window.watchlist.model.row_of(symbol) is None:
                continue
            shown += 1
            assert cell(window, symbol, "last") == fmt.price_thousands(s.last)
            assert cell(window, symbol, "volume") == fmt.volume(s.matched_volume)
            assert cell(window, symbol, "pct") == fmt.percent(s.change_pct)
            assert cell(window, symbol, "foreign_net") == fmt.signed_volume(s.foreign_net_volume)
            assert colour(window, symbol, "last") == fmt.board_color(s.last, s.ref_price, s.ceiling, s.floor)
        assert shown >= 3
        market = stats.market()
        assert fmt.points(market.vn30_value) in window.watchlist.strip.index_label.text()

        # selecting a row selects the symbol for the charts
        some = next(sym for sym, s in stats.symbols().items() if s.exchange != "DERIVATIVES"
                    and window.watchlist.model.row_of(sym) is not None)
        window.watchlist.select_symbol(some)
        assert window.charts.symbol == some

        # sorting by % keeps the rows ordered by the real numbers
        proxy = window.watchlist.proxy
        window.watchlist.table.sortByColumn(COLUMN_INDEX["pct"], Qt.SortOrder.DescendingOrder)
        values = [proxy.data(proxy.index(r, COLUMN_INDEX["pct"]), proxy.sortRole()) for r in range(proxy.rowCount())]
        assert values == sorted(values, reverse=True)

        # no daily history stored yet: the daily chart's empty state offers the backfill, which opens
        window.charts.daily.backfill_button.click()
        dialogs = [d for d in window._dialogs if type(d).__name__ == "BackfillDialog"]
        assert len(dialogs) == 1 and dialogs[0].isVisible()
        dialogs[0].close()

        trades_processed = pipeline.processor.counters.trades
        window.close()  # first close: refused, shutdown runs, then the window really closes
        await controller.closed.wait()
        assert not window.isVisible()
        db = await open_pool(database_url)
        try:
            stored = await db.pool.fetchval("SELECT count(*) FROM trades")
        finally:
            await db.close()
        assert stored == trades_processed > 0

    qrun(scenario(), timeout=120)
    assert steps[:2] == ["Connecting to PostgreSQL…", "Applying migrations…"]
    assert any(s.startswith("Connecting feed (replay") for s in steps)
    assert "Saving the last trades…" in steps and "Closing the database…" in steps
    assert controller.runtime.stopped and controller.runtime.database._closed
    assert (tmp_path / "window.ini").exists()
    assert "lastSymbol" in (tmp_path / "window.ini").read_text()


def test_ssi_without_credentials_says_so(qrun, qtbot, database_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(home=tmp_path, database_url=database_url)
    feed = FeedSpec("ssi")
    window = MainWindow(settings, feed)
    qtbot.addWidget(window)
    window.show()
    controller = GuiController(window, AppRuntime(settings, feed))

    async def scenario() -> None:
        controller.begin()
        await controller.started.wait()
        assert window.database is not None  # history views still work
        window.close()
        await controller.closed.wait()

    qrun(scenario())
    assert "credentials missing" in window.status.feed_label.text()
    assert any("SSI_CONSUMER_ID" in e and "Settings" in e for e in window.errors)
    assert not window.overlay.isVisible()


def test_unusable_database_is_explained_on_the_start_screen(qrun, qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings = Settings(home=tmp_path, database_url=f"postgresql://u:pw@127.0.0.1:{port}/x")
    window = MainWindow(settings, FeedSpec("demo"))
    qtbot.addWidget(window)
    window.show()
    controller = GuiController(window, AppRuntime(settings, FeedSpec("demo")))

    async def scenario() -> None:
        controller.begin()
        await controller.started.wait()
        assert window.overlay.isVisible()
        assert "Cannot open the database" in window.overlay.step.text()
        assert "connection refused" in window.overlay.step.text()
        assert "unavailable" in window.status.db_label.text()
        window.close()
        await controller.closed.wait()

    qrun(scenario())
    assert not window.isVisible()


def test_unhandled_errors_show_a_dialog_naming_the_log_file(qrun, qtbot, qloop, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import sys

    settings = Settings(home=tmp_path)
    window = MainWindow(settings, FeedSpec("demo"))
    qtbot.addWidget(window)
    old_hook, old_handler = sys.excepthook, qloop.get_exception_handler()
    install_exception_hooks(QApplication.instance(), qloop, settings, lambda: window)
    try:
        async def failing() -> None:
            raise RuntimeError("boom in a task")

        async def scenario() -> None:
            task = asyncio.ensure_future(failing())
            await asyncio.wait([task])
            del task  # never retrieved: the loop's exception handler reports it
            import gc

            gc.collect()
            await wait_until(lambda: any("boom in a task" in e for e in window.errors))

        qrun(scenario())
        try:
            raise ValueError("boom in a slot")
        except ValueError:
            sys.excepthook(*sys.exc_info())
        assert any("boom in a slot" in e for e in window.errors)
        boxes = [w for w in window.findChildren(QMessageBox) if "Unexpected error" in w.windowTitle()]
        assert boxes and str(settings.log_file) in boxes[-1].text()
    finally:
        sys.excepthook = old_hook
        qloop.set_exception_handler(old_handler)
