"""Symbols outside VN30 (an HNX stock, a non-VN30 HOSE stock, a futures contract) are recorded like
VN30's, their charts read them back through the history service, and a watchlist naming them shows
their live figures on the board."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from desktop_app.config import Settings
from desktop_app.feeds.spec import FeedSpec
from desktop_app.services.history import HistoryService
from desktop_app.services.pipeline import Pipeline
from desktop_app.ui import board_format as fmt
from desktop_app.ui.watchlist import COLUMN_INDEX, WatchlistModel

DAY = date(2026, 4, 8)
PRINTS = (  # symbol, exchange, price, ref
    ("HAG", "HOSE", 12_350, 12_000),
    ("PVS", "HNX", 33_400, 33_000),
    ("VN30F2604", "DERIVATIVES", 1_352.4, 1_350.0),
    ("ACB", "HOSE", 24_550, 24_500),
)


def tape(path: Path) -> Path:
    lines = []
    for n in range(40):
        symbol, exchange, price, ref = PRINTS[n % len(PRINTS)]
        k = n // len(PRINTS) + 1
        lines.append(json.dumps({"DataType": "X-TRADE", "Content": json.dumps({
            "RType": "X-TRADE", "TradingDate": DAY.strftime("%d/%m/%Y"), "Time": f"10:00:{n:02d}",
            "Symbol": symbol, "Exchange": exchange, "MarketId": exchange, "LastPrice": price,
            "LastVol": 100, "TotalVol": 100 * k, "TotalVal": price * 100 * k, "RefPrice": ref,
            "Ceiling": ref * 1.07, "Floor": ref * 0.93, "TradingSession": "LO", "Side": "BU",
        })}))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


async def test_every_symbol_is_recorded_charted_and_shown_when_listed(db, tmp_path: Path, qapp) -> None:  # type: ignore[no-untyped-def]
    pipeline = Pipeline(Settings(home=tmp_path / "home"), FeedSpec("replay", tape(tmp_path / "t.jsonl"), None), db)
    await pipeline.start()
    await pipeline.wait_finished()
    stats = pipeline.processor.stats
    await pipeline.stop()

    history = HistoryService(db.pool)
    for symbol, *_ in PRINTS:
        columns = await history.trade_columns_for_day(symbol, DAY)
        assert len(columns) == 10, symbol  # every print of every symbol is stored and charted

    model = WatchlistModel(("ACB",))
    model.set_symbols(["PVS", "HAG", "VN30F2604"])
    version, changed = stats.changed_since(0)
    model.apply(version, changed)
    assert model.symbols() == ("PVS", "HAG", "VN30F2604")  # ACB prints but is not in the list
    for symbol in model.symbols():
        s = stats.symbols()[symbol]
        shown = model.data(model.index(model.row_of(symbol), COLUMN_INDEX["last"]))
        assert shown == fmt.price_thousands(s.last) != ""
