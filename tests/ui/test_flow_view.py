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


def _foreign(symbol: str, buy_bn: str, sell_bn: str, ts):  # type: ignore[no-untyped-def]
    from desktop_app.domain import ForeignInvestorData

    return ForeignInvestorData(symbol, 1000, 500, Decimal(buy_bn) * 10**9, Decimal(sell_bn) * 10**9,
                               Decimal(0), Decimal(0), None, ts)


def test_live_foreign_heatmap_and_vn30_contributions(view: FlowView) -> None:
    from desktop_app.domain import BasisPoint
    from desktop_app.ui.flow_view import HEATMAP_COLUMNS, HEATMAP_FULL_ALPHA

    for value in (_foreign("HPG", "3", "1", at(10, 0)), _foreign("VCB", "1", "5", at(10, 0)),
                  _foreign("FPT", "9", "9", at(9, 0, 0, date(2024, 3, 4))),  # the day before: not shown
                  BasisPoint("VN30F2403", Decimal("1250.0"), Decimal("1200.00"), Decimal("50.0"), at(10, 0)),
                  _trade("HPG", "25250", 10, "buy", at(14, 0)), _trade("VCB", "89100", 10, "sell", at(14, 0)),
                  _trade("HPG", "30000", 10, "put_through", at(14, 1))):  # a put-through is not a price
        view.on_value(value)
    view.ref_prices = {"HPG": Decimal(25_000), "VCB": Decimal(90_000), "FPT": Decimal(96_000)}
    view.attach_live(_live_book())
    heat = view.heatmap_model
    assert heat.symbols == ["VCB", "HPG", "FPT"]  # sector order, as the table
    assert heat.rowCount() == 1 and heat.columnCount() == HEATMAP_COLUMNS
    assert heat.net_value("HPG") == Decimal(2 * 10**9) and heat.net_value("VCB") == Decimal(-4 * 10**9)
    assert heat.net_value("FPT") is None
    assert heat.index(0, 0).data() == "VCB\n-4.00" and heat.index(0, 2).data() == "FPT\n—"
    vcb, hpg = heat.colour_of("VCB"), heat.colour_of("HPG")
    assert vcb is not None and hpg is not None
    assert vcb.alpha() == HEATMAP_FULL_ALPHA and hpg.alpha() < vcb.alpha()  # the bigger net, the stronger
    assert hpg.red() < hpg.green() and vcb.red() > vcb.green()  # buying green, selling red
    # contributions: weights are shares of the day's matched value (auctions in, put-throughs out)
    values = {"HPG": 25_000_000 + 1_024_320_500 + 17_500_000 + 1_252_500 + 1_260_000_000,
              "VCB": 452_500_000 + 1_800_000_000, "FPT": 960_000_000 + 191_800_000}
    total = sum(values.values())
    hpg_row = view.contribution_model.row_of("HPG")
    assert hpg_row is not None
    assert hpg_row.weight == pytest.approx(values["HPG"] / total)
    assert hpg_row.change == pytest.approx(0.01)
    assert hpg_row.points == pytest.approx(1200.0 * values["HPG"] / total * 0.01)
    vcb_row = view.contribution_model.row_of("VCB")
    assert vcb_row is not None and vcb_row.points == pytest.approx(1200.0 * values["VCB"] / total * -0.01)
    fpt_row = view.contribution_model.row_of("FPT")
    assert fpt_row is not None and fpt_row.points is None  # no live price seen for it
    # sorted by points, biggest first; the derivation is said in the tooltips
    assert view.contributions_table.model().index(0, 0).data() == "HPG"
    assert "Approximation" in view.left_tabs.tabToolTip(2)
    assert "matched value" in view.contribution_model.headerData(3, Qt.Orientation.Horizontal,
                                                                 Qt.ItemDataRole.ToolTipRole)


def test_a_stored_days_heatmap_and_contributions_come_from_history(qrun, database_url: str, qtbot) -> None:  # type: ignore[no-untyped-def]
    stored = FlowView(symbols=SYMBOLS, today=lambda: date(2030, 1, 2))
    qtbot.addWidget(stored)

    async def scenario() -> None:
        db = await open_pool(database_url)
        try:
            await insert_day(db.pool)
            async with db.pool.acquire() as conn:
                for symbol, buy, sell, ts in (("HPG", 1, 2, at(10, 0)), ("HPG", 3, 1, at(14, 0)),  # the last counts
                                              ("VCB", 1, 5, at(14, 0))):
                    await conn.execute(
                        "INSERT INTO foreign_snapshots (symbol, f_buy_vol, f_sell_vol, f_net_vol, f_buy_val,"
                        " f_sell_val, captured_at) VALUES ($1, 0, 0, 0, $2, $3, $4)",
                        symbol, Decimal(buy * 10**9), Decimal(sell * 10**9), ts)
                for symbol, day, close in (("HPG", date(2024, 3, 4), 25_000), ("HPG", DAY, 25_250)):
                    await conn.execute("INSERT INTO daily_ohlc (symbol, date, close) VALUES ($1, $2, $3)",
                                       symbol, day, Decimal(close))
                await conn.execute(
                    "INSERT INTO basis_history (futures_symbol, futures_price, spot_value, basis, captured_at)"
                    " VALUES ('VN30F2403', 1250, 1200, 50, $1)", at(14, 30))
            await refresh_minute_bars(db.pool)
            stored.set_history(HistoryService(db.pool))
            stored.show_day(DAY)
            await wait_until(lambda: stored.source_label.text().startswith("stored"))
        finally:
            await db.close()

    qrun(scenario())
    assert stored.heatmap_model.net_value("HPG") == Decimal(2 * 10**9)
    assert stored.heatmap_model.net_value("VCB") == Decimal(-4 * 10**9)
    assert stored.heatmap_model.net_value("FPT") is None
    assert stored.index_level == 1200.0
    hpg = stored.contribution_model.row_of("HPG")
    assert hpg is not None and hpg.change == pytest.approx(0.01)
    assert hpg.weight == 1.0  # only HPG traded among the three that day
    assert hpg.points == pytest.approx(12.0)
    vcb = stored.contribution_model.row_of("VCB")
    assert vcb is not None and vcb.points is None  # no daily bars stored for it


def test_the_live_days_reference_prices_are_the_stored_previous_closes(qrun, database_url: str, qtbot) -> None:  # type: ignore[no-untyped-def]
    live = FlowView(symbols=SYMBOLS, today=lambda: DAY)
    qtbot.addWidget(live)
    live.on_value(_trade("HPG", "25250", 10, "buy", at(14, 0)))

    async def scenario() -> None:
        db = await open_pool(database_url)
        try:
            async with db.pool.acquire() as conn:
                for day, close in ((date(2024, 3, 1), 24_000), (date(2024, 3, 4), 25_000)):
                    await conn.execute("INSERT INTO daily_ohlc (symbol, date, close) VALUES ('HPG', $1, $2)",
                                       day, Decimal(close))
            live.set_history(HistoryService(db.pool))
            live.attach_live(_live_book())
            await wait_until(lambda: "HPG" in live.ref_prices)
        finally:
            await db.close()

    qrun(scenario())
    assert live.ref_prices == {"HPG": Decimal(25_000)}
    live.refresh_live()
    hpg = live.contribution_model.row_of("HPG")
    assert hpg is not None and hpg.change == pytest.approx(0.01)
    assert hpg.points is None  # no VN30 level seen yet
    assert live.contribution_label.text().startswith("VN30 level unknown")


def test_a_hidden_flow_tab_skips_the_live_refresh_and_catches_up_when_shown(qtbot) -> None:  # type: ignore[no-untyped-def]
    view = FlowView(symbols=SYMBOLS, today=lambda: DAY)
    qtbot.addWidget(view)
    book = _live_book()
    view.attach_live(book)
    before = view.model.row_of("FPT").totals  # type: ignore[union-attr]
    book.on_value(_trade("FPT", "120000", 1_000, "buy", at(14, 1)))
    view._tick()  # the 1 Hz timer while the tab sits behind another: nothing recomputed
    assert view.model.row_of("FPT").totals == before  # type: ignore[union-attr]
    view.show()
    qtbot.waitExposed(view)
    after = view.model.row_of("FPT").totals  # type: ignore[union-attr]
    assert after.buy_value == before.buy_value + Decimal(120_000_000)


def test_the_live_ticks_refresh_the_stocks_and_the_basket_in_turn(view) -> None:  # type: ignore[no-untyped-def]
    book = _live_book()
    view.attach_live(book)
    table_before = view.model.row_of("FPT").totals  # type: ignore[union-attr]
    cvd_before = [b.cvd_value for b in view.basket_bars]
    book.on_value(_trade("FPT", "120000", 1_000, "buy", at(14, 1)))
    view._tick()  # one half of the period: the stocks
    assert view.model.row_of("FPT").totals.buy_value == table_before.buy_value + Decimal(120_000_000)  # type: ignore[union-attr]
    assert [b.cvd_value for b in view.basket_bars] == cvd_before
    view._tick()  # the other half: the basket's CVD
    assert view.basket_bars[-1].cvd_value == cvd_before[-1] + Decimal(120_000_000)
