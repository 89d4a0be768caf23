"""The intraday chart's order-flow overlays (CVD pane, VWAP, volume at price, big prints): the
numbers the history API gives for a hand-built day, toggled from the header's Flow menu, grown
from the live book, and a price alert from the price pane's right-click menu."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

from desktop_app.domain import ClassifiedTrade, TradeType
from desktop_app.processing.order_flow import OrderFlowBook
from desktop_app.services.history import HistoryService
from desktop_app.ui import board_format
from desktop_app.ui.charts.axes import market_x
from desktop_app.ui.charts.chart_tabs import ChartTabs
from desktop_app.ui.charts.panel import scene_point
from desktop_app.ui.history_source import HistorySource
from tests.services.order_flow_day import DAY, TRADES, at, insert_day
from tests.ui.conftest import open_pool


def _trade(symbol: str, price: str, volume: int, kind: str, ts) -> ClassifiedTrade:  # type: ignore[no-untyped-def]
    p = Decimal(price)
    return ClassifiedTrade(symbol, p, volume, p * volume, TradeType(kind), None, None, ts)


@pytest.fixture
def tabs(chart_window):  # type: ignore[no-untyped-def]
    return chart_window.centralWidget()


def test_a_stored_day_draws_the_history_apis_numbers(qrun, database_url: str, tabs: ChartTabs) -> None:  # type: ignore[no-untyped-def]
    chart = tabs.intraday
    chart.set_big_trade_min_value(Decimal(1_000_000_000))
    drawn: list[list[float]] = []
    after_restart: list[float] = []

    async def scenario():  # type: ignore[no-untyped-def]
        db = await open_pool(database_url)
        try:
            await insert_day(db.pool)
            history = HistoryService(db.pool)
            tabs.set_source(HistorySource(history))
            tabs.set_day(DAY)
            tabs.show_symbol("HPG")
            await tabs.wait_loaded()
            got = (await history.flow("HPG", DAY, 1), await history.volume_profile("HPG", DAY),
                   await history.big_trades("HPG", DAY, Decimal(1_000_000_000)))
            drawn.append(chart.bubbles.data["y"].tolist())
            drawn.append(chart.bubbles.sizes.tolist())
            # the chart's threshold: 2 bn keeps only the put-through (the day reloaded with it)
            chart.set_big_trade_min_value(Decimal(2_000_000_000))
            await tabs.wait_loaded()
            # a live book started mid-day (the app restarted after lunch) lacks the morning: the
            # overlays stay the stored day's, not the book's afternoon
            book = OrderFlowBook(Decimal(2_000_000_000))
            book.add_all(_trade(*t) for t in TRADES if t[0] == "HPG" and t[4] >= at(13, 0))
            tabs.attach_order_flow(book)
            assert tabs.live_flow() is None
            await tabs.wait_loaded()
            after_restart.extend(chart.cvd.ys.tolist())
            # a book that saw the whole day is the live source
            book.add_all(_trade(*t) for t in TRADES if t[0] == "HPG" and t[4].date() == DAY and t[4] < at(13, 0))
            assert tabs.live_flow() is book.symbol("HPG")
            return got
        finally:
            await db.close()

    bars, profile, big = qrun(scenario())
    assert len(bars) >= 5
    assert chart.cvd.ys.tolist() == [float(b.cvd) for b in bars]
    assert chart.cvd.xs[:-1].tolist() == market_x(np.array([b.time.timestamp() for b in bars])).tolist()
    assert chart.vwap.ys.tolist() == pytest.approx([float(b.vwap) / 1000 for b in bars])
    # the profile: one row per traded price (thousands of VND), buy / sell / neutral + auction
    assert (chart.profile.prices * 1000).tolist() == [float(lv.price) for lv in profile.levels]
    assert chart.profile.buy.tolist() == [lv.buy_volume for lv in profile.levels]
    assert chart.profile.sell.tolist() == [lv.sell_volume for lv in profile.levels]
    assert chart.profile.other.tolist() == [lv.neutral_volume + lv.auction_volume for lv in profile.levels]
    assert chart.profile.poc == float(profile.poc) / 1000  # type: ignore[arg-type]
    assert chart.profile.value_area == (float(profile.value_area_low) / 1000,  # type: ignore[arg-type]
                                        float(profile.value_area_high) / 1000)  # type: ignore[arg-type]
    # big prints: the put-through (2.6 bn) and the 1.004 bn active buy; the ATC match is left out
    assert [float(t.value) for t in big] == [2_600_000_000.0, 1_004_000_000.0]
    assert drawn[0] == [float(t.price) / 1000 for t in big]
    assert drawn[1][0] > drawn[1][1]  # bigger value, bigger bubble
    assert chart.bubbles.data["y"].tolist() == [26.0]
    assert after_restart == [float(b.cvd) for b in bars]
    # the crosshair's read-out adds the minute's CVD and VWAP
    third = bars[2]
    text = chart._readout(float(market_x(third.time.timestamp())) + 30, 25.0)
    assert f"CVD {third.cvd:,}" in text and f"VWAP {board_format.price_thousands(third.vwap)}" in text
    chart.set_overlay("vwap", False)
    assert "VWAP" not in chart._readout(float(market_x(third.time.timestamp())) + 30, 25.0)


def test_the_flow_menu_shows_and_hides_each_overlay(tabs: ChartTabs) -> None:
    chart = tabs.intraday
    window = tabs.window()
    width = window.width()
    labels = [a.text() for a in chart.flow_menu.actions() if a.isCheckable()]
    assert labels == ["CVD pane", "VWAP", "Volume at price", "Big prints"]
    assert chart.cvd_plot in chart.layout_widget.ci.items
    chart.overlay_actions["cvd"].trigger()  # as a click in the menu
    assert chart.cvd_plot not in chart.layout_widget.ci.items
    assert not chart.overlay_shown("cvd")
    chart.overlay_actions["cvd"].trigger()
    assert chart.cvd_plot in chart.layout_widget.ci.items
    for key, item in (("vwap", chart.vwap), ("profile", chart.profile), ("big", chart.bubbles)):
        chart.set_overlay(key, False)
        assert not item.isVisible()
        chart.set_overlay(key, True)
        assert item.isVisible()
    assert window.width() == width  # the header holds one small button, whatever is on


def test_live_prints_extend_the_cvd_pane_bar_by_bar(tabs: ChartTabs) -> None:
    chart = tabs.intraday
    book = OrderFlowBook()
    tabs.day = DAY
    tabs.symbol = "HPG"
    tabs.attach_order_flow(book)
    tabs._intraday_ready = True
    hpg = [t for t in TRADES if t[0] == "HPG" and t[4].date() == DAY]
    morning, afternoon = hpg[:4], hpg[4:]
    for t in morning:
        book.add(_trade(*t))
        tabs.on_live_trade(_trade(*t))
    tabs._flush_live()
    flow = book.symbol("HPG")
    assert flow is not None
    assert chart.cvd.ys.tolist() == [float(b.cvd) for b in flow.bars()]
    drawn = chart.cvd.ys.copy()
    for t in afternoon:
        book.add(_trade(*t))
        tabs.on_live_trade(_trade(*t))
    tabs._flush_live()
    bars = flow.bars()
    assert chart.cvd.ys.tolist() == [float(b.cvd) for b in bars]
    # only the last bar drawn (it could still fill) and the new ones were redrawn
    assert chart.cvd.redrawn_from == len(drawn) - 1
    assert chart.cvd.ys[:len(drawn) - 1].tolist() == drawn[:-1].tolist()
    assert chart.vwap.ys[-1] == pytest.approx(float(bars[-1].vwap) / 1000)  # type: ignore[arg-type]
    assert chart.profile.buy.sum() == sum(lv.buy_volume for lv in flow.profile().levels)
    assert len(chart.bubbles.data) == len(flow.big_trades())


def test_right_click_on_the_price_offers_an_alert_there(qtbot, tabs: ChartTabs) -> None:  # type: ignore[no-untyped-def]
    chart = tabs.intraday
    tabs.symbol = "HPG"
    from desktop_app.ui.charts.intraday_chart import TradeColumns

    chart.set_columns(TradeColumns.from_trades([_trade("HPG", "25000", 100, "buy", at(9, 30)),
                                                _trade("HPG", "25100", 100, "buy", at(9, 40))]))
    asked: list[tuple] = []
    tabs.priceAlertRequested.connect(lambda *a: asked.append(a))
    vb = chart.price_plot.getViewBox()
    (x0, x1), (y0, y1) = vb.viewRange()
    view = chart.layout_widget
    pos = view.mapFromScene(scene_point(chart.price_plot, (x0 + x1) / 2, (y0 + y1) / 2))
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.RightButton, pos=QPoint(pos.x(), pos.y()))
    assert chart.context_price is not None
    assert vb.menu.actions()[0] is chart.alert_action
    assert chart.alert_action.text().startswith("Alert when price crosses ")
    vb.menu.hide()
    chart.set_context_price(25_040.0)  # snapped to the HOSE grid (50 VND steps here)
    assert chart.alert_action.text() == "Alert when price crosses 25.05…"
    chart.alert_action.trigger()
    assert asked == [("HPG", Decimal(25050), 25100.0)]
