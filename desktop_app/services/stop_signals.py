"""Ctrl+C / SIGTERM end a command gracefully, on every platform: one place for the signal plumbing.

``loop.add_signal_handler`` is the clean way (the callback runs on the loop), but Windows' event
loops, and qasync's Qt loop, do not implement it. There the fallback is ``signal.signal`` whose
handler hands the callback to the loop thread-safely. Windows' Ctrl+Break (SIGBREAK) counts too.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import Any, Callable

log = logging.getLogger(__name__)


def _stop_signals() -> list[signal.Signals]:
    names = ("SIGINT", "SIGTERM", "SIGBREAK")  # SIGBREAK exists on Windows only
    return [getattr(signal, name) for name in names if hasattr(signal, name)]


def stop_on_signals(loop: asyncio.AbstractEventLoop, callback: Callable[[], Any]) -> Callable[[], None]:
    """Call ``callback`` on ``loop`` at SIGINT/SIGTERM(/SIGBREAK); return the function that undoes it.

    Outside the main thread neither mechanism exists: then nothing is installed and Ctrl+C keeps
    Python's default (KeyboardInterrupt).
    """
    on_loop: list[signal.Signals] = []
    previous: dict[signal.Signals, Any] = {}

    def from_handler(signum: int, _frame: object) -> None:
        loop.call_soon_threadsafe(callback)

    for sig in _stop_signals():
        try:
            loop.add_signal_handler(sig, callback)
            on_loop.append(sig)
            continue
        except (NotImplementedError, RuntimeError, ValueError):
            pass
        try:
            previous[sig] = signal.signal(sig, from_handler)
        except (ValueError, OSError) as exc:  # not the main thread
            log.debug("no handler for %s: %s", sig.name, exc)

    def restore() -> None:
        for sig in on_loop:
            loop.remove_signal_handler(sig)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        on_loop.clear()
        previous.clear()

    return restore
