"""What the user asked to watch: which feed, which replay file, how fast."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class FeedSpec:
    kind: str = "demo"  # demo | ssi | replay
    replay_path: Path | None = None
    speed: float | None = 1.0  # None = as fast as the consumer takes ("max")

    def describe(self) -> str:
        speed = "max" if self.speed is None else f"{self.speed:g}x"
        if self.kind == "replay":
            return f"replay {self.replay_path} at {speed}"
        if self.kind == "demo":
            return f"demo at {speed}"
        return "SSI live"
