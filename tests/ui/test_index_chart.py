"""The VN30 index chart draws what is stored (basis_history's spot values, daily_ohlc 'VN30' rows)
and appends today's live MI values."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import numpy as np

from desktop_app.database.repositories import ohlc_repository
from desktop_app.domain import IndexValue, TradingSession
from desktop_app.processing.live_stats import LiveStats
from desktop_app.services.history import HistoryService
from desktop_app.ui.charts.axes import market_x
from desktop_app.ui.history_source import HistorySource
from desktop_app.ui.index_chart import IndexChart
from tests.support import known_history as seed
from tests.ui.conftest import open_pool


def finite(line) -> tuple[np.ndarray, np.ndarray]:  # type: ignore[no-untyped-def]
    x, y = line.getOriginalDataset()
    if y is None:  # nothing drawn
        return np.empty(0), np.empty(0)
    keep = np.isfinite(y)
    return x[keep], y[keep]


def vn30(value: str, seconds_after_ten: int) -> IndexValue:
    return IndexValue("VN30", seed.DAY, seed.vn(10, 0) + timedelta(seconds=seconds_after_ten), Decimal(value),
                      None, None, None, None, None, None, None, None, None, None, TradingSession.CONTINUOUS)


def test_the_index_chart_shows_stored_values_then_live_ones(qrun, database_url: str, qtbot) -> None:  # type: ignore[no-untyped-def]
    chart = IndexChart()
    qtbot.addWidget(chart)
    chart.resize(800, 500)
    chart.show()

    async def scenario() -> None:
        db = await open_pool(database_url)
        try:
            await seed.seed_all(db.pool)
            closes = seed.daily_bars("VN30", n=5)
            await ohlc_repository.upsert_daily_bars(db.pool, closes)
            chart.set_source(HistorySource(HistoryService(db.pool)))
            chart.set_day(seed.DAY)
            await chart.wait_loaded()
            x, y = finite(chart.intraday_line)
            assert np.allclose(y, [float(r[2]) for r in seed.BASIS])  # the stored spot (VN30) values
            assert np.array_equal(x, market_x(np.array([r[0].timestamp() for r in seed.BASIS])))
            assert np.allclose(finite(chart.daily_line)[1], [float(b.close) for b in closes])
            assert not chart.daily_empty.isVisible()
            assert "3 intraday values" in chart.status_label.text() and "5 daily closes" in chart.status_label.text()

            stats = LiveStats()
            chart.attach_stats(stats)
            stats.on_index(vn30("1271.00", 0))  # 10:00:00: already stored (10:00 is the last basis point)
            chart.poll_live()
            stats.on_index(vn30("1273.50", 30))
            chart.poll_live()
            chart.poll_live()  # no new value: nothing appended
            assert np.allclose(finite(chart.intraday_line)[1][-2:], [1272.0, 1273.5])
            assert len(finite(chart.intraday_line)[1]) == 4

            # live values far past the stored line (the writer still flushing): the stored line is
            # read again and what was stored meanwhile fills the hole
            chart.set_day(seed.DAY - timedelta(days=1))
            await chart.wait_loaded()
            chart.set_day(seed.DAY)
            await chart.wait_loaded()
            await db.pool.execute(
                "INSERT INTO basis_history (futures_symbol, futures_price, spot_value, basis, captured_at)"
                " VALUES ($1, $2, $3, $4, $5)", seed.FUTURES, Decimal("1276.0"), Decimal("1275.10"),
                Decimal("0.90"), seed.vn(10, 5))
            stats.on_index(vn30("1277.25", 600))  # 10:10
            chart.poll_live()
            await chart.wait_loaded()
            assert np.allclose(finite(chart.intraday_line)[1][-3:], [1272.0, 1275.1, 1277.25])

            chart.set_day(seed.DAY - timedelta(days=1))  # another day: its own (empty) stored values
            await chart.wait_loaded()
            assert len(finite(chart.intraday_line)[1]) == 0
            assert "No VN30 values stored for this day" in chart.status_label.text()
            await db.pool.execute("DELETE FROM daily_ohlc WHERE symbol = 'VN30'")
            chart.reload()
            await chart.wait_loaded()
            assert chart.daily_empty.isVisible() and "no daily VN30 rows stored" in chart.status_label.text()
        finally:
            await db.close()

    qrun(scenario())
