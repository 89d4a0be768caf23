"""Backfill dialog against the local SSI server (real REST protocol) and a real database."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from PySide6.QtCore import QDate, QTimer

from desktop_app.config import Settings
from desktop_app.feeds.ssi_rest import SsiRestClient
from desktop_app.services.backfill import BackfillService
from desktop_app.ui.backfill_dialog import BackfillDialog, CredentialsDialog
from desktop_app.ui.credentials import CredentialStore
from tests.support.ssi_server import LocalSsiServer, sample_daily_rows
from tests.ui.conftest import open_pool

START = date(2023, 1, 1)
END = date(2023, 4, 30)
SYMBOLS = ("FPT", "VNM", "HPG")


def make_dialog(qtbot, server: LocalSsiServer, pool, tmp_path: Path) -> BackfillDialog:  # type: ignore[no-untyped-def]
    settings = Settings(home=tmp_path, ssi_consumer_id=server.consumer_id,
                        ssi_consumer_secret=server.consumer_secret)

    def factory(creds):  # type: ignore[no-untyped-def]
        return BackfillService(
            pool,
            lambda: SsiRestClient(server.data_url, creds.consumer_id, creds.consumer_secret, pace_s=0,
                                  max_retries=1, backoff_base_s=0.01, backoff_max_s=0.02),
            progress_path=tmp_path / "progress.json", page_size=10, batch_rows=20,
        )

    dialog = BackfillDialog(factory, CredentialStore(settings))
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.list_radio.setChecked(True)
    dialog.symbols_edit.setText(", ".join(SYMBOLS))
    dialog.from_edit.setDate(QDate(START.year, START.month, START.day))
    dialog.to_edit.setDate(QDate(END.year, END.month, END.day))
    return dialog


def test_run_shows_progress_summary_and_per_symbol_errors(qrun, qtbot, database_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    seen: list[str] = []
    ticks: list[int] = []

    async def scenario() -> None:
        data = {s: sample_daily_rows(s, START, END) for s in SYMBOLS}
        data["VNM"][30] = dict(data["VNM"][30], Open="twelve")  # a broken upstream row: VNM fails
        async with LocalSsiServer(daily_ohlc=data, max_range_days=30) as server:
            db = await open_pool(database_url)
            try:
                dialog = make_dialog(qtbot, server, db.pool, tmp_path)
                original = dialog.on_progress

                def watch(p):  # type: ignore[no-untyped-def]
                    original(p)
                    seen.append(dialog.current_label.text())

                dialog.on_progress = watch  # type: ignore[method-assign]
                timer = QTimer()
                timer.setInterval(10)
                timer.timeout.connect(lambda: ticks.append(1))
                timer.start()
                task = dialog.start()
                assert task is not None and not dialog.start_button.isEnabled()
                assert dialog.cancel_button.isEnabled()
                summary = await task
                timer.stop()
                stored = await db.pool.fetchval("SELECT count(*) FROM daily_ohlc WHERE symbol = 'HPG'")
                total = await db.pool.fetchval("SELECT count(*) FROM daily_ohlc")
            finally:
                await db.close()
        assert summary.failed.keys() == {"VNM"}
        assert summary.inserted == total > len(data["FPT"]) + len(data["HPG"])  # + VNM's good windows
        assert stored == len(data["HPG"])
        assert dialog.progress.value() == 1000
        assert any(text.startswith("FPT (1/3)") for text in seen)
        assert any(text.startswith("HPG (3/3)") for text in seen)
        assert dialog.current_label.text().startswith(f"Done: inserted {summary.inserted:,}, updated 0")
        assert "failed 1" in dialog.current_label.text()
        log = dialog.log_view.toPlainText()
        assert "VNM: FAILED" in log and "twelve" in log
        assert dialog.start_button.isEnabled() and not dialog.cancel_button.isEnabled()
        assert len(ticks) > 0  # Qt timers kept running during the run: the UI was never blocked

    qrun(scenario())


def test_cancel_stops_cleanly_and_keeps_what_was_written(qrun, qtbot, database_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    async def scenario() -> None:
        data = {s: sample_daily_rows(s, START, END) for s in SYMBOLS}
        async with LocalSsiServer(daily_ohlc=data, max_range_days=30) as server:
            db = await open_pool(database_url)
            try:
                dialog = make_dialog(qtbot, server, db.pool, tmp_path)
                original = dialog.on_progress

                def click_cancel_early(p):  # type: ignore[no-untyped-def]
                    original(p)
                    if p.done == 2 and dialog.cancel_button.isEnabled():
                        dialog.cancel_button.click()

                dialog.on_progress = click_cancel_early  # type: ignore[method-assign]
                summary = await dialog.start()
                stored = await db.pool.fetchval("SELECT count(*) FROM daily_ohlc")
            finally:
                await db.close()
        assert summary.cancelled
        assert 0 < stored < sum(len(v) for v in data.values())
        assert stored == summary.inserted
        assert dialog.current_label.text().startswith("Cancelled: inserted")
        assert dialog.progress.value() < 1000

    qrun(scenario())


def test_bad_symbols_and_dates_are_explained(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(home=tmp_path)
    dialog = BackfillDialog(lambda creds: None, CredentialStore(settings))  # type: ignore[arg-type,return-value]
    qtbot.addWidget(dialog)
    dialog.list_radio.setChecked(True)
    dialog.symbols_edit.setText("FPT, V@M")
    assert dialog.start() is None
    assert "not a ticker symbol: 'V@M'" in dialog.current_label.text()
    dialog.symbols_edit.setText("FPT")
    dialog.from_edit.setDate(QDate(2024, 2, 1))
    dialog.to_edit.setDate(QDate(2024, 1, 1))
    assert dialog.start() is None
    assert "start date must not be after the end date" in dialog.current_label.text()


def test_credentials_prompt_keeps_them_for_the_session_without_a_keyring(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    store = CredentialStore(Settings(home=tmp_path))
    assert store.get() is None and not store.keyring_available()
    prompt = CredentialsDialog(store)
    qtbot.addWidget(prompt)
    prompt.id_edit.setText("consumer")
    prompt.secret_edit.setText("s3cret")
    prompt._accept()
    assert prompt.saved_where == "kept for this session only (no system keyring)"
    creds = store.get()
    assert creds is not None and creds.consumer_secret == "s3cret"
    assert "s3cret" not in repr(creds)
    assert not (tmp_path / "settings.json").exists()


def closed_port() -> int:
    """A loopback port nothing listens on: connecting fails at once, as with no network."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_no_network_is_said_in_a_traders_words(qrun, qtbot, database_url: str, tmp_path: Path, caplog) -> None:  # type: ignore[no-untyped-def]
    from desktop_app.ui.backfill_dialog import NO_NETWORK

    async def scenario() -> None:
        db = await open_pool(database_url)
        try:
            settings = Settings(home=tmp_path, ssi_consumer_id="id", ssi_consumer_secret="secret")
            url = f"http://127.0.0.1:{closed_port()}/"

            def factory(creds):  # type: ignore[no-untyped-def]
                return BackfillService(
                    db.pool, lambda: SsiRestClient(url, creds.consumer_id, creds.consumer_secret, pace_s=0,
                                                   max_retries=0, backoff_base_s=0.01, backoff_max_s=0.02),
                    progress_path=tmp_path / "progress.json",
                )

            dialog = BackfillDialog(factory, CredentialStore(settings))
            qtbot.addWidget(dialog)
            dialog.show()
            dialog.list_radio.setChecked(True)
            dialog.symbols_edit.setText("FPT, VNM")
            assert await dialog.start() is None  # the sign-in itself cannot reach SSI
        finally:
            await db.close()
        text = dialog.current_label.text()
        assert NO_NETWORK == "Cannot reach SSI's data server — check your internet connection."
        assert text == NO_NETWORK and "Errno" not in text and "ConnectError" not in text
        assert dialog.current_label.wordWrap()  # a long line wraps instead of being cut off
        assert f"Error: {NO_NETWORK}" in dialog.log_view.toPlainText()
        assert dialog.start_button.isEnabled()
        assert any("ConnectError" in r.getMessage() for r in caplog.records)  # the detail, in the log

    qrun(scenario())


def test_refused_credentials_are_said_in_a_traders_words(qrun, qtbot, database_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from desktop_app.ui.backfill_dialog import BAD_CREDENTIALS

    async def scenario() -> None:
        async with LocalSsiServer(daily_ohlc={"FPT": sample_daily_rows("FPT", START, END)}) as server:
            db = await open_pool(database_url)
            try:
                dialog = make_dialog(qtbot, server, db.pool, tmp_path)
                dialog.store = CredentialStore(Settings(home=tmp_path, ssi_consumer_id=server.consumer_id,
                                                        ssi_consumer_secret="not-the-secret"))
                assert await dialog.start() is None
            finally:
                await db.close()
        assert dialog.current_label.text() == BAD_CREDENTIALS
        assert "Settings" in BAD_CREDENTIALS

    qrun(scenario())


def test_missing_credentials_open_a_prompt_and_the_run_starts_once_given(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from desktop_app.errors import ConfigurationError

    given: list[object] = []

    def factory(creds):  # type: ignore[no-untyped-def]
        given.append(creds)
        raise ConfigurationError("stop here")

    dialog = BackfillDialog(factory, CredentialStore(Settings(home=tmp_path)))
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.start() is None
    prompt = dialog.credentials_dialog
    assert prompt is not None and prompt.isVisible()  # opened with open(): the app's loop keeps running
    prompt.id_edit.setText("consumer")
    prompt.secret_edit.setText("s3cret")
    prompt._accept()
    assert len(given) == 1 and given[0].consumer_id == "consumer"
    assert "stop here" in dialog.current_label.text()


def test_per_symbol_reasons_are_translated_only_when_a_trader_can_act_on_them() -> None:
    from desktop_app.feeds.ssi_rest import SsiAuthError
    from desktop_app.ui.backfill_dialog import BAD_CREDENTIALS, NO_NETWORK, SSI_BUSY, trader_message

    dns = ("SsiUnavailableError: SSI data API unavailable: GET api/v2/Market/DailyOhlc failed 4 times "
           "(last: ConnectError: [Errno -2] Name or service not known)")
    assert trader_message(dns) == NO_NETWORK
    assert trader_message(dns.replace("ConnectError: [Errno -2] Name or service not known", "HTTP 503")) == SSI_BUSY
    assert trader_message(SsiAuthError("SSI rejected the credentials: bad secret")) == BAD_CREDENTIALS
    assert trader_message("SsiApiError: DailyOhlc row 30: Open='twelve' is not a number") is None
    assert trader_message(ValueError("x")) is None
