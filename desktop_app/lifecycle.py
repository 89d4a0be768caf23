"""The one lifecycle every long-lived object goes through (database, pipeline, writer, runtime).

One state field instead of separate ``_started``/``_stopping``/``_stopped``/``_closed`` flags: a
state that cannot be half-set (started but also stopped) and reads the same everywhere.
"""

from __future__ import annotations

from enum import Enum


class Lifecycle(Enum):
    """NEW -> STARTING -> RUNNING -> STOPPING -> STOPPED; any state may go straight to STOPPED."""

    NEW = "new"
    STARTING = "starting"
    RUNNING = "running"
    STOPPING = "stopping"
    STOPPED = "stopped"

    @property
    def started(self) -> bool:
        """Start was asked for (it may still be in progress, or be over)."""
        return self is not Lifecycle.NEW

    @property
    def ending(self) -> bool:
        """Stop was asked for: no new work is taken."""
        return self in (Lifecycle.STOPPING, Lifecycle.STOPPED)
