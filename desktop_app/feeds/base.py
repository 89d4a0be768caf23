"""The one interface every feed implements: a stream of SSI wire envelopes.

Demo, replay and the live hub all yield the envelope text the hub sends after its first decode
(``{"DataType": "X-TRADE", "Content": "<json>"}``), so every source exercises the same parser.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import AsyncIterator, Callable, Protocol


class FeedState(str, enum.Enum):
    CONNECTING = "connecting"
    LIVE = "live"
    RECONNECTING = "reconnecting"
    REPLAY = "replay"
    ENDED = "ended"
    FAILED = "failed"


StateListener = Callable[[FeedState], None]


class Feed(Protocol):
    name: str

    @property
    def state(self) -> FeedState: ...

    def add_state_listener(self, listener: StateListener) -> None:
        """Called on the loop whenever ``state`` changes (status bar, record summary)."""

    def envelopes(self) -> AsyncIterator[str]:
        """Raw envelope texts in arrival order; the iterator ends when the feed ends."""

    async def close(self) -> None:
        """Stop producing; idempotent. A running ``envelopes()`` iteration then ends."""

    def resume_from(self, stored_until: datetime) -> None:
        """Told before ``envelopes()`` where the stored history of this source ends.

        A feed that can, such as the demo, catches its simulated day up at least to that instant
        instead of starting over; a live or file feed ignores it (the writer skips what is stored).
        """


class FeedStateHolder:
    """Small mix-in that keeps ``state`` and notifies listeners; feeds may use it."""

    def __init__(self, initial: FeedState = FeedState.CONNECTING) -> None:
        self._state = initial
        self._listeners: list[StateListener] = []

    @property
    def state(self) -> FeedState:
        return self._state

    def add_state_listener(self, listener: StateListener) -> None:
        self._listeners.append(listener)

    def resume_from(self, stored_until: datetime) -> None:
        """Default: nothing to do (see ``Feed.resume_from``)."""

    def _set_state(self, state: FeedState) -> None:
        if state is self._state:
            return
        self._state = state
        for listener in list(self._listeners):
            listener(state)
