"""Coroutines started from Qt slots: kept referenced, superseded loads cancelled, errors surfaced.

Qt slots are synchronous; the app's loop (qasync) runs coroutines beside the Qt events. A task
started with ``asyncio.ensure_future`` and then forgotten may be garbage-collected mid-flight and
its exception lost, so every UI task goes through a ``TaskSlots``: one slot per purpose ("daily
chart load", "alerts page"), starting a new task in a slot cancels the previous one (a symbol
change makes the old load stale), and a failure is logged with context and handed to ``on_error``
for the user to see.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Callable, Coroutine

log = logging.getLogger(__name__)

ErrorHandler = Callable[[str, BaseException], None]


class TaskSlots:
    def __init__(self, on_error: ErrorHandler | None = None) -> None:
        self._tasks: dict[str, asyncio.Task] = {}
        self._on_error = on_error

    def start(self, slot: str, coro: Coroutine[Any, Any, Any]) -> asyncio.Task:
        """Run ``coro`` in ``slot``, cancelling whatever ran there before."""
        previous = self._tasks.get(slot)
        if previous is not None and not previous.done():
            previous.cancel()
        task = asyncio.ensure_future(coro)
        self._tasks[slot] = task
        task.add_done_callback(lambda t, s=slot: self._finished(s, t))
        return task

    def running(self, slot: str) -> asyncio.Task | None:
        task = self._tasks.get(slot)
        return task if task is not None and not task.done() else None

    def busy(self) -> bool:
        return any(not t.done() for t in self._tasks.values())

    async def wait_idle(self) -> None:
        """Wait for every task currently running (tests and shutdown)."""
        while True:
            pending = [t for t in self._tasks.values() if not t.done()]
            if not pending:
                return
            await asyncio.wait(pending)

    async def cancel_all(self) -> None:
        pending = [t for t in self._tasks.values() if not t.done()]
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)

    def _finished(self, slot: str, task: asyncio.Task) -> None:
        if self._tasks.get(slot) is task:
            del self._tasks[slot]
        if task.cancelled():
            return
        exc = task.exception()
        if exc is None:
            return
        log.error("%s failed: %s", slot, exc, exc_info=exc)
        if self._on_error is not None:
            self._on_error(slot, exc)


async def wait_until(condition: Callable[[], bool], timeout_s: float = 10.0, poll_s: float = 0.02) -> None:
    """Await an observable condition (tests, the bench); raises TimeoutError when it never holds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not condition():
        if loop.time() > deadline:
            raise TimeoutError("condition not met in time")
        await asyncio.sleep(poll_s)


