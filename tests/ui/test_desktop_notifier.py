"""The desktop channel: pop-up and sound per severity, silent in quiet hours and while snoozed,
and delivered once through the same outbox as Telegram."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from desktop_app.config import DeliverySettings
from desktop_app.domain import VIETNAM_TZ
from desktop_app.services.alert_delivery import AlertDeliveryService, ChannelState, OutgoingAlert
from desktop_app.ui.async_tasks import wait_until
from desktop_app.ui.desktop_notifier import DesktopChannel, in_quiet_hours
from tests.ui.conftest import open_pool

NIGHT = dict(quiet_start="22:00", quiet_end="07:00")


def vn(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 4, 8, hour, minute, tzinfo=VIETNAM_TZ)


@pytest.mark.parametrize("moment, quiet", [
    (vn(21, 59), False), (vn(22, 0), True), (vn(3, 0), True), (vn(6, 59), True), (vn(7, 0), False),
    (vn(12, 0), False),
])
def test_quiet_hours_span_midnight_in_vietnam_time(moment: datetime, quiet: bool) -> None:
    assert in_quiet_hours(moment, "22:00", "07:00") is quiet
    assert in_quiet_hours(moment.astimezone(timezone.utc), "22:00", "07:00") is quiet  # any zone in


def test_quiet_hours_within_a_day_and_unset() -> None:
    assert in_quiet_hours(vn(11, 45), "11:30", "13:00") and not in_quiet_hours(vn(13, 0), "11:30", "13:00")
    assert not in_quiet_hours(vn(23), None, None)


def alert(alert_id: int, severity: str) -> OutgoingAlert:
    return OutgoingAlert(alert_id, "FPT", "ceiling_hit", severity, "FPT at the ceiling", vn(10, 15), False)


def test_severity_decides_pop_up_and_sound_and_quiet_hours_or_snooze_silence_both(qrun, qtbot) -> None:  # type: ignore[no-untyped-def]
    beeps: list[int] = []
    now = [vn(10)]
    channel = DesktopChannel(DeliverySettings(**NIGHT), None, beep=lambda: beeps.append(1), clock=lambda: now[0])

    async def scenario() -> None:
        await channel.send(alert(1, "info"))
        await channel.send(alert(2, "warning"))
        await channel.send(alert(3, "critical"))
        now[0] = vn(23)
        await channel.send(alert(4, "critical"))
        now[0] = vn(10)
        channel.snooze(30)
        await channel.send(alert(5, "warning"))
        now[0] = vn(10) + timedelta(minutes=31)
        await channel.send(alert(6, "warning"))
        await channel.send(replace(alert(7, "critical"), delayed=True))  # fired while the app was closed

    qrun(scenario())
    seen = [(s.alert_id, s.popped_up, s.beeps, s.silenced) for s in channel.shown]
    assert seen == [(1, True, 0, None), (2, True, 1, None), (3, True, 2, None), (4, False, 0, "quiet hours"),
                    (5, False, 0, "snoozed"), (6, True, 1, None), (7, False, 0, "delayed")]
    assert channel.shown[0].title == "FPT · ceiling hit · 10:15:00"
    assert len(beeps) == 4


def test_desktop_alerts_come_through_the_outbox_once(qrun, qtbot, database_url: str) -> None:  # type: ignore[no-untyped-def]
    settings = DeliverySettings(retry_base_s=0.01, poll_s=0.05)
    channel = DesktopChannel(settings, None, beep=lambda: None, clock=lambda: vn(10))

    async def scenario() -> None:
        db = await open_pool(database_url)
        try:
            service = AlertDeliveryService(settings, db, [channel])
            await service.start()
            await wait_until(lambda: service.status("desktop").state is ChannelState.OK)
            for i in range(3):
                await db.pool.execute(
                    "INSERT INTO alerts (symbol, alert_type, message, severity, created_at) VALUES "
                    "('HPG', 'floor_hit', $1, 'warning', $2)", f"floor {i}", vn(10, i))
            await wait_until(lambda: len(channel.shown) == 3)
            await service.stop(wait_s=2)
        finally:
            await db.close()

    qrun(scenario())
    assert [s.text for s in channel.shown] == ["floor 0", "floor 1", "floor 2"]


def test_the_tray_shows_the_message_in_the_ui_language(qrun, qtbot, qapp) -> None:  # type: ignore[no-untyped-def]
    from desktop_app.ui.translation import CatalogueTranslator, load_catalogue

    ceiling = replace(alert(1, "warning"), message="hit ceiling 107.00 (+7.00%)")
    english = DesktopChannel(DeliverySettings(), None, beep=lambda: None, clock=lambda: vn(10))
    qrun(english.send(ceiling))
    assert english.shown[0].text == "hit ceiling 107.00 (+7.00%)"
    translator = CatalogueTranslator(load_catalogue("vi"))
    qapp.installTranslator(translator)
    try:
        vietnamese = DesktopChannel(DeliverySettings(), None, beep=lambda: None, clock=lambda: vn(10))
        qrun(vietnamese.send(ceiling))
        assert vietnamese.shown[0].text == "chạm trần 107.00 (+7.00%)"
    finally:
        qapp.removeTranslator(translator)
    assert ceiling.text().endswith("\nhit ceiling 107.00 (+7.00%)")  # what Telegram / webhooks get
