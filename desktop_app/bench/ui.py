"""``stock-tracker bench ui``: the GUI's responsiveness figures, measured with the real window.

1. Event-loop lag (the pipeline's ``LoopLagMonitor``, the status bar's figure: how late a 10 ms
   timer fires on the Qt thread) while the main window is open, the board refreshing at 10 Hz and the intraday chart
   appending live prints, with the demo market replayed through the real pipeline and database at
   a paced 5,000 trades/s. For the samples later than one frame, ``lag_late_cpu_share`` is the
   share of their time the Qt thread was running: low means it waited for a CPU (other
   processes) or the GIL (the writer's encoder thread), high means its own callbacks were long;
   ``live_loop_thread_cpu_share`` is the Qt thread's CPU time over the live window (its demand).
   ``loop_lag_50ms_sampler_*``: the same window seen by a 50 ms timer (what the monitor sampled
   before it moved to 10 ms), for comparison with older runs.
2. Loop lag during the start-up catch-up (``catchup_lag_ms_*``): the demo's last trading day caught
   up to mid-morning, unpaced, through a whole pipeline with the window open (the writer stores
   into a scratch schema), and the status bar's figure at the end of it (the pipeline's own
   monitor, the same 10 ms sampler, started with the pipeline).
3. Time to paint the charts for one symbol: one symbol-day of trades (intraday tab: query +
   columns + first full paint) and 10 years of daily bars (daily tab), each from a cold start of
   the chart, median of a few runs.

The bench writes its own rows under the symbol ``ZZBENCH`` (daily bars, one day of trades) and
deletes them at the end. Uses the configured database (embedded by default). Runs with Qt's
offscreen platform when no display is set.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import os
import random
import statistics
import sys
import time
from datetime import date, time as dtime, timedelta
from decimal import Decimal
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import AsyncIterator

from desktop_app.bench.machine_load import load_average, load_line
from desktop_app.config import Settings
from desktop_app.domain import ClassifiedTrade, DailyBar, TradeType
from desktop_app.feeds.base import FeedState, FeedStateHolder
from desktop_app.feeds.spec import FeedSpec
from desktop_app.market_clock import at_vietnam_time, previous_trading_day, vn_today
from desktop_app.speedups import tune_gc_for_streaming

log = logging.getLogger(__name__)

BENCH_SYMBOL = "ZZBENCH"
TRADES_PER_S = 5_000
LAG_SECONDS = 15.0  # >= 200 samples even of a 50 ms sampler when the loop lags
PAINT_RUNS = 5
DAY_TRADES = 20_000
DAILY_YEARS = 10
CATCHUP_UNTIL = dtime(10, 30)  # the demo catches the last trading day up to mid-morning at start
CATCHUP_TIMEOUT_S = 180.0


class PacedDemoFeed(FeedStateHolder):
    """Pre-generated demo envelopes, paced so that trade prints arrive at ``trades_per_s``.

    The day is generated beforehand in an executor (``prepare``): generating it costs seconds of
    CPU that must not be measured as loop lag.
    """

    name = "demo-paced"

    def __init__(self, trades_per_s: int, duration_s: float) -> None:
        super().__init__(FeedState.CONNECTING)
        self.trades_per_s = trades_per_s
        self.duration_s = duration_s
        self.trades_sent = 0
        self._closed = False
        self._envelopes: list[str] = []

    async def prepare(self) -> int:
        want_trades = int(self.trades_per_s * self.duration_s * 1.1)

        def generate() -> list[str]:
            from desktop_app.feeds.demo import DemoMarket

            market = DemoMarket(seed=7, start=vn_today(), days=5)
            out: list[str] = []
            trades = 0
            for text in market.envelopes():
                out.append(text)
                if '"DataType":"X-TRADE"' in text[:40]:
                    trades += 1
                    if trades >= want_trades:
                        break
            return out

        self._envelopes = await asyncio.get_running_loop().run_in_executor(None, generate)
        return len(self._envelopes)

    async def envelopes(self) -> AsyncIterator[str]:
        self._set_state(FeedState.LIVE)
        loop = asyncio.get_running_loop()
        start = loop.time()
        try:
            for envelope in self._envelopes:
                if self._closed or loop.time() - start > self.duration_s:
                    return
                if '"DataType":"X-TRADE"' in envelope[:40]:
                    self.trades_sent += 1
                    if self.trades_sent % 50 == 0:
                        ahead = start + self.trades_sent / self.trades_per_s - loop.time()
                        if ahead > 0:
                            await asyncio.sleep(ahead)
                yield envelope
        finally:
            self._set_state(FeedState.ENDED)

    async def close(self) -> None:
        self._closed = True


def _synthetic_daily(symbol: str, years: int) -> list[DailyBar]:
    rng = random.Random(10)
    bars: list[DailyBar] = []
    today = vn_today()
    d = today - timedelta(days=int(365.25 * years))
    price = 30_000.0
    while d <= today:
        if d.weekday() < 5:
            o = price
            c = max(1_000.0, o * math.exp(rng.gauss(0.0003, 0.018)))
            h = max(o, c) * (1 + abs(rng.gauss(0, 0.008)))
            lo = min(o, c) * (1 - abs(rng.gauss(0, 0.008)))
            bars.append(DailyBar(symbol, d, *(Decimal(round(v / 50) * 50) for v in (o, h, lo, c)),
                                 int(rng.uniform(0.5, 3.0) * 1e6)))
            price = c
        d += timedelta(days=1)
    return bars


async def _add_bench_history(pool, day: date) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    from desktop_app.database.bench.symbol_rows import copy_trades
    from desktop_app.database.repositories import ohlc_repository

    await _cleanup(pool)
    bars = _synthetic_daily(BENCH_SYMBOL, DAILY_YEARS)
    await ohlc_repository.upsert_daily_bars(pool, bars)
    rng = random.Random(11)
    t0 = at_vietnam_time(day, dtime(9, 15))
    span = 5 * 3600
    price = 50_000
    trades = []
    for i in range(DAY_TRADES):
        price = max(1_000, price + rng.choice((-50, 0, 0, 50)))
        vol = rng.choice((100, 200, 500, 1_000, 5_000))
        trades.append(ClassifiedTrade(BENCH_SYMBOL, Decimal(price), vol, Decimal(price * vol),
                                      TradeType(rng.choice(("buy", "sell", "neutral"))), None, None,
                                      t0 + timedelta(seconds=span * i / DAY_TRADES)))
    return len(bars), await copy_trades(pool, trades)


async def _cleanup(pool) -> None:  # type: ignore[no-untyped-def]
    from desktop_app.database.bench.symbol_rows import delete_symbol_rows

    await delete_symbol_rows(pool, BENCH_SYMBOL)


async def _time_to_paint(window, day: date) -> dict[str, float]:  # type: ignore[no-untyped-def]
    from desktop_app.ui.charts.chart_tabs import ChartTabs

    tabs: ChartTabs = window.charts
    results: dict[str, list[float]] = {"intraday": [], "daily": []}
    for _ in range(PAINT_RUNS):
        for name, widget in (("intraday", tabs.intraday), ("daily", tabs.daily)):
            tabs.symbol = None
            tabs.tabs.setCurrentWidget(widget)
            tabs.day = day
            t0 = time.perf_counter()
            if name == "intraday":
                tabs.tasks.start("intraday", tabs._load_intraday(BENCH_SYMBOL, day))
            else:
                tabs.tasks.start("daily", tabs._load_daily(BENCH_SYMBOL))
            await tabs.tasks.wait_idle()
            widget.layout_widget.viewport().repaint()  # the first full paint, synchronously
            results[name].append((time.perf_counter() - t0) * 1000)
    return {f"paint_{k}_ms_p50": round(statistics.median(v), 1) for k, v in results.items()} | {
        f"paint_{k}_ms_max": round(max(v), 1) for k, v in results.items()
    }


async def _catch_up(settings: Settings, window, dsn: str) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """The start-up catch-up with the window open: the demo's last trading day caught up from
    09:00 to ``CATCHUP_UNTIL`` unpaced, through a whole pipeline (parse, process, board, charts,
    writer), as the app does when it starts outside trading hours. The writer stores into a
    scratch schema (dropped at the end) and journals into a temporary folder, so the user's
    tables and journal are untouched and nothing is skipped as stored already."""
    from desktop_app.database.batch_writer import BatchWriter
    from desktop_app.database.bench.scratch_ingest_schema import ScratchIngestSchema
    from desktop_app.database.ingest_coverage import DEMO
    from desktop_app.database.journal import Journal
    from desktop_app.feeds.demo import DemoFeed
    from desktop_app.services.loop_lag import LoopLagMonitor
    from desktop_app.services.pipeline import Pipeline

    until = at_vietnam_time(previous_trading_day(vn_today()), CATCHUP_UNTIL)
    out: dict[str, float] = {}
    with TemporaryDirectory(prefix="bench-ui-journal-") as tmp:
        async with ScratchIngestSchema(dsn) as scratch:
            writer = BatchWriter(scratch.pool, Journal(Path(tmp), settings.journal_budget_bytes),
                                 flush_interval_s=settings.flush_interval_s, queue_max=settings.queue_max,
                                 origin=DEMO)
            pipeline = Pipeline(settings, FeedSpec("demo"), scratch.pool, feed=DemoFeed(speed=1.0, start=until),
                                writer=writer)
            caught_up = asyncio.Event()

            def watch(value: object) -> None:
                if type(value) is ClassifiedTrade and value.timestamp >= until:
                    caught_up.set()

            pipeline.processor.subscribe(watch)
            monitor = LoopLagMonitor()  # the status bar's sampler, from before the pipeline starts
            monitor.start()
            started, loop_cpu_started = time.perf_counter(), time.thread_time()
            try:
                await pipeline.start()
                window.attach_pipeline(pipeline)
                await asyncio.wait_for(caught_up.wait(), CATCHUP_TIMEOUT_S)
                lag = monitor.overall()
                status_bar = pipeline.loop_lag.window()  # what the status bar shows at that moment
                out["catchup_s"] = round(time.perf_counter() - started, 2)
                out["catchup_loop_thread_cpu_share"] = round(
                    (time.thread_time() - loop_cpu_started) / out["catchup_s"], 3)
                out["catchup_envelopes"] = pipeline.counters.messages
                out["catchup_lag_ms_p50"] = round(lag.p50_ms, 2)
                out["catchup_lag_ms_p99"] = round(lag.p99_ms, 2)
                out["catchup_lag_ms_max"] = round(lag.max_ms, 2)
                out["catchup_lag_samples"] = lag.samples
                late, share = monitor.late_cpu_share()
                out["catchup_lag_late_samples"] = late
                out["catchup_lag_late_cpu_share"] = None if share is None else round(share, 3)
                others = monitor.late_others_share()
                out["catchup_lag_late_other_threads_share"] = None if others is None else round(others, 3)
                out["catchup_status_bar_lag_ms_p99"] = round(status_bar.p99_ms, 2)
                out["catchup_writer_queue_max"] = writer.queue_max
            finally:
                await monitor.stop()
                await pipeline.stop()
    return out


async def _bench(settings: Settings, window, app) -> dict[str, float]:  # type: ignore[no-untyped-def]
    from desktop_app.services.loop_lag import LoopLagMonitor
    from desktop_app.ui.app_runtime import AppRuntime

    day = vn_today()
    feed = PacedDemoFeed(TRADES_PER_S, LAG_SECONDS)
    runtime = AppRuntime(settings, FeedSpec("demo"), feed_source=feed)
    database = await runtime.open_database(window.show_step)
    out: dict[str, float] = {}
    try:
        window.attach_database(database)
        window.show_step("Generating the demo market…")
        prepared = asyncio.ensure_future(feed.prepare())
        daily_rows, day_trades = await _add_bench_history(database.pool, day - timedelta(days=1))
        await prepared
        await asyncio.sleep(0.5)
        out.update(await _time_to_paint(window, day - timedelta(days=1)))
        out["daily_bars"] = daily_rows
        out["symbol_day_trades"] = day_trades
        # live: the board + a live intraday chart for a busy symbol of today
        pipeline = await runtime.start_pipeline(window.show_step)
        window.attach_pipeline(pipeline)
        window.startup_finished()
        window.charts.set_day(day)
        window.watchlist.select_symbol("FPT") or window.charts.show_symbol("FPT")
        tune_gc_for_streaming()  # as run_gui does once the start-up finished
        window.charts.tabs.setCurrentWidget(window.charts.intraday)  # the live chart on screen
        coarse = LoopLagMonitor(interval_s=0.05)
        coarse.start()
        pipeline.loop_lag.reset()
        started, loop_cpu_started = time.perf_counter(), time.thread_time()  # this is the Qt thread
        trades0 = pipeline.processor.counters.trades
        try:
            while time.perf_counter() - started < LAG_SECONDS and not pipeline.finished:
                await asyncio.sleep(0.25)
        finally:
            await coarse.stop()
        elapsed = time.perf_counter() - started
        out["live_loop_thread_cpu_share"] = round((time.thread_time() - loop_cpu_started) / elapsed, 3)
        lag = pipeline.loop_lag.overall()
        out["live_trades_per_s"] = round((pipeline.processor.counters.trades - trades0) / elapsed)
        out["loop_lag_ms_p50"] = round(lag.p50_ms, 2)
        out["loop_lag_ms_p99"] = round(lag.p99_ms, 2)
        out["loop_lag_ms_max"] = round(lag.max_ms, 2)
        out["lag_samples"] = lag.samples
        late, share = pipeline.loop_lag.late_cpu_share()
        out["lag_late_samples"] = late  # later than one frame
        out["lag_late_cpu_share"] = None if share is None else round(share, 3)
        others = pipeline.loop_lag.late_others_share()
        out["lag_late_other_threads_share"] = None if others is None else round(others, 3)
        coarse_lag = coarse.overall()
        out["loop_lag_50ms_sampler_ms_p99"] = round(coarse_lag.p99_ms, 2)
        out["loop_lag_50ms_sampler_ms_max"] = round(coarse_lag.max_ms, 2)
        out["loop_lag_50ms_sampler_samples"] = coarse_lag.samples
        out["qt_platform"] = app.platformName()
        await runtime.pipeline.stop()  # the catch-up below runs alone, as at start-up
        runtime.pipeline = None
        out.update(await _catch_up(settings, window, database.dsn))
        out.update(load_average())  # other processes skew every figure
    finally:
        if runtime.pipeline is not None:
            await runtime.pipeline.stop()
            runtime.pipeline = None
        try:
            await _cleanup(database.pool)
        finally:
            await runtime.stop()
    return out


def run_ui_bench(settings: Settings, as_json: bool) -> int:
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import qasync
    from PySide6.QtWidgets import QApplication

    from desktop_app.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setQuitOnLastWindowClosed(False)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    window = MainWindow(settings, FeedSpec("demo"))
    window.show()
    with loop:
        result = loop.run_until_complete(_bench(settings, window, app))
        window.finish_close()
    if as_json:
        print(json.dumps(result))
    else:
        print(f"UI benchmark ({result['qt_platform']} platform, {load_line(result)})")
        print(f"  loop lag with the window open at {result['live_trades_per_s']:,} trades/s:"
              f" p50 {result['loop_lag_ms_p50']} ms, p99 {result['loop_lag_ms_p99']} ms,"
              f" max {result['loop_lag_ms_max']} ms ({result['lag_samples']:,} samples; a 50 ms sampler:"
              f" p99 {result['loop_lag_50ms_sampler_ms_p99']} ms, max {result['loop_lag_50ms_sampler_ms_max']} ms)")
        print(f"  time to paint one symbol-day ({result['symbol_day_trades']:,} trades):"
              f" p50 {result['paint_intraday_ms_p50']} ms (max {result['paint_intraday_ms_max']})")
        print(f"  time to paint {DAILY_YEARS} years of daily bars ({result['daily_bars']:,} bars):"
              f" p50 {result['paint_daily_ms_p50']} ms (max {result['paint_daily_ms_max']})")
        print(f"  the Qt thread was on a CPU {result['live_loop_thread_cpu_share']} of the live window"
              f" and {result['catchup_loop_thread_cpu_share']} of the catch-up")
        print(f"  late samples (> one frame): {result['lag_late_samples']}, loop thread on a CPU"
              f" {result['lag_late_cpu_share']} of their time (low: waiting for a CPU or the GIL),"
              f" other threads of the app {result['lag_late_other_threads_share']}")
        print(f"  start-up catch-up to {CATCHUP_UNTIL:%H:%M} ({result['catchup_envelopes']:,} envelopes in"
              f" {result['catchup_s']} s): loop lag p50 {result['catchup_lag_ms_p50']} ms,"
              f" p99 {result['catchup_lag_ms_p99']} ms, max {result['catchup_lag_ms_max']} ms;"
              f" status bar p99 {result['catchup_status_bar_lag_ms_p99']} ms")
    return 0
