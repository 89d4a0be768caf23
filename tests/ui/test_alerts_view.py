"""Alert review against the real alerts table: paging, filters, acknowledge, CSV export."""

from __future__ import annotations

import csv
from datetime import datetime, timedelta

import pytest
from PySide6.QtCore import QDate

from desktop_app.database.repositories import alert_repository
from desktop_app.database.repositories.alert_repository import AlertFilter
from desktop_app.domain import VIETNAM_TZ, Alert, Severity
from desktop_app.services.history import HistoryService
from desktop_app.ui.alerts_view import PAGE_SIZE, AlertsView
from desktop_app.ui.async_tasks import wait_until
from tests.ui.conftest import open_pool

BASE = datetime(2024, 5, 6, 9, 15, tzinfo=VIETNAM_TZ)
TYPES = ("ceiling_hit", "block_trade", "foreign_surge")
SYMBOLS = ("FPT", "VNM", "HPG")
N = 450


def alert_rows() -> list[tuple]:
    rows = []
    for i in range(N):
        rows.append((
            SYMBOLS[i % 3], TYPES[i % 3 if i % 5 else 1], f"alert number {i}",
            "warning" if i % 2 else "info", BASE + timedelta(minutes=i * 7),
        ))
    return rows


@pytest.fixture
def view(qtbot):  # type: ignore[no-untyped-def]
    widget = AlertsView()
    widget.resize(1000, 500)
    qtbot.addWidget(widget)
    widget.show()
    return widget


async def seeded(database_url: str):  # type: ignore[no-untyped-def]
    db = await open_pool(database_url)
    await db.pool.executemany(
        "INSERT INTO alerts (symbol, alert_type, message, severity, created_at) VALUES ($1, $2, $3, $4, $5)",
        alert_rows(),
    )
    return db


def test_pages_load_lazily_and_filters_match_the_database(qrun, database_url: str, view: AlertsView) -> None:  # type: ignore[no-untyped-def]
    model = view.review_model

    async def scenario() -> None:
        db = await seeded(database_url)
        try:
            view.set_history(HistoryService(db.pool))
            await wait_until(lambda: model.total == N and len(model.rows) == PAGE_SIZE)
            assert model.canFetchMore()
            model.fetchMore()
            await wait_until(lambda: len(model.rows) == 2 * PAGE_SIZE)
            await model.load_all()
            assert len(model.rows) == N and not model.canFetchMore()
            ids = [a.id for a in model.rows]
            assert len(set(ids)) == N  # no page loaded twice
            assert model.rows[0].created_at > model.rows[-1].created_at  # newest first
            assert "Review" in [view.tabs.tabText(i) for i in range(view.tabs.count())]

            # filters: symbol + type + severity + date range
            view.symbol_edit.setText("fpt")
            view.type_combo.setCurrentIndex(view.type_combo.findData("block_trade"))
            view.severity_combo.setCurrentIndex(view.severity_combo.findData("warning"))
            view.range_check.setChecked(True)
            view.from_edit.setDate(QDate(2024, 5, 6))
            view.to_edit.setDate(QDate(2024, 5, 7))
            view.apply_filter()
            flt = AlertFilter(symbol="FPT", alert_type="block_trade", severity="warning",
                              start=datetime(2024, 5, 6, tzinfo=VIETNAM_TZ),
                              end=datetime(2024, 5, 8, tzinfo=VIETNAM_TZ))
            expected = await alert_repository.list_alerts(db.pool, flt, 1000, 0)
            assert expected  # the scenario must select something
            await wait_until(lambda: model.total == len(expected) and len(model.rows) == len(expected))
            assert [a.id for a in model.rows] == [a.id for a in expected]
            assert all(a.symbol == "FPT" and a.alert_type == "block_trade" and a.severity == "warning"
                       for a in model.rows)
            assert view.count_label.text() == f"{len(expected):,} alerts"
        finally:
            await db.close()

    qrun(scenario())


def test_acknowledge_persists_and_unacknowledged_filter_hides_it(qrun, database_url: str, view: AlertsView) -> None:  # type: ignore[no-untyped-def]
    model = view.review_model

    async def scenario() -> None:
        db = await seeded(database_url)
        try:
            view.set_history(HistoryService(db.pool))
            await wait_until(lambda: len(model.rows) == PAGE_SIZE)
            view.table.selectRow(3)
            target = model.rows[3]
            await view.acknowledge_selected("checked with the broker")
            stored = await alert_repository.list_alerts(db.pool, AlertFilter(symbol=target.symbol), 1000, 0)
            row = next(a for a in stored if a.id == target.id)
            assert row.acknowledged_at is not None and row.note == "checked with the broker"
            assert model.rows[3].note == "checked with the broker"
            assert model.data(model.index(3, 6)) == "checked with the broker"

            view.unack_check.setChecked(True)
            view.apply_filter()
            await wait_until(lambda: model.total == N - 1)
            await model.load_all()
            assert target.id not in {a.id for a in model.rows}
        finally:
            await db.close()

    qrun(scenario())


def test_csv_export_has_every_matching_row_not_only_loaded_ones(qrun, database_url: str, view: AlertsView, tmp_path) -> None:  # type: ignore[no-untyped-def]
    model = view.review_model
    path = tmp_path / "alerts.csv"

    async def scenario() -> None:
        db = await seeded(database_url)
        try:
            view.symbol_edit.setText("VNM")
            view.set_history(HistoryService(db.pool))
            await wait_until(lambda: model.total == N // 3 and len(model.rows) == min(PAGE_SIZE, N // 3))
            assert await view.export_csv(path) == N // 3
        finally:
            await db.close()

    qrun(scenario())
    with path.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == N // 3
    assert {r["symbol"] for r in rows} == {"VNM"}
    expected = {r[2]: r for r in alert_rows() if r[0] == "VNM"}
    for r in rows:
        source = expected[r["message"]]
        assert r["alert_type"] == source[1] and r["severity"] == source[3]
        assert datetime.fromisoformat(r["created_at_vietnam"]) == source[4]
        assert r["created_at_vietnam"].endswith("+07:00")


def test_live_alerts_newest_first_and_double_click_opens_the_chart(qtbot, view: AlertsView) -> None:  # type: ignore[no-untyped-def]
    a1 = Alert("FPT", "ceiling_hit", "FPT hit ceiling 125,600 at 10:42:05", Severity.WARNING, BASE)
    a2 = Alert("VNM", "block_trade", "VNM block trade", Severity.INFO, BASE + timedelta(minutes=1))
    view.on_live_alerts([a1, a2])
    model = view.live_model
    assert model.rowCount() == 2
    assert "VNM block trade" in model.data(model.index(0, 0)) and "09:16:00" in model.data(model.index(0, 0))
    with qtbot.waitSignal(view.openChart) as signal:
        view._live_double_clicked(model.index(1, 0))
    assert signal.args == ["FPT", BASE]
