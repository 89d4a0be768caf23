"""The order-flow chart items on a real plot (pytest-qt, offscreen): what each draws, where."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QPointF
from PySide6.QtGui import QColor

from desktop_app.domain import VIETNAM_TZ, TradeType
from desktop_app.order_flow import BigTrade, PriceLevel, volume_profile
from desktop_app.ui.charts.order_flow_items import (
    BUBBLE_MAX_PX,
    BUBBLE_MIN_PX,
    BUY_COLOR,
    BigPrintBubbles,
    CvdCurve,
    VolumeProfileItem,
    VwapLine,
)


@pytest.fixture
def plot(qtbot):  # type: ignore[no-untyped-def]
    widget = pg.PlotWidget()
    widget.resize(600, 400)
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def _profile():  # type: ignore[no-untyped-def]
    return volume_profile([
        PriceLevel(Decimal(25000), 1700, 0, 700, 0, 1000),
        PriceLevel(Decimal(25050), 260, 210, 0, 50, 0),
        PriceLevel(Decimal(25100), 40600, 40600, 0, 0, 0),
        PriceLevel(Decimal(25200), 50000, 0, 0, 0, 50000),
    ])


def test_cvd_and_vwap_hold_their_value_over_each_bar(plot) -> None:  # type: ignore[no-untyped-def]
    cvd, vwap = CvdCurve(), VwapLine()
    plot.addItem(cvd)
    plot.addItem(vwap)
    starts = np.array([0.0, 60.0, 180.0])
    cvd.set_bars(starts, [-100, 0, 500], 60)
    vwap.set_bars(starts, [Decimal("25006.67"), None, Decimal("25033.72")], 60)
    assert cvd.xs.tolist() == [0.0, 60.0, 180.0, 240.0]  # edges: the last bar ends a minute later
    assert cvd.ys.tolist() == [-100, 0, 500]
    assert vwap.ys[0] == 25006.67 and np.isnan(vwap.ys[1]) and vwap.ys[2] == 25033.72
    cvd.set_bars(np.zeros(0), [], 60)
    assert len(cvd.xs) == 0


def test_profile_bars_grow_left_from_the_anchor_split_by_side(plot) -> None:  # type: ignore[no-untyped-def]
    item = VolumeProfileItem()
    plot.addItem(item)
    item.set_profile(_profile())
    item.set_anchor(1000.0, 500.0)
    rects = item.level_rects()
    assert [r.price for r in rects] == [25000, 25050, 25100, 25200]
    biggest = rects[3]  # 50,000 auction volume: the widest level spans the whole width
    assert biggest.other.left() == pytest.approx(500.0) and biggest.other.right() == pytest.approx(1000.0)
    assert biggest.buy.width() == 0 and biggest.sell.width() == 0
    busy = rects[2]  # 40,600 active buy, nearest the edge
    assert busy.buy.right() == pytest.approx(1000.0)
    assert busy.buy.width() == pytest.approx(500.0 * 40600 / 50000)
    mixed = rects[0]  # sell 700 left of buy 0, then 1000 auction further left
    assert mixed.sell.right() == pytest.approx(1000.0)
    assert mixed.other.right() == pytest.approx(mixed.sell.left())
    assert item.row_height() == pytest.approx(45.0)  # 0.9 of the smallest price step
    assert item.poc == 25200 and item.value_area == (25100, 25200)


def test_profile_follows_the_right_edge_and_paints_there(plot, qtbot) -> None:  # type: ignore[no-untyped-def]
    item = VolumeProfileItem()
    plot.addItem(item)
    vb = plot.getPlotItem().getViewBox()
    item.set_profile(_profile())
    plot.setXRange(0, 1000, padding=0)
    plot.setYRange(24900, 25300, padding=0)
    item.follow_right_edge(vb, share=0.5)
    qtbot.waitUntil(lambda: item.right == pytest.approx(1000.0, abs=1))
    assert item.width == pytest.approx(500.0, rel=0.01)
    plot.setXRange(0, 2000, padding=0)
    qtbot.waitUntil(lambda: item.right == pytest.approx(2000.0, abs=2))
    plot.setXRange(0, 1000, padding=0)
    qtbot.waitUntil(lambda: item.right == pytest.approx(1000.0, abs=1))
    image = plot.grab().toImage()
    busy = item.level_rects()[2].buy
    scene = vb.mapViewToScene(QPointF(busy.center().x(), 25100))
    pixel = plot.mapFromScene(scene)
    colour = QColor(image.pixel(pixel.x(), pixel.y()))
    assert colour.green() > 150 and colour.red() < 120, colour.name()  # the active-buy colour
    assert BUY_COLOR.green() > 150


def test_bubbles_grow_with_value_and_take_the_side_colour(plot) -> None:  # type: ignore[no-untyped-def]
    bubbles = BigPrintBubbles(min_value=1_000_000_000)
    plot.addItem(bubbles)
    at = datetime(2024, 3, 5, 13, 5, tzinfo=VIETNAM_TZ)
    bubbles.set_trades([
        BigTrade(at, Decimal(25100), 40000, Decimal(1_004_000_000), TradeType.BUY),
        BigTrade(at, Decimal(26000), 160000, Decimal(4_000_000_000), TradeType.PUT_THROUGH),
        BigTrade(at, Decimal(26000), 10**7, Decimal(260_000_000_000), TradeType.SELL),
    ])
    sizes = bubbles.sizes
    assert sizes[0] == pytest.approx(BUBBLE_MIN_PX * np.sqrt(1.004))
    assert sizes[1] == pytest.approx(2 * BUBBLE_MIN_PX)  # four times the value: twice as wide
    assert sizes[2] == BUBBLE_MAX_PX
    assert bubbles.data["x"][0] == at.timestamp() and bubbles.data["y"][1] == 26000
    colours = [QColor(b.color()) for b in bubbles.data["brush"]]
    assert colours[0].green() > colours[0].red() and colours[2].red() > colours[2].green()


def test_a_live_update_keeps_the_bars_before_the_last_and_appends(plot) -> None:  # type: ignore[no-untyped-def]
    cvd = CvdCurve()
    plot.addItem(cvd)
    cvd.set_bars(np.array([0.0, 60.0]), [100, 150], 60)
    cvd.update_bars(np.array([60.0, 120.0]), [180, 90], 60, first=1)  # the last bar grew, one more came
    assert cvd.redrawn_from == 1
    assert cvd.xs.tolist() == [0.0, 60.0, 120.0, 180.0]
    assert cvd.ys.tolist() == [100, 180, 90]
    cvd.update_bars(np.array([0.0]), [5], 60, first=0)  # not a continuation: drawn afresh
    assert cvd.redrawn_from == 0 and cvd.ys.tolist() == [5]
