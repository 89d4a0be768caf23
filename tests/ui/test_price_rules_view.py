"""Alerts -> Rules: add, edit and delete price alerts through dialogs; the processor follows."""

from __future__ import annotations



from desktop_app.domain import PriceRuleKind
from desktop_app.processing.processor import MarketDataProcessor
from desktop_app.services.price_alert_rules import PriceAlertRuleService
from desktop_app.ui.async_tasks import wait_until
from desktop_app.ui.price_rules_view import PriceRuleDialog, PriceRulesView
from tests.processing.events import Tape
from tests.ui.conftest import open_pool


def fill(dialog: PriceRuleDialog, symbol: str, kind: PriceRuleKind, threshold: str) -> None:
    dialog.symbol.setText(symbol)
    dialog.kind.setCurrentIndex(dialog.kind.findData(kind))
    dialog.threshold.setText(threshold)


def test_rules_are_added_edited_and_deleted_and_drive_the_processor(qrun, qtbot, database_url: str) -> None:  # type: ignore[no-untyped-def]
    processor = MarketDataProcessor()

    async def scenario() -> None:
        db = await open_pool(database_url)
        try:
            service = PriceAlertRuleService(db, processor.price_alerts)
            view = PriceRulesView(service)
            qtbot.addWidget(view)
            view.show()

            dialog = view.new_rule("hpg")
            assert dialog.isVisible() and dialog.symbol.text() == "hpg"
            fill(dialog, "hpg", PriceRuleKind.PRICE_ABOVE, "28,000")
            dialog._try_accept()
            await wait_until(lambda: view.model.rowCount() == 1)
            assert view.model.index(0, 0).data() == "HPG"
            assert view.model.index(0, 2).data() == "28,000"

            bad = view.new_rule("FPT")
            fill(bad, "FPT", PriceRuleKind.CHANGE_PCT, "0")
            bad._try_accept()
            assert bad.isVisible() and "between -100 and 100" in bad.error.text()
            bad.reject()

            view.table.selectRow(0)
            edit = view.edit_selected()
            assert edit is not None and edit.threshold.text() == "28000"
            edit.threshold.setText("29000")
            edit._try_accept()
            await wait_until(lambda: view.model.index(0, 2).data() == "29,000")
            fired = []
            processor.subscribe(lambda v: fired.append(getattr(v, "alert_type", None)))
            processor.process(Tape("HPG", ref="27000", ceiling="28800", floor="25200").trade("29000"))
            assert "price_above" in fired

            view.table.selectRow(0)
            view.delete_selected()
            await wait_until(lambda: view.model.rowCount() == 0)
            assert processor.price_alerts.rules == ()
            assert await db.pool.fetchval("SELECT count(*) FROM price_alert_rules") == 0
        finally:
            await db.close()

    qrun(scenario())
