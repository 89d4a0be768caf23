"""Watchlist model: one update per changed row, board colours, formatting, sorting by numbers."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from PySide6.QtCore import Qt

from desktop_app.domain import VIETNAM_TZ
from desktop_app.processing.live_stats import SymbolStats
from desktop_app.ui import board_format as fmt
from desktop_app.ui.watchlist import COLUMN_INDEX, SORT_ROLE, WatchlistModel, WatchlistView


def stats(symbol: str, last: int, ref: int = 25_000, version: int = 1, **kw) -> SymbolStats:  # type: ignore[no-untyped-def]
    values = dict(
        symbol=symbol, exchange="HOSE", version=version, last=Decimal(last), change=Decimal(last - ref),
        change_pct=(last - ref) * 100 / ref, ref_price=Decimal(ref), ceiling=Decimal(26_750),
        floor=Decimal(23_250), high=None, low=None, open=None, day_high=None, day_low=None, close=None,
        total_volume=1_234_500, total_value=Decimal(30_876_000_000), buy_volume=600, sell_volume=400,
        neutral_volume=0, auction_volume=0, put_through_volume=0, active_buy_share=0.6, best_bid=None,
        best_ask=None, foreign_buy_volume=None, foreign_sell_volume=None, foreign_net_volume=-15_000,
        foreign_buy_speed_per_min=None, foreign_sell_speed_per_min=None, foreign_room_left=None,
        last_update=datetime(2024, 3, 15, 10, 42, 5, tzinfo=VIETNAM_TZ),
        matched_volume=1_234_500, matched_value=Decimal(30_876_000_000),
    )
    values.update(kw)
    return SymbolStats(**values)  # type: ignore[arg-type]


def cell(model: WatchlistModel, symbol: str, column: str, role=Qt.ItemDataRole.DisplayRole):  # type: ignore[no-untyped-def]
    return model.data(model.index(model.row_of(symbol), COLUMN_INDEX[column]), role)


def test_board_formatting_and_colours(qtbot) -> None:  # type: ignore[no-untyped-def]
    model = WatchlistModel(["ACB", "FPT", "VNM", "HPG"])
    model.apply(4, [stats("ACB", 25_500), stats("FPT", 24_000), stats("VNM", 26_750), stats("HPG", 23_250)])
    assert cell(model, "ACB", "last") == "25.50" and cell(model, "ACB", "change") == "+0.50"
    assert cell(model, "ACB", "pct") == "+2.00%" and cell(model, "ACB", "volume") == "1,234,500"
    assert cell(model, "ACB", "value") == "30.88" and cell(model, "ACB", "buy_share") == "60.0%"
    assert cell(model, "ACB", "foreign_net") == "-15,000"
    fg = Qt.ItemDataRole.ForegroundRole
    assert cell(model, "ACB", "last", fg) == fmt.UP_COLOR
    assert cell(model, "FPT", "last", fg) == fmt.DOWN_COLOR
    assert cell(model, "VNM", "last", fg) == fmt.CEILING_COLOR
    assert cell(model, "HPG", "last", fg) == fmt.FLOOR_COLOR
    model.apply(5, [stats("ACB", 25_000, version=5)])
    assert cell(model, "ACB", "last", fg) == fmt.REFERENCE_COLOR
    assert cell(model, "ACB", "ceiling", fg) == fmt.CEILING_COLOR
    assert "10:42:05" in cell(model, "ACB", "symbol", Qt.ItemDataRole.ToolTipRole)


def test_one_update_per_changed_row_and_new_symbols_appended(qtbot) -> None:  # type: ignore[no-untyped-def]
    model = WatchlistModel(["ACB", "FPT", "VNM"])
    model.apply(1, [stats(s, 25_000) for s in ("ACB", "FPT", "VNM")])
    changes: list[tuple[int, int, int]] = []
    model.dataChanged.connect(lambda a, b, roles=None: changes.append((a.row(), a.column(), b.column())))
    # many prints of FPT between two refreshes arrive as ONE snapshot: one row's update
    model.apply(2, [stats("FPT", 25_100, version=2)])
    assert {row for row, _, _ in changes} == {1}
    assert all(b - a <= len(COLUMN_INDEX) for _, a, b in changes) and len(changes) <= 2
    # futures are not board rows; a new stock gets a row
    model.apply(3, [stats("VN30F2412", 1300, exchange="DERIVATIVES"), stats("SSI", 31_500)])
    assert model.rowCount() == 4 and model.symbol_at(3) == "SSI"
    assert model.row_of("VN30F2412") is None


def test_sorting_uses_numbers_not_text(qtbot) -> None:  # type: ignore[no-untyped-def]
    view = WatchlistView(["A", "B", "C"])
    qtbot.addWidget(view)
    view.model.apply(1, [stats("A", 25_100, matched_volume=9_000), stats("B", 25_000, matched_volume=100_000),
                         stats("C", 24_900, matched_volume=20_000)])
    view.table.sortByColumn(COLUMN_INDEX["volume"], Qt.SortOrder.DescendingOrder)
    proxy = view.proxy
    order = [proxy.data(proxy.index(r, 0)) for r in range(3)]
    assert order == ["B", "C", "A"]  # as text "9,000" > "20,000" would sort first
    assert proxy.data(proxy.index(0, COLUMN_INDEX["volume"]), SORT_ROLE) == 100_000
    with qtbot.waitSignal(view.symbolSelected) as sig:
        view.table.selectRow(1)
    assert sig.args == ["C"]
