"""Time and sales tape and the session clock, as a trader reads them."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from PySide6.QtCore import Qt

from desktop_app.domain import VIETNAM_TZ, ClassifiedTrade, TradeType
from desktop_app.market_clock import SessionPhase
from desktop_app.ui.session_clock import SessionClock
from desktop_app.ui.tape_view import TapeView

START = datetime(2026, 12, 1, 10, 0, tzinfo=VIETNAM_TZ)


def _print(i: int, symbol: str = "HPG", price: int = 26_600, volume: int = 100,
           kind: TradeType = TradeType.BUY) -> ClassifiedTrade:
    return ClassifiedTrade(symbol=symbol, price=Decimal(price), volume=volume,
                           value=Decimal(price * volume), trade_type=kind, bid_price=None,
                           ask_price=None, timestamp=START + timedelta(seconds=i), total_volume=i + 1)


def _texts(view: TapeView, row: int) -> list[str]:
    model = view.model
    return [model.data(model.index(row, c)) for c in range(model.columnCount())]


def test_tape_shows_the_symbols_prints_newest_first(qtbot) -> None:
    view = TapeView(capacity=50)
    qtbot.addWidget(view)
    view.show_symbol("HPG", [_print(0), _print(1, symbol="FPT")])
    for i in range(1, 4):
        view.add(_print(i, price=26_600 + 100 * i, kind=TradeType.SELL if i == 3 else TradeType.BUY))
    view.add(_print(5, symbol="FPT"))
    qtbot.waitUntil(lambda: view.model.rowCount() == 4)
    assert _texts(view, 0) == ["10:00:03", "26.90", "100", "2.69", "Sell"]
    assert [_texts(view, r)[0] for r in range(4)] == ["10:00:03", "10:00:02", "10:00:01", "10:00:00"]
    assert view.title.text() == "Time and sales — HPG"


def test_tape_stays_bounded_at_peak_rates(qtbot) -> None:
    view = TapeView(capacity=200)
    qtbot.addWidget(view)
    view.show_symbol("HPG")
    for burst in range(10):
        for i in range(500):  # 5,000 prints in ten flushes
            view.add(_print(burst * 500 + i))
        view.model.flush()
        assert view.model.rowCount() == 200
    assert _texts(view, 0)[0] == (START + timedelta(seconds=4_999)).strftime("%H:%M:%S")
    assert view.model.trade_at(199).total_volume == 4_801


def test_big_prints_are_highlighted_at_the_threshold(qtbot) -> None:
    view = TapeView()
    qtbot.addWidget(view)
    view.show_symbol("HPG")
    view.add(_print(0, price=25_000, volume=40_000))  # 1.0 bn VND: big
    view.add(_print(1, price=25_000, volume=39_900))  # just under
    view.model.flush()
    model = view.model
    assert model.data(model.index(1, 0), Qt.ItemDataRole.BackgroundRole) is not None
    assert model.data(model.index(0, 0), Qt.ItemDataRole.BackgroundRole) is None
    model.set_big_print_threshold(Decimal(2_000_000_000))
    assert model.data(model.index(1, 0), Qt.ItemDataRole.BackgroundRole) is None


def test_session_clock_follows_the_clock_it_is_given(qtbot) -> None:
    moments = {"t": datetime(2026, 12, 1, 8, 50, tzinfo=VIETNAM_TZ)}
    clock = SessionClock(now=lambda: moments["t"])
    qtbot.addWidget(clock)
    assert clock.phase is SessionPhase.PRE_OPEN and "Futures ATO" in clock.text()
    moments["t"] = datetime(2026, 12, 1, 14, 50, tzinfo=VIETNAM_TZ)
    clock.refresh()
    assert clock.phase is SessionPhase.PUT_THROUGH
    assert clock.text() == "HOSE Put-through · Futures Closed · 14:50:00"
    width = clock.width()
    moments["t"] = datetime(2026, 12, 1, 12, 0, tzinfo=VIETNAM_TZ)
    clock.refresh()
    assert clock.phase is SessionPhase.LUNCH and clock.width() == width
