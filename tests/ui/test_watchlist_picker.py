"""Own watchlists in the window: pick a list, add symbols by symbol or name, remove, reorder,
manage lists; everything survives closing and reopening the window (real PostgreSQL)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from PySide6.QtCore import QModelIndex, Qt

from desktop_app.config import Settings
from desktop_app.database.repositories import securities_repository
from desktop_app.feeds.spec import FeedSpec
from desktop_app.feeds.ssi_rest import _security
from desktop_app.instruments import SecuritySource
from desktop_app.services.securities import refresh_securities
from desktop_app.ui.async_tasks import wait_until
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.watchlist import default_basket
from tests.support.ssi_server import sample_securities_rows
from tests.ui.conftest import open_pool


async def open_window(qtbot, settings: Settings, feed: FeedSpec, dsn: str):  # type: ignore[no-untyped-def]
    window = MainWindow(settings, feed)
    qtbot.addWidget(window)
    window.show()
    database = await open_pool(dsn)
    window.attach_database(database)
    picker = window.watchlist_picker
    await wait_until(lambda: picker.combo.count() > 0 and picker.search_model.items.rowCount() > 0)
    return window, database


async def close_window(window: MainWindow, database) -> None:  # type: ignore[no-untyped-def]
    await window.watchlist_picker.tasks.wait_idle()
    await window.charts.tasks.cancel_all()
    await window.alerts.tasks.cancel_all()
    window.finish_close()
    await database.close()


def type_and_enter(qtbot, window: MainWindow, text: str) -> None:  # type: ignore[no-untyped-def]
    search = window.watchlist_picker.search
    search.setFocus()
    if text.isascii():
        qtbot.keyClicks(search, text)
    else:  # QTest types ASCII only: a Vietnamese input method hands over the composed text
        search.setText(text)
    qtbot.keyClick(search, Qt.Key.Key_Return)


def board(window: MainWindow) -> list[str]:
    """The board's rows top to bottom, as the user sees them (through the sort proxy)."""
    view = window.watchlist
    return [view.proxy.index(r, 0).data() for r in range(view.proxy.rowCount())]


def test_lists_order_and_choice_survive_a_window_restart(qrun, qtbot, database_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(home=tmp_path, database_url=database_url)
    feed = FeedSpec("demo")

    async def first_run() -> None:
        window, database = await open_window_seeded()
        picker = window.watchlist_picker
        assert picker.combo.currentText() == "VN30"  # the default, shown first
        assert board(window) == list(default_basket())

        dialog = picker.open_manager()
        assert dialog.isVisible() and not dialog.delete_button.isEnabled()  # VN30 stays
        dialog.name.setText("Mine")
        dialog.new_button.click()
        await wait_until(lambda: picker.combo.currentText() == "Mine")
        dialog.close()
        assert board(window) == []

        type_and_enter(qtbot, window, "Asia Commercial")  # by name
        await wait_until(lambda: board(window) == ["ACB"])
        type_and_enter(qtbot, window, "fpt")  # by symbol
        await wait_until(lambda: board(window) == ["ACB", "FPT"])
        type_and_enter(qtbot, window, "VNM")
        await wait_until(lambda: board(window) == ["ACB", "FPT", "VNM"])
        assert window.watchlist.selected_symbol() == "VNM"  # the added symbol is selected
        assert window.charts.symbol == "VNM"  # ...and its chart is shown

        qtbot.keyClick(window.watchlist.table, Qt.Key.Key_Up, Qt.KeyboardModifier.ControlModifier)
        await wait_until(lambda: board(window) == ["ACB", "VNM", "FPT"])
        window.watchlist.select_symbol("ACB")
        window.watchlist.table.setFocus()
        qtbot.keyClick(window.watchlist.table, Qt.Key.Key_Delete)
        await wait_until(lambda: board(window) == ["VNM", "FPT"])
        await close_window(window, database)

    async def open_window_seeded():  # type: ignore[no-untyped-def]
        database = await open_pool(database_url)
        await refresh_securities(database.pool, "demo", None)  # what start-up's refresh does
        await database.close()
        return await open_window(qtbot, settings, feed, database_url)

    async def second_run() -> None:
        window, database = await open_window(qtbot, settings, feed, database_url)
        picker = window.watchlist_picker
        assert [picker.combo.itemText(i) for i in range(picker.combo.count())] == ["VN30", "Mine"]
        assert picker.combo.currentText() == "Mine"  # the chosen list is remembered
        assert board(window) == ["VNM", "FPT"]  # same symbols, same order
        picker.select_list("VN30")
        assert board(window) == list(default_basket())
        await close_window(window, database)

    qrun(first_run())
    qrun(second_run())


def test_search_any_listed_symbol_and_its_chart(qrun, qtbot, database_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(home=tmp_path, database_url=database_url)
    rows = [s for m, market in sample_securities_rows().items() for r in market if (s := _security(r, m))]

    async def scenario() -> None:
        database = await open_pool(database_url)
        await securities_repository.replace_source(database.pool, SecuritySource.SSI, rows,
                                                   datetime.now(timezone.utc))
        await database.close()
        window, database = await open_window(qtbot, settings, FeedSpec("ssi"), database_url)
        picker = window.watchlist_picker
        model = picker.search_model

        model.set_query("hoàng anh")  # Vietnamese with accents against SSI's unaccented names
        assert model.symbols() == ["HAG"]
        model.set_query("vn30f")
        assert model.symbols() == ["VN30F2412", "VN30F2501", "VN30F2503", "VN30F2506"]
        model.set_query("fpt")
        assert model.symbols()[0] == "FPT"  # the exact symbol first, then its warrant
        assert "CFPT2401" in model.symbols()

        dialog = picker.open_manager()
        dialog.name.setText("Outside VN30")
        dialog.new_button.click()
        await wait_until(lambda: picker.combo.currentText() == "Outside VN30")
        dialog.close()
        type_and_enter(qtbot, window, "hoàng anh")
        await wait_until(lambda: board(window) == ["HAG"])
        type_and_enter(qtbot, window, "PVS")
        await wait_until(lambda: board(window) == ["HAG", "PVS"])
        type_and_enter(qtbot, window, "no such company")
        await picker.tasks.wait_idle()
        assert board(window) == ["HAG", "PVS"]

        window.watchlist.select_symbol("HAG")
        assert window.charts.symbol == "HAG"  # a non-VN30 symbol gets its chart like any other
        await close_window(window, database)

    qrun(scenario())


def test_manage_lists_dialog_renames_deletes_and_reorders(qrun, qtbot, database_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(home=tmp_path, database_url=database_url)

    async def scenario() -> None:
        database = await open_pool(database_url)
        await refresh_securities(database.pool, "demo", None)
        await database.close()
        window, database = await open_window(qtbot, settings, FeedSpec("demo"), database_url)
        picker = window.watchlist_picker
        names = lambda: [picker.combo.itemText(i) for i in range(picker.combo.count())]  # noqa: E731
        dialog = picker.open_manager()
        assert dialog.selected().name == "VN30" and not dialog.delete_button.isEnabled()

        # drag VN30's first symbol below the second: the board follows, the order is stored
        first, second, *rest = default_basket()
        moved = dialog.symbols.model().moveRow(QModelIndex(), 0, QModelIndex(), 2)
        assert moved
        await wait_until(lambda: board(window)[:2] == [second, first])
        assert (await picker.service.get(picker.current().id)).symbols == (second, first, *rest)

        dialog.name.setText("Temp")
        dialog.new_button.click()
        await wait_until(lambda: names() == ["VN30", "Temp"])
        dialog.lists.setCurrentRow(1)
        assert dialog.delete_button.isEnabled()
        dialog.name.setText("Futures")
        dialog.rename_button.click()
        await wait_until(lambda: names() == ["VN30", "Futures"])
        dialog.lists.setCurrentRow(1)
        dialog.delete_button.click()
        await wait_until(lambda: names() == ["VN30"])
        assert picker.combo.currentText() == "VN30"
        assert window.errors == []
        await close_window(window, database)

    qrun(scenario())
