"""GUI entry point: ``run_gui(settings, feed)`` (called by ``stock-tracker`` / ``stock-tracker gui``).

One thread, one loop: the QApplication's event loop IS the asyncio loop (qasync), so the pipeline,
the database pool and the widgets all live on it. The window is shown first, then the database
and the feed start as a task whose steps the start-up overlay shows. Unhandled exceptions — from
Qt slots (``sys.excepthook``) or from asyncio tasks (``loop.set_exception_handler``) — are logged
and shown in a dialog that names the log file, instead of killing the app silently. Closing the
window stops the pipeline (full flush), closes the database (stops the embedded server), then
quits.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import traceback
from types import TracebackType
from typing import Any

import qasync
from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QApplication, QMessageBox

from desktop_app.config import Settings
from desktop_app.errors import ConfigurationError
from desktop_app.feeds.spec import FeedSpec
from desktop_app.services.stop_signals import stop_on_signals
from desktop_app.speedups import tune_gc_for_streaming
from desktop_app.ui.alert_push import attach_alert_push
from desktop_app.ui.app_runtime import AppRuntime, FeedUnavailableError
from desktop_app.ui.async_tasks import TaskSlots
from desktop_app.ui.main_window import APPLICATION, ORGANIZATION, MainWindow
from desktop_app.ui.startup_probe import watch_startup
from desktop_app.ui.translation import install_translation

log = logging.getLogger(__name__)


class GuiController:
    """Starts and stops one run for a window; the same code path the tests drive."""

    def __init__(self, window: MainWindow, runtime: AppRuntime) -> None:
        self.window = window
        self.runtime = runtime
        self.tasks = TaskSlots(window.report_error)
        self.started = asyncio.Event()
        self.closed = asyncio.Event()
        self.startup_error: BaseException | None = None
        window.closeRequested.connect(self.request_close)

    def begin(self) -> asyncio.Task:
        return self.tasks.start("start-up", self.start())

    async def start(self) -> None:
        w = self.window
        try:
            database = await self.runtime.open_database(w.show_step)
        except ConfigurationError as exc:
            self.startup_error = exc
            w.status.set_database_text("unavailable", "#f04848")
            w.show_step(QCoreApplication.translate(
                "GuiController", "Cannot open the database: {error}\n\nFix it in File → Settings, then restart.").format(error=exc))
            w.overlay.bar.setRange(0, 1)
            w.show_message(QCoreApplication.translate("GuiController", "Database unavailable"), str(exc), QMessageBox.Icon.Critical)
            self.started.set()
            return
        w.attach_database(database)
        try:
            pipeline = await self.runtime.start_pipeline(w.show_step, credentials=self._keyring_credentials())
        except FeedUnavailableError as exc:
            self.startup_error = exc
            w.startup_finished()
            w.feed_unavailable(str(exc))
            self.started.set()
            return
        w.attach_pipeline(pipeline)
        attach_alert_push(w, self.runtime.delivery, self.runtime.price_rules)  # tray, rules, push status
        w.startup_finished()
        self.started.set()

    def _keyring_credentials(self) -> tuple[str, str] | None:
        creds = self.window.credential_store.get()
        return (creds.consumer_id, creds.consumer_secret) if creds else None

    def request_close(self) -> None:
        if self.tasks.running("shutdown") is None and not self.closed.is_set():
            self.tasks.start("shutdown", self.shutdown())

    async def shutdown(self) -> None:
        startup = self.tasks.running("start-up")
        if startup is not None:  # let a half-done start finish so that everything it opened is closed
            await asyncio.wait([startup])
        await self.window.charts.tasks.cancel_all()
        await self.window.alerts.tasks.cancel_all()
        await self.runtime.stop(self.window.show_step)
        self.window.finish_close()
        self.closed.set()


def install_exception_hooks(app: QApplication, loop: asyncio.AbstractEventLoop, settings: Settings,
                            window_getter: Any) -> None:
    """Unhandled errors become a dialog naming the log file (and a log entry), not a silent exit."""
    shown: list[QMessageBox] = []

    def show(summary: str) -> None:
        window = window_getter()
        box = QMessageBox(QMessageBox.Icon.Critical, QCoreApplication.translate("GuiController", "Unexpected error"),
                          f"{summary}\n\n" + QCoreApplication.translate(
                              "GuiController", "The app keeps running. Details are in the log file:\n{log}").format(
                                  log=settings.log_file),
                          QMessageBox.StandardButton.Ok, window)
        shown.append(box)
        box.finished.connect(lambda _r, b=box: shown.remove(b) if b in shown else None)
        box.open()
        if window is not None:
            window.errors.append(summary)

    def excepthook(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            app.quit()
            return
        log.error("unhandled exception in the UI:\n%s", "".join(traceback.format_exception(exc_type, exc, tb)))
        show(f"{exc_type.__name__}: {exc}")

    def loop_handler(loop_: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        message = context.get("message", "error in a background task")
        if exc is not None:
            log.error("unhandled exception on the event loop: %s", message, exc_info=exc)
            show(f"{type(exc).__name__}: {exc}")
        else:
            log.error("event loop error: %s", message)

    sys.excepthook = excepthook
    loop.set_exception_handler(loop_handler)


def run_gui(settings: Settings, feed: FeedSpec, quit_after_s: float | None = None) -> int:
    app = QApplication.instance() or QApplication(sys.argv)
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName("VN30 Stock Tracker")
    app.setQuitOnLastWindowClosed(False)  # the window closes itself after the shutdown finished
    install_translation(app, settings.language)  # before any widget: texts are translated when built
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    window = MainWindow(settings, feed)
    install_exception_hooks(app, loop, settings, lambda: window)
    watch_startup(window, quit_after_s)
    window.show()
    controller = GuiController(window, AppRuntime(settings, feed))
    restore_signals = stop_on_signals(loop, window.close)  # Ctrl+C / SIGTERM: the normal close

    async def main() -> None:
        controller.begin()
        await controller.started.wait()
        tune_gc_for_streaming()  # what start-up built lives for the whole run (see speedups)
        await controller.closed.wait()

    with loop:
        try:
            loop.run_until_complete(main())
        finally:
            restore_signals()
    return 0
