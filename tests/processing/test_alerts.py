"""Each alert rule fires once, is held back by the 5-minute market-time cooldown, then fires again."""

from __future__ import annotations

from datetime import timezone

from desktop_app.config import AlertThresholds
from desktop_app.domain import Alert, ClassifiedTrade, Severity, Side, Trade, TradingSession
from desktop_app.processing.alerts import AlertRule
from desktop_app.processing.processor import MarketDataProcessor

from .events import Tape, at, foreign, futures_trade, vn30


def alerts_of(*events, processor: MarketDataProcessor | None = None) -> list[Alert]:
    processor = processor or MarketDataProcessor()
    out: list = []
    processor.subscribe(out.append)
    processor.process_all(events)
    return [v for v in out if isinstance(v, Alert)]


def fired(alerts: list[Alert], alert_type: str) -> list[str]:
    """Vietnam clock times at which ``alert_type`` fired."""
    return [a.timestamp.astimezone(at("00:00:00").tzinfo).strftime("%H:%M:%S") for a in alerts if a.alert_type == alert_type]


# --------------------------------------------------------------------------- ceiling / floor


def test_ceiling_hit_fires_when_the_limit_is_reached_not_while_it_sits_there() -> None:
    t = Tape(ref="100000", ceiling="107000", floor="93000")
    alerts = alerts_of(
        t.trade(106_900, clock="10:00:00"),
        t.trade(107_000, clock="10:42:05"),  # reaches the ceiling: fires
        t.trade(105_900, clock="10:43:00"),  # 1 % below: the episode ends
        t.trade(107_000, clock="10:44:00"),  # back within the 5-minute cooldown: silent
        t.trade(107_000, clock="10:49:05"),  # parked at the ceiling, cooldown over: still silent
        t.trade(106_900, clock="10:50:00"),  # a tick below, as sellers hit the queue: same episode
        t.trade(107_000, clock="10:51:00"),  # still silent
        t.trade(105_500, clock="10:55:00"),  # leaves for real
        t.trade(107_000, clock="10:56:00"),  # back after the cooldown: a new episode fires
    )
    assert fired(alerts, "ceiling_hit") == ["10:42:05", "10:56:00"]
    first = alerts[0]
    assert first.symbol == "FPT"
    assert first.severity is Severity.WARNING
    assert first.message == "hit ceiling 107.00 (+7.00%)"  # shown after the symbol: "FPT hit ceiling…"
    assert first.timestamp == at("10:42:05")


def test_floor_hit_message_and_severity() -> None:
    t = Tape()
    (alert,) = alerts_of(t.trade(93_000, clock="13:05:09"))
    assert (alert.alert_type, alert.severity, alert.message) == ("floor_hit", Severity.WARNING, "hit floor 93.00 (-7.00%)")


def test_auction_prints_at_the_limit_do_not_fire() -> None:
    t = Tape()
    alerts = alerts_of(
        t.trade(107_000, clock="09:10:00", session=TradingSession.ATO),
        t.trade(93_000, clock="14:45:00", session=TradingSession.ATC),
        t.trade(107_000, clock="14:50:00", session=TradingSession.PUT_THROUGH),
    )
    assert fired(alerts, "ceiling_hit") == fired(alerts, "floor_hit") == []


def test_messages_show_vietnam_time_whatever_zone_the_timestamp_is_in() -> None:
    t = Tape(ceiling=None, floor=None)
    utc_time = at("10:42:05").astimezone(timezone.utc)  # 03:42:05Z
    (alert,) = alerts_of(t.trade(40_000, 200_000, time=utc_time, side=Side.BUY))
    assert alert.message == "active buying 100% of 200,000 classified shares in the 5 min to 10:42:05"


def test_cooldown_is_per_symbol_and_type() -> None:
    fpt, vnm = Tape("FPT"), Tape("VNM", ref="60000", ceiling="64200", floor="55800")
    alerts = alerts_of(
        fpt.trade(107_000, clock="10:00:00"),
        vnm.trade(64_200, clock="10:00:01"),
        fpt.trade(93_000, clock="10:00:02"),
    )
    assert [(a.symbol, a.alert_type) for a in alerts] == [("FPT", "ceiling_hit"), ("VNM", "ceiling_hit"), ("FPT", "floor_hit")]


# --------------------------------------------------------------------------- block trade


def test_block_trade_fires_at_ten_billion_vnd_and_not_below() -> None:
    t = Tape(ref="100000", ceiling=None, floor=None)
    alerts = alerts_of(
        t.trade(100_000, 99_900, clock="10:00:00", side=Side.BUY),  # 9.99 bn
        t.trade(100_000, 100_000, clock="10:00:01", side=Side.BUY),  # exactly 10 bn
        t.trade(100_000, 150_000, clock="10:04:00", side=Side.SELL),  # cooling down
        t.trade(100_000, 150_000, clock="10:05:01", side=Side.SELL),
    )
    assert fired(alerts, "block_trade") == ["10:00:01", "10:05:01"]
    assert alerts[0].severity is Severity.INFO
    assert alerts[0].message == "block trade 100,000 shares at 100.00 = 10.00 bn VND (active buy)"
    assert "(active sell)" in alerts[1].message


def test_block_trade_ignores_futures_whose_value_is_in_points() -> None:
    alerts = alerts_of(futures_trade("VN30F2604", "1300.0", volume=10_000_000, total_volume=10_000_000))
    assert fired(alerts, "block_trade") == []


def test_block_trade_skips_auction_matches_but_not_put_throughs() -> None:
    t = Tape(ref="100000", ceiling=None, floor=None)
    alerts = alerts_of(
        t.trade(100_000, 200_000, clock="09:15:00", session=TradingSession.ATO),
        t.trade(100_000, 200_000, clock="14:45:00", session=TradingSession.ATC),
        t.trade(100_000, 200_000, clock="14:50:00", session=TradingSession.PUT_THROUGH),
    )
    assert fired(alerts, "block_trade") == ["14:50:00"]
    assert "(put-through)" in alerts[0].message


def test_block_trade_threshold_is_configurable() -> None:
    t = Tape(ceiling=None, floor=None)
    processor = MarketDataProcessor(AlertThresholds(block_trade_value_vnd=1_000_000_000))
    alerts = alerts_of(t.trade(100_000, 10_000), processor=processor)
    assert fired(alerts, "block_trade") == ["10:00:00"]


# --------------------------------------------------------------------------- foreign surge


def test_foreign_surge_fires_on_net_buying_of_half_a_million_shares_in_five_minutes() -> None:
    alerts = alerts_of(
        foreign(1_000_000, 200_000, clock="10:00:00"),
        foreign(1_300_000, 200_000, clock="10:02:00"),  # +300,000 net
        foreign(1_499_999, 200_000, clock="10:04:00"),  # +499,999 net: not yet
        foreign(1_500_000, 200_000, clock="10:04:30"),  # +500,000: fires
        foreign(2_100_000, 200_000, clock="10:06:00"),  # the surge goes on
        foreign(2_700_000, 200_000, clock="10:09:30"),  # window 10:04:30-10:09:30 +1.2M: still the same surge
    )
    assert fired(alerts, "foreign_surge") == ["10:04:30"]
    assert alerts[0].severity is Severity.WARNING
    assert alerts[0].message == "foreign net bought 500,000 shares in the 5 min to 10:04:30"


def test_foreign_surge_fires_on_net_selling_too() -> None:
    alerts = alerts_of(foreign(0, 0, clock="10:00:00"), foreign(100_000, 700_000, clock="10:03:00"))
    assert [a.message for a in alerts] == ["foreign net sold 600,000 shares in the 5 min to 10:03:00"]


def test_balanced_foreign_flow_does_not_fire() -> None:
    alerts = alerts_of(foreign(0, 0, clock="10:00:00"), foreign(900_000, 800_000, clock="10:03:00"))
    assert alerts == []


def test_volume_older_than_the_window_does_not_count() -> None:
    alerts = alerts_of(
        foreign(0, 0, clock="10:00:00"),
        foreign(400_000, 0, clock="10:01:00"),
        foreign(800_000, 0, clock="10:07:00"),  # window 10:02-10:07: +400,000 only
    )
    assert alerts == []


# --------------------------------------------------------------------------- basis


def test_basis_flip_fires_on_sign_change_then_cools_down() -> None:
    alerts = alerts_of(
        vn30("1280.0", clock="10:00:00"),
        futures_trade("VN30F2604", "1282.0", clock="10:00:01", total_volume=1),  # premium: no flip yet
        futures_trade("VN30F2604", "1278.5", clock="10:00:02", total_volume=2),  # -> discount
        futures_trade("VN30F2604", "1280.0", clock="10:00:03", total_volume=3),  # zero: no side
        futures_trade("VN30F2604", "1281.0", clock="10:00:04", total_volume=4),  # -> premium, cooling
        futures_trade("VN30F2604", "1279.0", clock="10:05:02", total_volume=5),  # -> discount, fires
    )
    assert fired(alerts, "basis_flip") == ["10:00:02", "10:05:02"]
    first = alerts[0]
    assert (first.symbol, first.severity) == ("VN30F2604", Severity.INFO)
    assert first.message == "basis flipped to discount -1.50 points (futures 1,278.50 vs VN30 1,280.00)"


def test_basis_extreme_fires_at_fifteen_points_either_way() -> None:
    alerts = alerts_of(
        vn30("1280.0", clock="10:00:00"),
        futures_trade("VN30F2604", "1294.9", clock="10:00:01", total_volume=1),  # 14.9
        futures_trade("VN30F2604", "1295.0", clock="10:00:02", total_volume=2),  # 15.0: fires
        futures_trade("VN30F2604", "1300.0", clock="10:01:00", total_volume=3),  # cooling down
        vn30("1316.0", clock="10:06:00"),  # -16.0 five minutes on: fires (and flips)
    )
    assert fired(alerts, "basis_extreme") == ["10:00:02", "10:06:00"]
    assert alerts[0].severity is Severity.WARNING
    assert alerts[0].message == "basis +15.00 points (premium) (futures 1,295.00 vs VN30 1,280.00)"
    assert fired(alerts, "basis_flip") == ["10:06:00"]


# --------------------------------------------------------------------------- active imbalance


def test_active_imbalance_needs_enough_classified_volume_and_a_dominant_side() -> None:
    t = Tape(ceiling=None, floor=None)
    alerts = alerts_of(
        t.trade(100_000, 150_000, clock="10:00:00", side=Side.BUY),
        t.trade(100_000, 40_000, clock="10:00:10", side=Side.SELL),  # 190,000 classified: too few
        t.trade(100_000, 500_000, clock="10:00:20", session=TradingSession.PUT_THROUGH),  # not classified
        t.trade(100_000, 10_000, clock="10:00:30", side=Side.BUY),  # 200,000, buy share 80%: fires
        t.trade(100_000, 10_000, clock="10:01:00", side=Side.BUY),  # the imbalance goes on
    )
    assert fired(alerts, "active_imbalance") == ["10:00:30"]
    alert = next(a for a in alerts if a.alert_type == "active_imbalance")
    assert alert.severity is Severity.INFO
    assert alert.message == "active buying 80% of 200,000 classified shares in the 5 min to 10:00:30"


def test_active_imbalance_on_selling_and_window_expiry() -> None:
    t = Tape(ceiling=None, floor=None)
    alerts = alerts_of(
        t.trade(100_000, 100_000, clock="10:00:00", side=Side.BUY),
        t.trade(100_000, 100_000, clock="10:01:00", side=Side.SELL),  # 50/50
        t.trade(100_000, 250_000, clock="10:05:30", side=Side.SELL),  # the 10:00 buy left the window
    )
    assert fired(alerts, "active_imbalance") == ["10:05:30"]
    assert alerts[-1].message.startswith("active selling 100% of 350,000 classified shares")


# --------------------------------------------------------------------------- extension


class SingleLotRule(AlertRule):
    """A rule written by a user: one class, one hook."""

    def on_trade(self, trade: Trade, classified: ClassifiedTrade) -> Alert | None:
        if trade.volume != 100:
            return None
        return Alert(trade.symbol, "odd_lot", f"{trade.symbol} one lot", Severity.INFO, trade.timestamp)


def test_a_new_rule_is_one_class_and_gets_the_cooldown_for_free() -> None:
    t = Tape()
    processor = MarketDataProcessor(rules=[SingleLotRule()])
    alerts = alerts_of(t.trade(100_000, 100, clock="10:00:00"), t.trade(100_000, 100, clock="10:01:00"), processor=processor)
    assert [a.alert_type for a in alerts] == ["odd_lot"]
    assert processor.counters.alerts == 1
