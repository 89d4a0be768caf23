"""Alerts a trader keeps switched on: a dead band on basis flips, state alerts once per state,
messages that read after the symbol in board numbers and Vietnam time, thresholds in Settings."""

from __future__ import annotations

import math
import re
from datetime import timedelta
from decimal import Decimal

import pytest

from desktop_app.config import AlertThresholds, Settings
from desktop_app.domain import AlertType, Side
from desktop_app.errors import ConfigurationError
from desktop_app.processing.processor import MarketDataProcessor

from .events import Tape, at, foreign, futures_trade, vn30
from .test_alerts import alerts_of, fired


def basis_walk(*bases: str, start: str = "10:00:00", step_s: int = 1) -> list:
    """VN30 fixed at 1,280.00 and one front-month print per second at 1,280 + basis."""
    events: list = [vn30("1280.0", clock=start)]
    t0 = at(start)
    for i, basis in enumerate(bases, start=1):
        moment = t0 + timedelta(seconds=i * step_s)
        trade = futures_trade("VN30F2604", str(Decimal("1280.0") + Decimal(basis)), total_volume=i)
        events.append(type(trade)(**{**{f: getattr(trade, f) for f in trade.__slots__}, "timestamp": moment}))
    return events


# --------------------------------------------------------------------------- basis_flip dead band


def test_small_moves_around_zero_never_fire_a_flip() -> None:
    """The defect users met: 0.01-0.38 point wiggles across zero fired basis_flip every 5 min."""
    wiggle = ["0.2", "-0.1", "0.38", "-0.38", "0.01", "-0.01", "0.3", "-0.2"] * 40  # 320 s of noise
    alerts = alerts_of(*basis_walk("0.6", *wiggle, step_s=2))
    assert fired(alerts, "basis_flip") == []


def test_a_real_crossing_of_the_dead_band_fires_once_each_way() -> None:
    walk = ["0.6", "0.1", "-0.3", "-0.49", "-0.5"]  # from >= +0.5 to <= -0.5: fires at -0.5
    walk += ["-0.1", "0.4", "0.49"]  # back inside the band: nothing
    walk += ["0.3", "0.5"]  # to >= +0.5: fires again (the 5-minute cooldown is over)
    alerts = alerts_of(*basis_walk(*walk, step_s=60))
    assert fired(alerts, "basis_flip") == ["10:05:00", "10:10:00"]
    assert [a.message.split(" (")[0] for a in alerts] == [
        "basis flipped to discount -0.50 points",
        "basis flipped to premium +0.50 points",
    ]


def test_the_first_side_of_the_day_is_not_a_flip() -> None:
    assert fired(alerts_of(*basis_walk("-3.0", "-2.0")), "basis_flip") == []


def test_the_dead_band_is_a_setting() -> None:
    walk = ["0.6", "-0.3", "0.6", "-0.6"]
    narrow = MarketDataProcessor(AlertThresholds(basis_flip_dead_band_points=0.2, cooldown_s=0))
    wide = MarketDataProcessor(AlertThresholds(basis_flip_dead_band_points=1.0, cooldown_s=0))
    assert fired(alerts_of(*basis_walk(*walk), processor=narrow), "basis_flip") == ["10:00:02", "10:00:03", "10:00:04"]
    assert fired(alerts_of(*basis_walk(*walk), processor=wide), "basis_flip") == []


# --------------------------------------------------------------------------- state alerts


def test_active_imbalance_fires_when_it_begins_not_while_it_lasts_and_again_after_it_ends() -> None:
    t = Tape(ceiling=None, floor=None)
    events = [t.trade(20_000, 50_000, clock=f"10:{m:02d}:00", side=Side.BUY) for m in range(0, 30)]  # 30 min of buying
    # balanced flow for 6 minutes: the buy share falls under 75 %, the imbalance ends
    events += [t.trade(20_000, 50_000, clock=f"10:{m:02d}:{s:02d}", side=side)
               for m in range(30, 36) for s, side in ((0, Side.SELL), (30, Side.BUY))]
    events += [t.trade(20_000, 50_000, clock=f"10:{m:02d}:00", side=Side.BUY) for m in range(36, 50)]  # again
    alerts = alerts_of(*events)
    assert fired(alerts, "active_imbalance") == ["10:03:00", "10:39:00"]


def test_active_imbalance_hovering_at_the_threshold_does_not_flap() -> None:
    """The 5-minute buy share swings across 80 % again and again (never under 75 %): one alert."""
    t = Tape(ceiling=None, floor=None)
    start = at("10:00:00")
    events, flow = [], []
    for i in range(1_800):  # 30 minutes, one buy and one sell print a second
        buy = 8_000 + round(2_000 * math.sin(2 * math.pi * i / 600))
        moment = start + timedelta(seconds=i)
        events += [t.trade(20_000, buy, time=moment, side=Side.BUY), t.trade(20_000, 2_000, time=moment, side=Side.SELL)]
        flow.append((buy, 2_000))
    shares = []
    for i in range(300, len(flow)):
        window = flow[i - 299:i + 1]
        shares.append(sum(b for b, _ in window) / sum(b + s for b, s in window))
    crossings = sum(1 for x, y in zip(shares, shares[1:]) if (x >= 0.8) != (y >= 0.8))
    assert crossings >= 4 and min(shares) > 0.75  # hovering, never back past the exit level
    assert fired(alerts_of(*events), "active_imbalance") == ["10:00:19"]


def test_foreign_surge_fires_once_per_surge_and_again_after_it_fades() -> None:
    alerts = alerts_of(
        foreign(0, 0, clock="10:00:00"),
        foreign(600_000, 0, clock="10:02:00"),  # window net +600k: begins
        foreign(1_200_000, 0, clock="10:06:00"),  # +1.2M: goes on
        foreign(1_500_000, 0, clock="10:10:00"),  # +900k (since 10:02): goes on
        foreign(1_550_000, 0, clock="10:20:00"),  # +50k (since 10:10): faded under 250k, over
        foreign(2_200_000, 0, clock="10:22:00"),  # +700k: a new surge
        foreign(2_200_000, 1_000_000, clock="10:30:00"),  # -1.0M (since 10:22): turned to selling
    )
    assert fired(alerts, "foreign_surge") == ["10:02:00", "10:22:00", "10:30:00"]
    assert [a.message.split(" shares")[0] for a in alerts] == [
        "foreign net bought 600,000", "foreign net bought 700,000", "foreign net sold 1,000,000"
    ]


# --------------------------------------------------------------------------- messages


def test_messages_never_repeat_the_symbol_and_read_as_the_board_shows_numbers() -> None:
    fpt = Tape("FPT", ref="100000", ceiling="107000", floor="93000")
    events = [
        fpt.trade(107_000, 100, clock="10:00:00", side=Side.BUY),
        fpt.trade(106_900, 200_000, clock="10:00:01", side=Side.SELL),
        foreign(0, 0, clock="10:00:00", symbol="FPT"),
        foreign(0, 1_234_500, clock="10:03:00", symbol="FPT"),
        *basis_walk("16.2", "-0.7", start="10:10:00"),
    ]
    alerts = alerts_of(*events)
    by_type = {a.alert_type: a for a in alerts}
    assert set(by_type) >= {"ceiling_hit", "block_trade", "foreign_surge", "basis_extreme", "basis_flip",
                            "active_imbalance"}
    for a in alerts:
        assert a.symbol not in a.message, a
    assert by_type["ceiling_hit"].message == "hit ceiling 107.00 (+7.00%)"
    assert by_type["block_trade"].message == "block trade 200,000 shares at 106.90 = 21.38 bn VND (active sell)"
    assert by_type["active_imbalance"].message == (
        "active selling 100% of 200,100 classified shares in the 5 min to 10:00:01")
    assert by_type["foreign_surge"].message == "foreign net sold 1,234,500 shares in the 5 min to 10:03:00"
    assert by_type["basis_extreme"].message == "basis +16.20 points (premium) (futures 1,296.20 vs VN30 1,280.00)"
    assert by_type["basis_flip"].message == "basis flipped to discount -0.70 points (futures 1,279.30 vs VN30 1,280.00)"
    assert f"{by_type['basis_flip'].symbol} {by_type['basis_flip'].message}".count("VN30F2604") == 1


def test_alert_types_are_the_domain_enum_values() -> None:
    t = Tape()
    (alert,) = alerts_of(t.trade(107_000, clock="10:00:00"))
    assert alert.alert_type == AlertType.CEILING_HIT and type(alert.alert_type) is str
    assert f"{alert.alert_type}" == "ceiling_hit"  # shown and stored as its text


# --------------------------------------------------------------------------- settings


def test_every_threshold_is_saved_and_loaded_with_the_user_settings(tmp_path) -> None:
    import json

    (tmp_path / "settings.json").write_text(json.dumps({"alerts": {
        "basis_flip_dead_band_points": 1.5, "foreign_surge_exit_shares": 100_000, "imbalance_exit_margin": 0.1,
    }}))
    settings = Settings.load({"STOCK_TRACKER_HOME": str(tmp_path)})
    alerts = settings.alerts
    assert (alerts.basis_flip_dead_band_points, alerts.foreign_surge_exit_shares, alerts.imbalance_exit_margin) == (
        1.5, 100_000, 0.1)
    assert set(settings.saved_form()["alerts"]) == {f for f in AlertThresholds.__dataclass_fields__}


@pytest.mark.parametrize(
    "bad",
    [dict(foreign_surge_exit_shares=600_000), dict(imbalance_exit_margin=0.4), dict(basis_flip_dead_band_points=-1)],
)
def test_inconsistent_thresholds_are_refused(bad) -> None:
    with pytest.raises(ConfigurationError):
        AlertThresholds(**bad).validate()


def test_readme_alert_table_lists_every_threshold() -> None:
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Trade classification and alerts"):]
    section = section[: section.index("\n## ")]
    for name in AlertThresholds.__dataclass_fields__:
        assert f"`{name}`" in section, name
    for alert_type in AlertType:
        assert re.search(rf"`{alert_type.value}`", section), alert_type
