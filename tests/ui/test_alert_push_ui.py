"""The GUI's alert push: the real window and runtime, Telegram pointed at a local Bot API server.

A wrong token stops the channel and the status bar says why in one line; "New price alert…" on
the board opens the rule dialog for that symbol; the push settings go to settings.json, never
the token.
"""

from __future__ import annotations

import json
import logging
from decimal import Decimal
from pathlib import Path

from PySide6.QtWidgets import QMenu

from desktop_app.config import DeliverySettings, Settings
from desktop_app.domain import PriceRuleKind
from desktop_app.feeds.basket import find_resource
from desktop_app.feeds.spec import FeedSpec
from desktop_app.ui.app import GuiController
from desktop_app.ui.app_runtime import AppRuntime
from desktop_app.ui.async_tasks import wait_until
from desktop_app.ui.main_window import MainWindow
from tests.push_server.server import LocalPushServer

SAMPLE = find_resource("sample_replay.jsonl")


def test_push_state_rules_from_the_board_and_push_settings(qrun, qtbot, caplog, database_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.DEBUG)
    async def scenario() -> None:
        async with LocalPushServer() as push:
            settings = Settings(
                home=tmp_path, database_url=database_url, flush_interval_s=0.2,
                telegram_bot_token="111:WRONG-secret", telegram_api_url=push.url,
                delivery=DeliverySettings(telegram_chat_id=push.chat_id, retry_base_s=0.01, poll_s=0.05,
                                          exit_wait_s=2),
            )
            feed = FeedSpec("replay", SAMPLE, speed=None)
            window = MainWindow(settings, feed)
            qtbot.addWidget(window)
            window.show()
            controller = GuiController(window, AppRuntime(settings, feed))
            controller.begin()
            await controller.started.wait()
            ui = window.alert_push
            assert [a.text() for a in ui.menu.actions()][0] == "Price alert &rules…"

            # the sample day's alerts reach Telegram with a wrong token: stopped after one answer
            await wait_until(lambda: "telegram stopped" in ui.label.text(), timeout_s=30)
            assert ui.label.text().startswith(
                "Push: telegram stopped: Telegram: HTTP 401 Unauthorized (check the bot token)")
            assert len([a for a in push.answers if a[0] == "telegram"]) == 1
            await wait_until(lambda: len(ui.desktop.shown) >= 1, timeout_s=30)  # the desktop channel

            # right-click a board row -> New price alert… for that symbol
            table = window.watchlist.table
            row_rect = table.visualRect(table.model().index(0, 0))
            ui._board_menu(row_rect.center())
            menu = table.findChildren(QMenu)[-1]
            menu.actions()[0].trigger()
            dialog = ui.rules_view.dialog
            symbol = dialog.symbol.text()
            assert ui.rules_view.isVisible() and symbol == window.watchlist.model.symbol_at(
                window.watchlist.proxy.mapToSource(table.model().index(0, 0)).row())
            dialog.kind.setCurrentIndex(dialog.kind.findData(PriceRuleKind.CHANGE_PCT))
            dialog.threshold.setText("-3")
            dialog._try_accept()
            await wait_until(lambda: ui.rules_view.model.rowCount() == 1)
            assert [(r.symbol, r.kind) for r in window.pipeline.processor.price_alerts.rules] == [
                (symbol, PriceRuleKind.CHANGE_PCT)]

            # the intraday price pane's right-click entry opens the same dialog, prefilled
            chart = window.charts.intraday
            chart.set_context_price(25_040.0)  # snapped to the HOSE grid: 25,050
            last = float(chart._matched.price[-1]) if len(chart._matched) else None
            chart.alert_action.trigger()
            dialog = ui.rules_view.dialog
            assert dialog.isVisible() and dialog.symbol.text() == window.charts.symbol
            assert dialog.threshold.text() == "25050"
            below = last is not None and 25_050 < last  # under the last price: "at or below"
            assert dialog.kind.currentData() == (PriceRuleKind.PRICE_BELOW if below else PriceRuleKind.PRICE_ABOVE)
            dialog.reject()
            dialog = ui.chart_price_alert("HPG", Decimal(25_050), 25_100.0)  # under the last price
            assert (dialog.kind.currentData(), dialog.threshold.text()) == (PriceRuleKind.PRICE_BELOW, "25050")
            dialog.reject()

            # push settings: quiet hours and routing saved, the token only to the keyring
            settings_dialog = ui.open_push_settings()
            assert "HTTP 401 Unauthorized" in settings_dialog.status_label.text()
            settings_dialog.quiet_start.setText("22:00")
            settings_dialog.quiet_end.setText("07:00")
            settings_dialog.routes["webhook"][1]["info"].setChecked(False)
            settings_dialog.token.setText("222:ANOTHER-secret")
            settings_dialog._save()
            saved = (tmp_path / "settings.json").read_text(encoding="utf-8")
            assert "secret" not in saved.lower()
            delivery = json.loads(saved)["delivery"]
            assert delivery["quiet_start"] == "22:00"
            assert delivery["routes"]["webhook"]["severities"] == ["warning", "critical"]
            assert ui.desktop.settings.quiet_end == "07:00"

            controller.request_close()
            await controller.closed.wait()
        assert "HTTP 401" in caplog.text
        assert "WRONG-secret" not in caplog.text and "ANOTHER-secret" not in caplog.text

    qrun(scenario(), timeout=120)
