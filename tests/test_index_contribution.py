"""Contributions to the VN30 move from derived (matched-value) weights, worked out by hand."""

from __future__ import annotations

from decimal import Decimal

import pytest

from desktop_app.index_contribution import StockMove, contributions, value_weights

MOVES = [
    StockMove("AAA", Decimal(10_000), Decimal(10_200), Decimal(300)),  # +2 %, weight 0.3
    StockMove("BBB", Decimal(50_000), Decimal(49_000), Decimal(600)),  # -2 %, weight 0.6
    StockMove("CCC", None, Decimal(20_000), Decimal(100)),  # no reference: no change, weight 0.1
]


def test_weights_are_each_stocks_share_of_the_matched_value() -> None:
    assert value_weights(MOVES) == pytest.approx({"AAA": 0.3, "BBB": 0.6, "CCC": 0.1})
    assert value_weights([StockMove("AAA", None, None, Decimal(0))]) == {"AAA": 0.0}


def test_points_are_level_times_weight_times_change() -> None:
    rows = contributions(MOVES, 1000.0)
    assert [r.symbol for r in rows] == ["AAA", "BBB", "CCC"]
    assert rows[0].change == pytest.approx(0.02) and rows[0].points == pytest.approx(6.0)  # 1000 × 0.3 × 2 %
    assert rows[1].change == pytest.approx(-0.02) and rows[1].points == pytest.approx(-12.0)
    assert rows[2].change is None and rows[2].points is None
    assert [r.points for r in contributions(MOVES, None)] == [None, None, None]  # no VN30 level known
