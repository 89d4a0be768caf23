"""Time and sales beside the order book, following the board's selected symbol.

On a new selection the tape starts empty and buffers that symbol's live prints at once, while
today's stored prints load through the history service; when they arrive the two are merged
(a print stored and also seen live counts once: same TotalVol), newest first, bounded by the
tape's capacity.
"""

from __future__ import annotations

from collections import deque
from datetime import date
from decimal import Decimal
from typing import Any, Callable, Iterable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSplitter, QVBoxLayout, QWidget

from desktop_app.domain import ClassifiedTrade
from desktop_app.market_clock import day_bounds, vn_today
from desktop_app.ui.async_tasks import TaskSlots
from desktop_app.ui.depth_panel import DepthPanel
from desktop_app.ui.tape_view import DEFAULT_CAPACITY, TapeView

PAGE = 1000


def _identity(t: ClassifiedTrade) -> tuple[Any, ...]:
    return (t.total_volume,) if t.total_volume else (t.timestamp, t.price, t.volume)


def merge_prints(stored: Iterable[ClassifiedTrade], live: Iterable[ClassifiedTrade]) -> list[ClassifiedTrade]:
    """Stored then live prints, oldest first, each print once."""
    seen: set[tuple[Any, ...]] = set()
    out: list[ClassifiedTrade] = []
    for t in (*stored, *live):
        key = _identity(t)
        if key not in seen:
            seen.add(key)
            out.append(t)
    out.sort(key=lambda t: (t.timestamp, t.total_volume))
    return out


class TapePanel(QWidget):
    """Depth (left) and time and sales (right) for one symbol."""

    def __init__(self, on_error: Callable[[str, BaseException], None] | None = None,
                 parent: QWidget | None = None, capacity: int = DEFAULT_CAPACITY) -> None:
        super().__init__(parent)
        self.depth = DepthPanel()
        self.tape = TapeView(capacity=capacity)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.depth)
        split.addWidget(self.tape)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        split.setChildrenCollapsible(False)
        self.depth.setMinimumWidth(160)
        self.tape.setMinimumWidth(200)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(split)
        self.tasks = TaskSlots(on_error)
        self.history: Any = None  # services.history.HistoryService
        self.day_of: Callable[[], date] = vn_today
        self.symbol: str | None = None

    def set_history(self, history: Any, day_of: Callable[[], date] | None = None) -> None:
        self.history = history
        if day_of is not None:
            self.day_of = day_of
        if self.symbol is not None:  # keep what the tape already shows; merge the stored prints in
            self.tasks.start("tape", self._load(self.symbol, self.day_of()))

    def set_big_print_threshold(self, value_vnd: Decimal) -> None:
        self.tape.model.set_big_print_threshold(value_vnd)

    def follow(self, symbol: str) -> None:
        """Show ``symbol``: live prints from now on, then today's stored ones merged in."""
        self.symbol = symbol
        self.tape.show_symbol(symbol)
        self.depth.show_symbol(symbol)
        if self.history is not None:
            self.tasks.start("tape", self._load(symbol, self.day_of()))

    def add(self, trade: ClassifiedTrade) -> None:
        """Processor subscriber: buffers only the followed symbol's prints."""
        self.tape.add(trade)

    async def wait_loaded(self) -> None:
        await self.tasks.wait_idle()

    async def _load(self, symbol: str, day: date) -> None:
        start, end = day_bounds(day)
        capacity = self.tape.model.capacity
        stored: deque[ClassifiedTrade] = deque(maxlen=capacity)
        offset = 0
        while True:
            page = await self.history.trades_between(symbol, start, end, PAGE, offset)
            stored.extend(page)
            if len(page) < PAGE:
                break
            offset += PAGE
        if self.symbol != symbol:
            return
        model = self.tape.model
        model.flush()
        live = list(reversed(model.trades()))  # what arrived while loading, oldest first
        self.tape.show_symbol(symbol, merge_prints(stored, live))
