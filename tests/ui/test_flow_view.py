"""The Flow view: the basket's buy/sell value by stock (sortable, bars in table order), by sector,
the basket's cumulative value delta, live from the order-flow book and from stored history alike."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from PySide6.QtCore import Qt

from desktop_app.database.minute_bar_aggregate import refresh_minute_bars
from desktop_app.domain import ClassifiedTrade, TradeType
from desktop_app.processing.order_flow import OrderFlowBook
from desktop_app.services.history import HistoryService
from desktop_app.ui.async_tasks import wait_until
from desktop_app.ui.flow_view import DELTA_COLUMN, FlowView
from tests.services.order_flow_day import DAY, TRADES, at, insert_day
from tests.ui.conftest import open_pool

SYMBOLS = ("FPT", "HPG", "VCB")
EXTRA = [
    ("VCB", "90500", 5000, "ato", at(9, 15)),
    ("FPT", "96000", 10000, "buy", at(9, 30)),
    ("FPT", "95900", 2000, "sell", at(9, 31)),
    ("VCB", "90000", 20000, "sell", at(10, 0)),
]


def _trade(symbol: str, price: str, volume: int, kind: str, ts) -> ClassifiedTrade:  # type: ignore[no-untyped-def]
    p = Decimal(price)
    return ClassifiedTrade(symbol, p, volume, p * volume, TradeType(kind), None, None, ts)


def _live_book(big_trade_min_value: Decimal = Decimal(1_000_000_000)) -> OrderFlowBook:
    book = OrderFlowBook(big_trade_min_value)
    book.add_all(_trade(*t) for t in TRADES + EXTRA if t[4].date() == DAY)
    return book


@pytest.fixture
def view(qtbot):  # type: ignore[no-untyped-def]
    widget = FlowView(symbols=SYMBOLS, today=lambda: DAY)
    widget.resize(1200, 700)
    qtbot.addWidget(widget)
    widget.show()
    return widget


def test_live_basket_by_stock_and_sector_with_sortable_bars(view: FlowView) -> None:
    view.attach_live(_live_book())
    assert view.source_label.text().startswith("live")
    hpg = view.model.row_of("HPG")
    assert hpg is not None and hpg.sector == "Materials"
    assert hpg.totals.buy_value == Decimal("1024320500") and hpg.totals.sell_value == Decimal("17500000")
    assert hpg.totals.split.ato_value == Decimal(25_000_000) and hpg.totals.split.atc_value == Decimal(1_260_000_000)
    # grouped by sector (the default order): Banks, Materials, Technology
    assert view.symbols_in_view_order() == ["VCB", "HPG", "FPT"]
    buy, sell = view.stock_bar_heights()
    assert buy.tolist() == pytest.approx([0.0, 1.0243205, 0.96])
    assert sell.tolist() == pytest.approx([-1.8, -0.0175, -0.1918])
    # a click on the Δ header re-sorts the table and the bars follow
    view.table.sortByColumn(DELTA_COLUMN, Qt.SortOrder.DescendingOrder)
    assert view.symbols_in_view_order() == ["HPG", "FPT", "VCB"]
    assert view.stock_bar_heights()[0].tolist() == pytest.approx([1.0243205, 0.96, 0.0])
    assert view.buy_bars.opts["height"].tolist() == pytest.approx([1.0243205, 0.96, 0.0])
    shown = [view.proxy.index(i, DELTA_COLUMN).data() for i in range(3)]
    assert shown == ["1.01", "0.77", "-1.80"]
    assert view.sector_names == ["Banks", "Materials", "Technology"]
    assert view.sector_deltas.tolist() == pytest.approx([-1.8, 1.0068205, 0.7682])
    # the basket's cumulative value delta ends at the sum of the stocks' deltas
    assert view.cvd.ys[-1] == pytest.approx(-0.0249795)
    assert view.basket_bars[-1].cvd_value == Decimal("-24979500")


def test_a_stored_day_shows_the_same_numbers_as_live(qrun, database_url: str, qtbot) -> None:  # type: ignore[no-untyped-def]
    live = FlowView(symbols=SYMBOLS, today=lambda: DAY)
    stored = FlowView(symbols=SYMBOLS, today=lambda: date(2030, 1, 2))  # DAY is history for this one
    for w in (live, stored):
        qtbot.addWidget(w)
    live.attach_live(_live_book())

    async def scenario() -> None:
        db = await open_pool(database_url)
        try:
            await insert_day(db.pool)
            async with db.pool.acquire() as conn:
                for symbol, price, volume, kind, ts in EXTRA:
                    await conn.execute(
                        "INSERT INTO trades (symbol, price, volume, value, trade_type, traded_at)"
                        " VALUES ($1, $2, $3, $4, $5, $6)",
                        symbol, Decimal(price), volume, Decimal(price) * volume, kind, ts)
            await refresh_minute_bars(db.pool)
            stored.set_history(HistoryService(db.pool))
            stored.show_day(DAY)
            await wait_until(lambda: stored.source_label.text().startswith("stored"))
        finally:
            await db.close()

    qrun(scenario())
    assert [r.totals for r in stored.model.rows] == [r.totals for r in live.model.rows]
    assert stored.basket_bars == live.basket_bars
    assert stored.cvd.ys.tolist() == live.cvd.ys.tolist()
    assert stored.symbols_in_view_order() == live.symbols_in_view_order()


def test_the_view_follows_the_live_books_day_until_another_is_picked(qtbot) -> None:  # type: ignore[no-untyped-def]
    view = FlowView(symbols=SYMBOLS, today=lambda: date(2030, 1, 2))  # the wall clock is elsewhere
    qtbot.addWidget(view)
    view.attach_live(_live_book())  # a replay of DAY
    assert view.day == DAY and view.is_live
    assert view.date_edit.date().toString("yyyy-MM-dd") == DAY.isoformat()
    assert view.model.row_of("FPT").totals.buy_value == Decimal(960_000_000)  # type: ignore[union-attr]
    view.date_edit.setDate(view.date_edit.date().addDays(-1))
    assert not view.is_live
    view.refresh_live()
    assert view.day == date(2024, 3, 4)  # the user's pick stays


def test_chart_columns_of_a_stored_day_equal_the_live_books(qrun, database_url: str) -> None:  # type: ignore[no-untyped-def]
    from desktop_app.ui.history_source import HistorySource, OrderFlowColumns

    live = _live_book(Decimal(10_000_000)).symbol("HPG")
    assert live is not None
    want = OrderFlowColumns.of(live.bars(), live.profile(), live.big_trades())

    async def scenario() -> OrderFlowColumns:
        db = await open_pool(database_url)
        try:
            await insert_day(db.pool)
            return await HistorySource(HistoryService(db.pool)).order_flow_day("HPG", DAY, Decimal(10_000_000))
        finally:
            await db.close()

    got = qrun(scenario())
    assert got.start.tolist() == want.start.tolist() and got.start[0] == at(9, 15).timestamp()
    assert got.cvd.tolist() == want.cvd.tolist() == [-100, 0, 0, 500, 110, 40110, 40110]
    assert got.vwap.tolist() == want.vwap.tolist() and got.vwap[-1] == 25152.04
    assert got.profile == want.profile and got.profile.poc == Decimal(25200)
    assert got.big_trades == want.big_trades and len(got.big_trades) == 4
