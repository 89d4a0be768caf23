"""The board's new columns fed the real way: SSI envelopes -> parser -> processor -> LiveStats -> model.

Depth (dư mua / dư bán), high / low / average, foreign buy / sell / net / room, Δ value and its
CVD sparkline, flashes on change, the 10-level depth panel, the column chooser and its persistence,
and the sparkline delegate's painting.
"""

from __future__ import annotations

from pathlib import Path

import orjson
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QImage, QPainter

from desktop_app.config import Settings
from desktop_app.feeds.messages import parse_envelope
from desktop_app.feeds.spec import FeedSpec
from desktop_app.processing.processor import MarketDataProcessor
from desktop_app.ui import board_format as fmt
from desktop_app.ui.depth_panel import DepthPanel
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.sparkline import SPARK_ROLE, Sparkline, SparklineDelegate, polyline
from desktop_app.ui.watchlist import (
    COLUMN_INDEX,
    DEFAULT_COLUMNS,
    FLASH_DOWN,
    FLASH_UP,
    WatchlistView,
)

DAY = "14/08/2023"


def envelope(data_type: str, content: dict) -> str:
    return orjson.dumps({"DataType": data_type, "Content": orjson.dumps(content).decode()}).decode()


def quote(symbol: str, time: str, bids: list[tuple[float, float]], asks: list[tuple[float, float]],
          exchange: str = "HOSE") -> str:
    content: dict = {"RType": "X-QUOTE", "TradingDate": DAY, "Time": time, "Exchange": exchange,
                     "Symbol": symbol, "TradingSession": "LO"}
    for i in range(1, 11):
        bp, bv = bids[i - 1] if i <= len(bids) else (0.0, 0.0)
        ap, av = asks[i - 1] if i <= len(asks) else (0.0, 0.0)
        content |= {f"BidPrice{i}": bp, f"BidVol{i}": bv, f"AskPrice{i}": ap, f"AskVol{i}": av}
    return envelope("X-QUOTE", content)


def trade(symbol: str, time: str, price: float, volume: float, total_volume: float, side: str | None,
          avg: float = 22_927.93, high: float = 23_050, low: float = 22_800) -> str:
    return envelope("X-TRADE", {
        "RType": "X-TRADE", "TradingDate": DAY, "Time": time, "Symbol": symbol, "Ceiling": 24_500.0,
        "Floor": 21_300.0, "RefPrice": 22_900.0, "AvgPrice": avg, "LastPrice": price, "LastVol": volume,
        "TotalVal": total_volume * price, "TotalVol": total_volume, "Exchange": "HOSE", "TradingSession": "LO",
        "Highest": high, "Lowest": low, "Side": side,
    })


ROOM = envelope("R", {
    "RType": "R", "TradingDate": DAY, "Time": "14:24:02", "Symbol": "ACB", "TotalRoom": 1_501_130_137.0,
    "CurrentRoom": 806_887_173.0, "BuyVol": 863_352.0, "SellVol": 825_308.0, "BuyVal": 25_123_543_200.0,
    "SellVal": 24_016_462_800.0, "Exchange": "HOSE",
})


def feed(processor: MarketDataProcessor, *envelopes: str) -> None:
    for text in envelopes:
        processor.process_all(parse_envelope(text))


def text(view: WatchlistView, symbol: str, column: str, role: int = Qt.ItemDataRole.DisplayRole):  # type: ignore[no-untyped-def]
    model = view.model
    return model.data(model.index(model.row_of(symbol), COLUMN_INDEX[column]), role)


def board(qtbot) -> tuple[WatchlistView, MarketDataProcessor]:  # type: ignore[no-untyped-def]
    view = WatchlistView(["ACB"])
    qtbot.addWidget(view)
    processor = MarketDataProcessor()
    view.attach(processor.stats)
    return view, processor


def test_depth_high_low_avg_and_foreign_columns_follow_the_feed(qtbot) -> None:  # type: ignore[no-untyped-def]
    view, processor = board(qtbot)
    feed(processor,
         quote("ACB", "14:07:52", [(22_950.0, 5_000.0), (22_900.0, 8_000.0), (22_850.0, 9_000.0)],
               [(23_000.0, 4_000.0), (23_050.0, 7_000.0), (23_100.0, 1_000.0)]),
         trade("ACB", "14:07:53", 22_950.0, 100.0, 8_797_700.0, "BU"),
         ROOM)
    view.refresh()
    expected = {"bid1": "22.95", "bid1_vol": "5,000", "bid2": "22.90", "bid2_vol": "8,000", "bid3": "22.85",
                "bid3_vol": "9,000", "ask1": "23.00", "ask1_vol": "4,000", "ask2": "23.05", "ask3": "23.10",
                "ask3_vol": "1,000", "high": "23.05", "low": "22.80", "avg": "22.93",
                "foreign_buy": "863,352", "foreign_sell": "825,308", "foreign_net": "+38,044",
                "foreign_room": "806,887,173", "total_volume": "8,797,700"}
    assert {c: text(view, "ACB", c) for c in expected} == expected
    fg = Qt.ItemDataRole.ForegroundRole
    assert text(view, "ACB", "bid1", fg) == fmt.UP_COLOR  # 22.95 above the 22.90 reference
    assert text(view, "ACB", "bid2", fg) == fmt.REFERENCE_COLOR
    assert text(view, "ACB", "bid3", fg) == fmt.DOWN_COLOR
    assert text(view, "ACB", "bid3_vol", fg) == fmt.DOWN_COLOR  # a level's volume reads in its price's colour

    # the book moves: the cells change, the moved ones flash (bid up green, ask down red), others don't
    feed(processor, quote("ACB", "14:07:55", [(23_000.0, 1_000.0), (22_950.0, 5_000.0)],
                          [(22_980.0, 2_000.0)]))
    view.refresh()
    assert (text(view, "ACB", "bid1"), text(view, "ACB", "bid1_vol")) == ("23.00", "1,000")
    assert text(view, "ACB", "bid3") == "" and text(view, "ACB", "ask2") == ""  # the book is shorter now
    bg = Qt.ItemDataRole.BackgroundRole
    assert text(view, "ACB", "bid1", bg) == FLASH_UP and text(view, "ACB", "ask1", bg) == FLASH_DOWN
    assert text(view, "ACB", "ceiling", bg) is None and text(view, "ACB", "volume", bg) is None


def test_a_flash_ends_and_repaints_only_its_row(qtbot) -> None:  # type: ignore[no-untyped-def]
    view, processor = board(qtbot)
    now = {"t": 100.0}
    view.model.clock = lambda: now["t"]
    feed(processor, trade("ACB", "10:00:00", 22_950.0, 100.0, 100.0, "BU"))
    view.refresh()
    feed(processor, trade("ACB", "10:00:01", 22_900.0, 100.0, 200.0, "SD"))
    view.refresh()
    assert view.model.flashing("ACB") == {COLUMN_INDEX["last"]: FLASH_DOWN}
    repainted: list[int] = []
    view.model.dataChanged.connect(lambda a, _b, _roles=None: repainted.append(a.row()))
    now["t"] += 0.3
    view.refresh()
    assert repainted == [] and view.model.flashing("ACB")  # still flashing, nothing changed
    now["t"] += 1.0
    view.refresh()
    assert repainted == [view.model.row_of("ACB")] and view.model.flashing("ACB") == {}
    assert text(view, "ACB", "last", Qt.ItemDataRole.BackgroundRole) is None


def test_delta_value_and_cvd_sparkline_from_active_buy_and_sell(qtbot) -> None:  # type: ignore[no-untyped-def]
    view, processor = board(qtbot)
    feed(processor,
         trade("ACB", "10:00:05", 23_000.0, 1_000.0, 1_000.0, "BU"),  # +23.0 mn
         trade("ACB", "10:00:40", 22_950.0, 400.0, 1_400.0, "SD"),  # -9.18 mn
         trade("ACB", "10:01:10", 22_900.0, 2_000.0, 3_400.0, "SD"),  # -45.8 mn, a new minute
         trade("ACB", "10:03:00", 23_050.0, 100_000.0, 103_400.0, "BU"))  # +2,305 mn
    view.refresh()
    s = view.model.stats_of("ACB")
    assert s is not None
    assert s.delta_value == 23_000_000 - 9_180_000 - 45_800_000 + 2_305_000_000
    assert text(view, "ACB", "delta_value") == "+2.27"
    assert text(view, "ACB", "delta_value", Qt.ItemDataRole.ForegroundRole) == fmt.UP_COLOR
    # one point a minute: the minute's last price; the running delta at each minute's end
    assert [float(p) for p in s.price_points] == [22_950.0, 22_900.0, 23_050.0]
    assert [float(d) for d in s.delta_points] == [13_820_000.0, -31_980_000.0, 2_273_020_000.0]
    cvd = text(view, "ACB", "cvd", SPARK_ROLE)
    assert isinstance(cvd, Sparkline) and cvd.baseline == 0 and cvd.colour() == fmt.UP_COLOR
    price = text(view, "ACB", "spark", SPARK_ROLE)
    assert isinstance(price, Sparkline) and float(price.baseline) == 22_900.0  # type: ignore[arg-type]


def test_the_depth_panel_shows_ten_levels_of_the_front_month(qtbot) -> None:  # type: ignore[no-untyped-def]
    processor = MarketDataProcessor()
    contract = "VN30F2308"
    bids = [(1_230.0 - i, 10.0 + i) for i in range(10)]
    asks = [(1_231.0 + i, 20.0 + i) for i in range(10)]
    feed(processor, quote(contract, "10:00:00", bids, asks, exchange="DERIVATIVES"),
         quote("ACB", "10:00:00", [(22_950.0, 5_000.0)], [(23_000.0, 4_000.0)]))
    panel = DepthPanel()
    qtbot.addWidget(panel)
    panel.attach(processor.stats, lambda: contract)
    panel.show_symbol("ACB")
    model = panel.model
    assert [model.index(0, c).data() for c in range(4)] == ["5,000", "22.95", "23.00", "4,000"]
    assert model.index(1, 1).data() is None  # HOSE: the levels it sent, no fake zeros
    panel.futures_box.setChecked(True)
    assert panel.title.text() == f"Depth — {contract}"
    rows = [[model.index(r, c).data() for c in range(4)] for r in range(10)]
    assert rows[0] == ["10", "1,230.00", "1,231.00", "20"] and rows[9] == ["19", "1,221.00", "1,240.00", "29"]
    feed(processor, quote(contract, "10:00:01", [(1_229.5, 3.0)], [(1_230.5, 4.0)], exchange="DERIVATIVES"))
    panel.refresh()
    assert [model.index(0, c).data() for c in range(4)] == ["3", "1,229.50", "1,230.50", "4"]
    assert model.index(1, 0).data() is None


def test_column_chooser_shows_hides_reorders_and_persists_across_a_restart(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    first = MainWindow(Settings(home=tmp_path), FeedSpec("demo"))
    qtbot.addWidget(first)
    board_view = first.watchlist
    assert board_view.visible_columns() == list(DEFAULT_COLUMNS)
    menu = board_view.column_menu()
    actions = {a.data(): a for a in menu.actions() if a.data()}
    assert "symbol" not in actions  # the frozen symbol cannot be hidden
    assert actions["bid1"].isChecked() is False and actions["last"].isChecked() is True
    actions["bid1"].setChecked(True)
    actions["foreign_room"].setChecked(True)
    actions["ceiling"].setChecked(False)
    header = board_view.table.horizontalHeader()
    header.moveSection(header.visualIndex(COLUMN_INDEX["foreign_room"]), 1)  # dragged next to the symbol
    header.moveSection(header.visualIndex(COLUMN_INDEX["pct"]), 0)  # the symbol stays first
    shown = board_view.visible_columns()
    assert shown[0] == "symbol" and "ceiling" not in shown and {"bid1", "foreign_room"} <= set(shown)
    assert shown.index("foreign_room") <= 2
    first.save_layout()

    again = MainWindow(Settings(home=tmp_path), FeedSpec("demo"))
    qtbot.addWidget(again)
    assert again.watchlist.visible_columns() == shown
    assert again.watchlist.table.isColumnHidden(COLUMN_INDEX["ceiling"])
    assert again.watchlist.table.columnWidth(COLUMN_INDEX["bid1"]) > 20  # a shown column has its width back
    default = next(a for a in again.watchlist.column_menu().actions() if a.text() == "Default columns")
    default.trigger()
    assert again.watchlist.visible_columns() == list(DEFAULT_COLUMNS)


def test_the_sparkline_delegate_paints_the_line_in_board_colours(qtbot) -> None:  # type: ignore[no-untyped-def]
    view, processor = board(qtbot)
    view.resize(900, 200)
    view.show()
    qtbot.waitExposed(view)
    # a day that rises through the reference: green, and the reference line drawn across
    for i, price in enumerate((22_800.0, 22_850.0, 22_900.0, 23_000.0, 23_100.0)):
        feed(processor, trade("ACB", f"10:0{i}:00", price, 100.0, 100.0 * (i + 1), "BU"))
    view.refresh()
    line = text(view, "ACB", "spark", SPARK_ROLE)
    assert isinstance(line, Sparkline) and line.colour() == fmt.UP_COLOR
    poly, base_y = polyline(line, 0.0, 0.0, 100.0, 20.0)
    assert poly.size() == 5 and poly.at(0).y() == 20.0 and poly.at(4).y() == 0.0  # low at the bottom
    assert base_y is not None and poly.at(4).y() < base_y < poly.at(0).y()

    before = SparklineDelegate.painted
    table = view.table
    index = view.proxy.index(0, COLUMN_INDEX["spark"])
    rect = table.visualRect(index)
    image = QImage(table.viewport().size(), QImage.Format.Format_RGB32)
    image.fill(QColor("#000000"))
    painter = QPainter(image)
    table.viewport().render(painter, QPoint(0, 0))
    painter.end()
    assert SparklineDelegate.painted > before
    greens = sum(1 for x in range(rect.left(), rect.right()) for y in range(rect.top(), rect.bottom())
                 if (c := image.pixelColor(x, y)).green() > 150 and c.red() < 120)
    assert greens >= 5  # the line is drawn, in the up colour
