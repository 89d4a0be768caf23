"""The board's text cells: one model lookup per painted cell, the same pixels as the style's.

``QStyledItemDelegate`` asks the model for seven roles per painted cell (font, alignment,
foreground, check state, decoration, display, background), each several Python calls through the
sort proxy, then the style lays the text out with a ``QTextLayout``. A full board repaint (every
row changes at every refresh at 5,000 prints/s) paints hundreds of cells. The model answers
``CELL_ROLE`` with everything a cell shows in one ``BoardCell`` and this delegate paints it as the
style's item-view cell does (selection or flash background, text margins, elision, focus frame):
the output is pixel-identical (``tests/ui/test_board_paint.py``). A model without ``CELL_ROLE``
is painted by the style as usual.
"""

from __future__ import annotations

from typing import NamedTuple

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import QApplication, QStyle, QStyledItemDelegate, QStyleOptionFocusRect, QStyleOptionViewItem

CELL_ROLE = Qt.ItemDataRole.UserRole + 3

# plain ints and module constants: an enum operation in Python costs microseconds, and this
# runs for every painted cell
_SELECTED = QStyle.StateFlag.State_Selected.value
_HAS_FOCUS = QStyle.StateFlag.State_HasFocus.value
_STATE_ACTIVE = QStyle.StateFlag.State_Active.value
_ACTIVE = QPalette.ColorGroup.Active
_INACTIVE = QPalette.ColorGroup.Inactive
_TEXT = QPalette.ColorRole.Text
_WIDTHS_KEPT = 20_000
_HIGHLIGHT = QPalette.ColorRole.Highlight
_HIGHLIGHTED_TEXT = QPalette.ColorRole.HighlightedText


class BoardCell(NamedTuple):
    """Everything one text cell shows (what the display, foreground, font, background and
    alignment roles answer one by one)."""

    text: str
    colour: QColor | None
    bold: bool
    background: QColor | None
    alignment: int  # Qt.AlignmentFlag as an int (what QPainter.drawText takes)


class BoardCellDelegate(QStyledItemDelegate):
    """Paints a ``BoardCell`` as the style paints an item view's text cell: the background
    (selection highlight, else the flash colour), the text in its colour and font inside the
    style's text margins, elided on the right, and the focus frame of the current cell."""

    def __init__(self, parent=None) -> None:  # type: ignore[no-untyped-def]
        super().__init__(parent)
        self._font: QFont | None = None  # the view's font the bold one below derives from
        self._bold = QFont()
        self._metrics: dict[bool, QFontMetrics] = {}
        self._margin = -1  # the style's text margin (its focus frame margin + 1), read once
        self._widths: dict[tuple[str, bool], int] = {}

    def _fonts(self, font: QFont) -> None:
        if self._font is None or font != self._font:
            self._font = QFont(font)
            self._bold = QFont(font)
            self._bold.setBold(True)
            self._metrics = {False: QFontMetrics(self._font), True: QFontMetrics(self._bold)}
            self._widths.clear()

    def _width(self, text: str, bold: bool) -> int:
        """The text's width in its font, measured once (a board shows the same few texts)."""
        key = (text, bold)
        width = self._widths.get(key)
        if width is None:
            if len(self._widths) >= _WIDTHS_KEPT:
                self._widths.clear()
            width = self._widths[key] = self._metrics[bold].horizontalAdvance(text)
        return width

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        cell = index.data(CELL_ROLE)
        if not isinstance(cell, BoardCell):
            super().paint(painter, option, index)
            return
        state = option.state.value
        rect = option.rect
        palette = option.palette
        selected = state & _SELECTED
        if selected:
            painter.fillRect(rect, palette.brush(_group(state), _HIGHLIGHT))
        elif cell.background is not None:
            painter.fillRect(rect, cell.background)
        if self._margin < 0:
            widget = option.widget
            style = widget.style() if widget is not None else QApplication.style()
            self._margin = style.pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, widget) + 1
        text = cell.text
        if text:
            self._fonts(option.font)
            if selected:
                painter.setPen(palette.color(_group(state), _HIGHLIGHTED_TEXT))
            elif cell.colour is not None:
                painter.setPen(cell.colour)
            else:
                painter.setPen(palette.color(_group(state), _TEXT))
            painter.setFont(self._bold if cell.bold else self._font)
            margin = self._margin
            box = rect.adjusted(margin, 0, -margin, 0)
            room = box.width()
            if self._width(text, cell.bold) > room:
                text = self._metrics[cell.bold].elidedText(text, Qt.TextElideMode.ElideRight, room)
            painter.drawText(box, cell.alignment, text)
        if state & _HAS_FOCUS:
            self._focus_frame(painter, option)

    @staticmethod
    def _focus_frame(painter: QPainter, option: QStyleOptionViewItem) -> None:
        widget = option.widget
        style = widget.style() if widget is not None else QApplication.style()
        frame = QStyleOptionFocusRect()
        frame.initFrom(widget) if widget is not None else None
        frame.rect = style.subElementRect(QStyle.SubElement.SE_ItemViewItemFocusRect, option, widget)
        frame.state = option.state | QStyle.StateFlag.State_KeyboardFocusChange | QStyle.StateFlag.State_Item
        group = _group(option.state.value)
        frame.backgroundColor = option.palette.color(
            group, _HIGHLIGHT if option.state.value & _SELECTED else QPalette.ColorRole.Window)
        style.drawPrimitive(QStyle.PrimitiveElement.PE_FrameFocusRect, frame, painter, widget)


def _group(state: int) -> QPalette.ColorGroup:
    return _ACTIVE if state & _STATE_ACTIVE else _INACTIVE
