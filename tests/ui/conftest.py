"""UI test fixtures: a qasync loop for pytest-qt's QApplication, and a runner for coroutines on it.

The app runs its asyncio code on the Qt event loop (qasync), so the UI tests do too: a test is a
plain function that hands its scenario coroutine to ``qrun``; while it runs, Qt events (paints,
timers, signals) and asyncio tasks (asyncpg, the pipeline) interleave exactly as in the app.
Waiting is always for an observable condition (``wait_until``), never a fixed sleep.

Databases: the root conftest's ``database_url`` (a fresh migrated database per test) is created on
pytest-asyncio's loop; asyncpg pools are bound to a loop, so UI tests open their own pool on the
qasync loop (``ui_pool`` inside the scenario, see ``open_pool``).
"""

from __future__ import annotations

import asyncio
import gc
from typing import Any, Awaitable, Callable, Coroutine

import pytest
import qasync


@pytest.fixture(scope="session")
def qloop(qapp):  # type: ignore[no-untyped-def]
    qapp.setQuitOnLastWindowClosed(False)  # as in run_gui: closing a window must not stop the loop
    loop = qasync.QEventLoop(qapp)
    yield loop
    if not loop.is_closed():
        loop.close()


@pytest.fixture
def qrun(qloop) -> Callable[[Coroutine[Any, Any, Any]], Any]:  # type: ignore[no-untyped-def]
    """Run a coroutine to completion on the qasync loop (bounded, so a hang fails the test)."""
    try:
        previous = asyncio.get_event_loop_policy().get_event_loop()
    except RuntimeError:
        previous = None
    asyncio.set_event_loop(qloop)  # Qt slots calling ensure_future outside a running loop find it

    def run(coro: Coroutine[Any, Any, Any], timeout: float = 60.0) -> Any:
        return qloop.run_until_complete(asyncio.wait_for(coro, timeout))

    yield run
    asyncio.set_event_loop(previous)


async def open_pool(dsn: str):  # type: ignore[no-untyped-def]
    from desktop_app.database.connection import connect_dsn

    return await connect_dsn(dsn, min_size=1, max_size=4)


async def settle(awaitable: Awaitable[Any] | None = None) -> None:
    """Let pending Qt events and loop callbacks run once."""
    if awaitable is not None:
        await awaitable
    await asyncio.sleep(0)


@pytest.fixture
def chart_window(qtbot):  # type: ignore[no-untyped-def]
    """The chart tabs in a main window on a 1366×768 laptop screen."""
    from PySide6.QtCore import QEvent
    from PySide6.QtWidgets import QApplication, QMainWindow

    from desktop_app.ui.charts.chart_tabs import ChartTabs

    main = QMainWindow()
    main.setCentralWidget(ChartTabs())
    main.resize(1366, 768)
    main.show()
    qtbot.waitExposed(main)
    yield main
    # delete it here, all at once, rather than whenever a later test's garbage collection reaches
    # its reference cycles in the middle of Qt's event processing (pyqtgraph items then ask for
    # views already deleted: a crash about 1 run in 3)
    main.close()
    main.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    del main
    gc.collect()


@pytest.fixture
def vietnamese(qapp):  # type: ignore[no-untyped-def]
    """The Vietnamese catalogue installed for one test."""
    from desktop_app.ui.translation import CatalogueTranslator, load_catalogue

    translator = CatalogueTranslator(load_catalogue("vi"))
    qapp.installTranslator(translator)
    yield translator
    qapp.removeTranslator(translator)
