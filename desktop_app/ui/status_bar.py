"""Status bar: feed state, database state, writer queue and last flush, journal, loop lag.

Refreshed by a 2 Hz timer from the running pipeline's figures (nothing here is pushed per event).
Journal size and dropped rows only appear when non-zero: they mean the database is behind or,
worse, that data was lost, and the user must see it. Every field has a fixed width and elides its
value (the whole text is the tooltip): a long message never widens the window.
"""

from __future__ import annotations

from typing import Any

from html import escape

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QLabel, QSizePolicy, QStatusBar, QWidget

from desktop_app.feeds.base import FeedState
from desktop_app.ui.refresh_timer import RefreshTimer

REFRESH_MS = 500

FEED_TEXT = {
    FeedState.CONNECTING: (QT_TRANSLATE_NOOP("AppStatusBar", "connecting…"), "#f0c020"),
    FeedState.LIVE: (QT_TRANSLATE_NOOP("AppStatusBar", "live"), "#26c24a"),
    FeedState.RECONNECTING: (QT_TRANSLATE_NOOP("AppStatusBar", "reconnecting…"), "#f0a030"),
    FeedState.REPLAY: (QT_TRANSLATE_NOOP("AppStatusBar", "replay"), "#50a0f0"),
    FeedState.ENDED: (QT_TRANSLATE_NOOP("AppStatusBar", "ended"), "#a0a0a0"),
    FeedState.FAILED: (QT_TRANSLATE_NOOP("AppStatusBar", "failed"), "#f04848"),
}


def _metric(metrics: Any, *names: str, default: Any = None) -> Any:
    for name in names:
        value = getattr(metrics, name, None)
        if value is not None:
            return value
    return default


def _queue_depth(metrics: Any) -> int:
    queued = getattr(metrics, "queued", None)  # queues + rows waiting for room (backpressure)
    if queued is not None:
        return int(queued)
    depths = _metric(metrics, "queue_depths", default=None)
    if isinstance(depths, dict):
        return int(sum(depths.values()))
    return int(_metric(metrics, "queue_depth", "pending", default=0) or 0)


def _human_bytes(n: int) -> str:
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


class StatusField(QLabel):
    """A status-bar label as wide as its longest usual text (``sample``), its value elided to fit."""

    def __init__(self, sample: str, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.RichText)
        bold = self.font()
        bold.setBold(True)
        self.setFixedWidth(QFontMetrics(bold).horizontalAdvance(sample) + 12)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Preferred)
        self.show_value("", text)

    def show_value(self, caption: str, value: str, colour: str | None = None, bold: bool = False) -> None:
        """``caption`` then ``value`` (coloured, bold), the value elided to the field's width."""
        metrics = self.fontMetrics()
        room = self.width() - metrics.horizontalAdvance(caption) - 2 * self.margin() - 6
        shown = metrics.elidedText(value, Qt.TextElideMode.ElideRight, max(room, 0))
        body = escape(shown)
        if bold:
            body = f"<b>{body}</b>"
        if colour is not None:
            body = f"<span style='color:{colour}'>{body}</span>"
        self.setText(f"{escape(caption)}{body}")
        self.setToolTip(f"{caption}{value}" if shown != value else "")


class AppStatusBar(QStatusBar):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.feed_label = StatusField(self.tr("Feed: SSI credentials missing"), self.tr("Feed: —"))
        self.db_label = StatusField(self.tr("Database: down — buffering to journal"), self.tr("Database: starting…"))
        self.writer_label = StatusField(self.tr("Queue {depth} · last flush {rows} rows in {ms} ms").format(depth="99,999", rows="99,999", ms="999.9"))
        self.journal_label = StatusField(self.tr("journal {size}").format(size="999.9 MiB") + " · " + self.tr("dropped {count}").format(count="99,999"))
        self.lag_label = StatusField(self.tr("Loop lag p99 {ms} ms").format(ms="999.9"))
        for label in (self.feed_label, self.db_label, self.writer_label, self.journal_label, self.lag_label):
            self.addPermanentWidget(label)
        self.journal_label.setVisible(False)
        self.pipeline: Any = None
        self.timer = RefreshTimer(REFRESH_MS, self)
        self.timer.timeout.connect(self.refresh)

    def attach(self, pipeline: Any) -> None:
        self.pipeline = pipeline
        if pipeline is None:
            self.timer.stop()
        else:
            self.refresh()
            self.timer.start()

    def set_feed_text(self, text: str, colour: str = "#e0e0e0") -> None:
        self.feed_label.show_value(self.tr("Feed: "), text, colour, bold=True)

    def set_database_text(self, text: str, colour: str = "#e0e0e0") -> None:
        self.db_label.show_value(self.tr("Database: "), text, colour)

    def refresh(self) -> None:
        p = self.pipeline
        if p is None:
            return
        feed = getattr(p, "feed", None)
        if feed is not None:
            text, colour = FEED_TEXT.get(feed.state, (str(feed.state), "#e0e0e0"))
            text = QCoreApplication.translate("AppStatusBar", text)
            self.set_feed_text(f"{getattr(feed, 'name', '')} {text}".strip(), colour)
        writer = getattr(p, "writer", None)
        if writer is not None:
            self.show_writer(writer.metrics())
        lag = getattr(p, "loop_lag", None)
        if lag is not None:
            stats = lag.window() if hasattr(lag, "window") else lag  # LoopLagMonitor or its stats
            p99 = _metric(stats, "p99_ms", "p99")
            if p99 is not None:
                self.lag_label.show_value("", self.tr("Loop lag p99 {ms} ms").format(ms=f"{float(p99):.1f}"))

    def show_writer(self, m: Any) -> None:
        up = bool(getattr(m, "database_up", True))
        self.set_database_text(self.tr("up") if up else self.tr("down — buffering to journal"),
                               "#26c24a" if up else "#f04848")
        rows = _metric(m, "last_flush_rows", default=0) or 0
        ms = _metric(m, "last_flush_ms", default=0.0) or 0.0
        self.writer_label.show_value(
            "", self.tr("Queue {depth} · last flush {rows} rows in {ms} ms").format(
                depth=f"{_queue_depth(m):,}", rows=f"{int(rows):,}", ms=f"{float(ms):.1f}")
        )
        journal_bytes = int(_metric(m, "journal_bytes", "journal_size_bytes", "journal_size", default=0) or 0)
        dropped = int(_metric(m, "dropped", "dropped_rows", default=0) or 0)
        journal = self.tr("journal {size}").format(size=_human_bytes(journal_bytes)) if journal_bytes else ""
        if dropped:
            self.journal_label.show_value(f"{journal} · " if journal else "", self.tr("dropped {count}").format(count=f"{dropped:,}"),
                                          "#f04848", bold=True)
        else:
            self.journal_label.show_value("", journal)
        self.journal_label.setVisible(bool(journal_bytes or dropped))
