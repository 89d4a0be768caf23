"""The Review tab as a trader uses it: it loads on open, reads dd/mm/yyyy, sizes its columns,
exports exactly what it shows (Excel-readable), and the acknowledge dialog names its alert."""

from __future__ import annotations

import csv
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from desktop_app.domain import VIETNAM_TZ, Alert, Severity
from desktop_app.services.history import HistoryService
from desktop_app.ui.alerts_view import CSV_HEADER, AlertsView
from desktop_app.ui.async_tasks import wait_until
from tests.ui.conftest import open_pool

BASE = datetime(2026, 12, 2, 9, 15, 7, tzinfo=VIETNAM_TZ)
ROWS = [
    ("FPT", "foreign_surge", "FPT foreign net buying 1,200,000 shares in 10 min", "warning", BASE),
    ("VNM", "ceiling_hit", "VNM hit ceiling 74,800 at 10:02:11", "info", BASE + timedelta(minutes=47)),
    ("FPT", "block_trade", "FPT block trade 500,000 sh at 125,600", "info", BASE + timedelta(hours=2)),
]
DATE_TIME = re.compile(r"^\d\d/\d\d/\d{4} \d\d:\d\d:\d\d$")


@pytest.fixture
def view(qtbot):  # type: ignore[no-untyped-def]
    widget = AlertsView()
    widget.resize(900, 400)
    qtbot.addWidget(widget)
    widget.show()
    return widget


async def seeded(database_url: str, rows=ROWS):  # type: ignore[no-untyped-def]
    db = await open_pool(database_url)
    await db.pool.executemany(
        "INSERT INTO alerts (symbol, alert_type, message, severity, created_at) VALUES ($1, $2, $3, $4, $5)", rows,
    )
    return db


def shown(view: AlertsView) -> list[list[str]]:
    model = view.review_model
    return [[model.data(model.index(r, c)) for c in range(model.columnCount())] for r in range(model.rowCount())]


def test_rows_are_there_on_open_and_reopening_the_tab_shows_new_ones(qrun, database_url: str, view: AlertsView) -> None:  # type: ignore[no-untyped-def]
    model = view.review_model

    async def scenario() -> None:
        db = await seeded(database_url)
        try:
            view.set_history(HistoryService(db.pool))  # what the window does when the database is up: no Apply pressed
            await wait_until(lambda: model.rowCount() == len(ROWS))
            assert view.count_label.text() == f"{len(ROWS)} alerts"
            await db.pool.execute(
                "INSERT INTO alerts (symbol, alert_type, message, severity, created_at) "
                "VALUES ('HPG', 'floor_hit', 'HPG hit floor', 'warning', $1)", BASE + timedelta(hours=3))
            view.tabs.setCurrentIndex(0)
            view.tabs.setCurrentIndex(view.review_tab)  # the trader opens the Review tab
            await wait_until(lambda: model.rowCount() == len(ROWS) + 1)
            assert view.count_label.text() == f"{len(ROWS) + 1} alerts"
            # while the Review tab is open and idle, alerts firing now reach it too
            fired = BASE + timedelta(hours=5)
            await db.pool.execute(
                "INSERT INTO alerts (symbol, alert_type, message, severity, created_at) "
                "VALUES ('SSI', 'block_trade', 'SSI block trade', 'info', $1)", fired)
            view.on_live_alerts([Alert("SSI", "block_trade", "SSI block trade", Severity.INFO, fired)])
            await wait_until(lambda: model.rowCount() == len(ROWS) + 2)
            assert model.rows[0].symbol == "SSI"
        finally:
            await db.close()

    qrun(scenario())


def test_dates_read_dd_mm_yyyy_and_columns_fit_their_text_after_filtering(qrun, database_url: str, view: AlertsView) -> None:  # type: ignore[no-untyped-def]
    model = view.review_model

    async def scenario() -> None:
        db = await seeded(database_url)
        try:
            view.set_history(HistoryService(db.pool))
            await wait_until(lambda: model.rowCount() == len(ROWS))
            view.symbol_edit.setText("VNM")
            view.apply_filter()
            await wait_until(lambda: model.rowCount() == 1)
        finally:
            await db.close()

    qrun(scenario())
    assert shown(view)[0][0] == "02/12/2026 10:02:07"  # Vietnam time, dd/mm/yyyy HH:MM:SS
    assert all(DATE_TIME.match(row[0]) for row in shown(view))
    for edit in (view.from_edit, view.to_edit):
        assert edit.displayFormat() == "dd/MM/yyyy" and re.match(r"^\d\d/\d\d/\d{4}$", edit.text())
    metrics = view.table.fontMetrics()
    for col in range(4):  # time, symbol, type, severity: never elided ("2026-12…", "flo…")
        text = model.data(model.index(0, col))
        assert view.table.columnWidth(col) >= metrics.horizontalAdvance(text), (col, text)


def test_csv_export_is_the_table_with_a_bom_even_when_the_database_moved_on(qrun, database_url: str, view: AlertsView, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    model = view.review_model
    path = tmp_path / "alerts.csv"

    async def scenario() -> None:
        db = await seeded(database_url)
        try:
            view.symbol_edit.setText("FPT")
            view.set_history(HistoryService(db.pool))
            await wait_until(lambda: model.rowCount() == 2)
            view.table.selectRow(0)
            await view.acknowledge_selected("Đã xem")
            # an alert stored after the table was filled: the export must not pick it up
            await db.pool.execute(
                "INSERT INTO alerts (symbol, alert_type, message, severity, created_at) "
                "VALUES ('FPT', 'floor_hit', 'FPT hit floor', 'warning', $1)", BASE + timedelta(hours=4))
            dialog = view._ask_export()
            assert dialog is not None and dialog.isVisible()  # opened with open(): no nested loop
            dialog.close()
            assert await view.export_csv(path) == model.rowCount() == 2
        finally:
            await db.close()

    qrun(scenario())
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert tuple(rows[0]) == CSV_HEADER
    table = shown(view)
    assert len(rows) - 1 == len(table)
    for exported, row in zip(rows[1:], table):
        record = dict(zip(CSV_HEADER, exported))
        assert [record["symbol"], record["alert_type"], record["severity"], record["message"], record["note"]] == \
            [row[1], row[2], row[3], row[4], row[6]]
        assert datetime.fromisoformat(record["created_at_vietnam"]).strftime("%d/%m/%Y %H:%M:%S") == row[0]
    assert "Đã xem" in raw.decode("utf-8-sig")


def test_acknowledge_dialog_names_its_alert_and_acknowledges_that_one(qrun, qtbot, database_url: str, view: AlertsView) -> None:  # type: ignore[no-untyped-def]
    model = view.review_model

    async def scenario() -> None:
        db = await seeded(database_url)
        try:
            view.set_history(HistoryService(db.pool))
            await wait_until(lambda: model.rowCount() == len(ROWS))
            view.table.selectRow(1)
            target = model.rows[1]
            dialog = view._ask_acknowledge()
            assert dialog is not None and dialog.isVisible()
            assert target.symbol in dialog.windowTitle()
            label = dialog.summary.text()
            assert target.symbol in label and target.alert_type in label and target.message in label
            assert model.data(model.index(1, 0)) in label  # its time, as the table shows it
            assert dialog.width() >= dialog.fontMetrics().horizontalAdvance(dialog.windowTitle()) + 120
            view.table.selectRow(0)  # the selection moves while the dialog is open
            dialog.note_edit.setText("  Đã xem  ")
            dialog.accept()
            await wait_until(lambda: model.rows[1].note == "Đã xem")
            assert model.rows[0].acknowledged_at is None
            stored = await db.pool.fetchval("SELECT note FROM alerts WHERE id = $1", target.id)
            assert stored == "Đã xem"
        finally:
            await db.close()

    qrun(scenario())


def test_no_modal_loops_in_the_ui_code() -> None:
    """Every dialog opens with open() + signals: under qasync a nested loop would stall the app."""
    root = Path(__file__).resolve().parents[2] / "desktop_app" / "ui"
    banned = re.compile(r"\.exec\(\)|\bexec_\(|QInputDialog\.get|QFileDialog\.get|"
                        r"QMessageBox\.(warning|critical|information|question|about)\(")
    offenders = [f"{p.relative_to(root)}:{n}" for p in root.rglob("*.py")
                 for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if banned.search(line)]
    assert offenders == []
