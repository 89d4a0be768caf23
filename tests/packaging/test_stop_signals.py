"""stop_on_signals: SIGINT/SIGTERM reach the callback on the loop, with or without
``loop.add_signal_handler`` (Windows' loops and qasync lack it), and ``restore`` undoes it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# A command's main loop: "ready", then waits (bounded) for a stop signal; reports what it saw.
COMMAND = """
import asyncio, signal, sys
from desktop_app.services.stop_signals import stop_on_signals

class LoopWithoutSignalHandlers(asyncio.SelectorEventLoop):  # what Windows and qasync offer
    def add_signal_handler(self, sig, callback, *args):
        raise NotImplementedError

async def main():
    stopped = asyncio.Event()
    restore = stop_on_signals(asyncio.get_running_loop(), stopped.set)
    print("ready", flush=True)
    try:
        await asyncio.wait_for(stopped.wait(), 20)
        print("stopped", flush=True)
    finally:
        restore()
    print("restored" if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL else "not restored")

loop = LoopWithoutSignalHandlers() if sys.argv[1] == "fallback" else asyncio.new_event_loop()
loop.run_until_complete(main())
"""


@pytest.mark.skipif(sys.platform == "win32", reason="sends POSIX signals")
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
@pytest.mark.parametrize("loop_kind", ["add_signal_handler", "fallback"])
def test_a_stop_signal_ends_the_command_gracefully(loop_kind: str, signum: int) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", COMMAND, loop_kind], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert proc.stdout.readline().strip() == "ready"  # type: ignore[union-attr]
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert out.split() == ["stopped", "restored"]
