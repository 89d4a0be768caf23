"""Status bar: what the user reads about the feed, the database, the writer and the loop."""

from __future__ import annotations

from types import SimpleNamespace

from desktop_app.database.batch_writer import WriterMetrics
from desktop_app.feeds.base import FeedState
from desktop_app.services.loop_lag import LoopLagMonitor
from desktop_app.ui.status_bar import AppStatusBar


def metrics(**overrides) -> WriterMetrics:  # type: ignore[no-untyped-def]
    values = dict(
        queue_depths={"trades": 1200, "foreign_snapshots": 30, "basis_history": 5, "alerts": 0},
        rows_written={"trades": 10_000}, last_flush_rows=4_321, last_flush_ms=12.5, flushes=10,
        failed_flushes=0, journal_bytes=0, journal_batches=0, journal_rows=0, journal_replayed=0,
        spilled_batches=0, dropped=0, quarantined=0, unencodable=0, database_up=True,
    )
    values.update(overrides)
    return WriterMetrics(**values)


def fake_pipeline(state: FeedState, m: WriterMetrics, lag: LoopLagMonitor) -> SimpleNamespace:
    feed = SimpleNamespace(state=state, name="demo")
    return SimpleNamespace(feed=feed, writer=SimpleNamespace(metrics=lambda: m), loop_lag=lag)


def test_normal_running_state(qtbot) -> None:  # type: ignore[no-untyped-def]
    bar = AppStatusBar()
    qtbot.addWidget(bar)
    lag = LoopLagMonitor()
    for ms in (1.0, 2.0, 3.0, 40.0):
        lag.record(ms)
    bar.attach(fake_pipeline(FeedState.LIVE, metrics(), lag))
    assert "demo live" in bar.feed_label.text()
    assert ">up<" in bar.db_label.text()
    assert bar.writer_label.text() == "Queue 1,235 · last flush 4,321 rows in 12.5 ms"
    assert bar.lag_label.text() == f"Loop lag p99 {lag.window().p99_ms:.1f} ms"
    assert bar.journal_label.isHidden()
    bar.attach(None)


def test_database_down_journal_and_drops_are_shown(qtbot) -> None:  # type: ignore[no-untyped-def]
    bar = AppStatusBar()
    qtbot.addWidget(bar)
    bar.show()
    m = metrics(database_up=False, journal_bytes=3 * 1024 * 1024, dropped=250)
    bar.attach(fake_pipeline(FeedState.RECONNECTING, m, LoopLagMonitor()))
    assert "reconnecting" in bar.feed_label.text()
    assert "down — buffering to journal" in bar.db_label.text()
    assert not bar.journal_label.isHidden()
    assert "journal 3.0 MiB" in bar.journal_label.text() and "dropped 250" in bar.journal_label.text()
    bar.attach(None)
