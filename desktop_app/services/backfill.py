"""Daily OHLC backfill: SSI DailyOhlc -> ``daily_ohlc`` (upsert), resumable and cancellable.

Used by the ``stock-tracker backfill`` command (``run_backfill_command``) and by the GUI's backfill
dialog, which drives the same service on its qasync loop::

    service = BackfillService.from_settings(database.pool, settings,
                                            consumer_id=..., consumer_secret=...)  # keyring/env
    cancel = asyncio.Event()                       # the dialog's Cancel button sets it
    summary = await service.run("VN30", date(2015, 1, 1), vn_today(),
                                progress=on_progress,  # BackfillProgress, called on the loop
                                cancel=cancel)
    summary.inserted, summary.updated, summary.failed   # failed: {symbol: reason}

How it works. Each symbol's range is cut into windows of ``window_days`` days anchored on a fixed
epoch (so that windows line up from one run to the next); each window is fetched with the REST
client (which paginates, paces, retries 429/5xx and refreshes the token), its bars buffered and
upserted in batches of about ``batch_rows`` rows (``ohlc_repository.upsert_daily_bars``: insert
new days, update changed ones, leave identical ones alone — so a second run inserts nothing).

Resume. A window is recorded as complete, in ``<home>/backfill-progress.json``, only after its bars
are committed, together with how many distinct days SSI returned for it. A later run skips a
window when a recorded window contains it AND ``daily_ohlc`` still holds at least that many days
in it — so a wiped or different database is refilled rather than trusted blindly, and a window
SSI answered with no rows (holidays, before a listing) is not asked again. Windows reaching today
(Vietnam time) are never recorded: today's bar may still change. Why a file rather than deriving
everything from ``daily_ohlc``: the table cannot tell "SSI has no bar for that day" (holiday,
suspension, not yet listed) from "not fetched yet", and a new table would need a schema change for
bookkeeping only. ``force=True`` ignores the record (re-fetch everything).

Cancel. ``cancel`` (an ``asyncio.Event``) is checked between windows: the bars already fetched are
written, the run stops cleanly and the summary says ``cancelled``. Cancelling the task itself is
also safe: committed windows stay, the rest is fetched again next time.

Errors. A symbol that fails (SSI keeps failing, a malformed row, a database error) is recorded in
``summary.failed`` with the reason and the run goes on with the next symbol. The run starts by
getting an access token: refused credentials (``SsiAuthError``, a ConfigurationError) or an SSI
that cannot be reached (``SsiUnavailableError``) raise from ``run`` before anything is fetched;
refused credentials later on (a token refresh) also stop the whole run.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Literal, Sequence, TextIO, Union

import asyncpg

from desktop_app.domain import DailyBar
from desktop_app.errors import MissingCredentialsError
from desktop_app.feeds.ssi_rest import SsiApiError, SsiAuthError, SsiRestClient
from desktop_app.market_clock import vn_today

if TYPE_CHECKING:
    from desktop_app.config import Settings

log = logging.getLogger(__name__)

BASKET = "VN30"
PROGRESS_FILE = "backfill-progress.json"
WINDOW_EPOCH = date(2000, 1, 3)
DEFAULT_WINDOW_DAYS = 30  # the documented maximum span of one DailyOhlc request
DEFAULT_BATCH_ROWS = 2000

CREDENTIALS_HELP = (
    "SSI FastConnect credentials are not configured: set SSI_CONSUMER_ID and SSI_CONSUMER_SECRET "
    "(or enter them in the app's Settings)"
)

ClientSource = Union[SsiRestClient, Callable[[], SsiRestClient]]


# --------------------------------------------------------------------------- values


@dataclass(frozen=True, slots=True)
class BackfillProgress:
    """Where a run is: ``done`` of ``total`` windows over all symbols (skipped ones count as done)."""

    symbol: str
    done: int
    total: int
    rows: int  # bars received from SSI so far in this run
    symbol_index: int  # 1-based position of ``symbol`` in the run
    symbols_total: int
    symbol_rows: int  # bars received for ``symbol`` so far

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 1.0


@dataclass(frozen=True, slots=True)
class BackfillSummary:
    """What a run did. ``rows`` = bars received per symbol; inserted/updated/unchanged = the upserts."""

    symbols: tuple[str, ...]
    start: date
    end: date
    inserted: int
    updated: int
    unchanged: int
    rows: dict[str, int]
    failed: dict[str, str]
    windows_fetched: int
    windows_skipped: int
    cancelled: bool
    basket_source: str  # "arguments", "ssi" (IndexComponents) or "default" (shipped list)
    elapsed_s: float

    @property
    def ok(self) -> bool:
        return not self.failed and not self.cancelled

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["symbols"] = list(self.symbols)
        data["start"] = self.start.isoformat()
        data["end"] = self.end.isoformat()
        data["elapsed_s"] = round(self.elapsed_s, 3)
        data["total_rows"] = self.total_rows
        return data


# --------------------------------------------------------------------------- progress record


def _aligned_windows(start: date, end: date, window_days: int) -> list[tuple[date, date]]:
    """Inclusive windows of ``window_days`` anchored on WINDOW_EPOCH, clipped to [start, end]."""
    if window_days < 1:
        raise ValueError("window_days must be at least 1")
    k = (start - WINDOW_EPOCH).days // window_days
    windows = []
    while True:
        w_start = WINDOW_EPOCH + timedelta(days=k * window_days)
        w_end = w_start + timedelta(days=window_days - 1)
        if w_start > end:
            break
        windows.append((max(w_start, start), min(w_end, end)))
        k += 1
    return windows


@dataclass
class BackfillProgressStore:
    """Completed windows per symbol, in a small JSON file: ``{symbol: [[start, end, days], ...]}``.

    Writes merge with what is on disk (another run may have added windows meanwhile) and replace the
    file atomically, in a worker thread so the loop never waits on the disk.
    """

    path: Path
    _windows: dict[str, list[tuple[date, date, int]]] = field(default_factory=dict)

    @classmethod
    async def load(cls, path: Path) -> "BackfillProgressStore":
        store = cls(path)
        store._windows = await asyncio.to_thread(_read_progress, path)
        return store

    def covering(self, symbol: str, start: date, end: date) -> tuple[date, date, int] | None:
        for w in self._windows.get(symbol, ()):
            if w[0] <= start and end <= w[1]:
                return w
        return None

    def record(self, symbol: str, start: date, end: date, days: int) -> None:
        entries = self._windows.setdefault(symbol, [])
        entries[:] = [w for w in entries if not (start <= w[0] and w[1] <= end)]
        entries.append((start, end, days))

    async def save(self) -> None:
        await asyncio.to_thread(_merge_and_write_progress, self.path, self._windows)


def _read_progress(path: Path) -> dict[str, list[tuple[date, date, int]]]:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        log.warning("ignoring unreadable backfill progress file %s: %s", path, exc)
        return {}
    out: dict[str, list[tuple[date, date, int]]] = {}
    if not isinstance(raw, dict):
        return out
    for symbol, windows in raw.get("windows", {}).items():
        try:
            out[symbol] = [(date.fromisoformat(a), date.fromisoformat(b), int(n)) for a, b, n in windows]
        except (TypeError, ValueError):
            log.warning("ignoring malformed backfill progress for %s in %s", symbol, path)
    return out


def _merge_and_write_progress(path: Path, windows: dict[str, list[tuple[date, date, int]]]) -> None:
    merged = _read_progress(path)
    for symbol, entries in windows.items():
        mine = set(entries)
        theirs = [w for w in merged.get(symbol, []) if w not in mine
                  and not any(m[0] <= w[0] and w[1] <= m[1] for m in mine)]
        merged[symbol] = sorted(theirs + list(mine))
    body = {
        "format": 1,
        "windows": {s: [[a.isoformat(), b.isoformat(), n] for a, b, n in ws] for s, ws in sorted(merged.items())},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(body, separators=(",", ":")), encoding="utf-8")
    os.replace(tmp, path)


# --------------------------------------------------------------------------- the service


class BackfillService:
    """Imports DailyOhlc for many symbols into ``daily_ohlc``; see the module docstring."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        client: ClientSource,
        *,
        progress_path: Path | None = None,
        window_days: int = DEFAULT_WINDOW_DAYS,
        batch_rows: int = DEFAULT_BATCH_ROWS,
        page_size: int = 1000,
        force: bool = False,
        default_basket: Callable[[], Sequence[str]] | None = None,
    ) -> None:
        if window_days < 1 or batch_rows < 1:
            raise ValueError("window_days and batch_rows must be positive")
        self._pool = pool
        self._client_source = client
        self._progress_path = progress_path
        self._window_days = window_days
        self._batch_rows = batch_rows
        self._page_size = page_size
        self._force = force
        self._default_basket = default_basket

    @classmethod
    def from_settings(
        cls,
        pool: asyncpg.Pool,
        settings: "Settings",
        *,
        consumer_id: str | None = None,
        consumer_secret: str | None = None,
        **options: Any,
    ) -> "BackfillService":
        """A service using the settings' SSI URL and pacing, and the progress file under home.

        Credentials: the arguments (e.g. from the keyring), else the settings (environment).
        Raises ``MissingCredentialsError`` (saying how to set them) when there are none.
        """
        cid = consumer_id or settings.ssi_consumer_id
        secret = consumer_secret or settings.ssi_consumer_secret
        if not (cid and secret):
            raise MissingCredentialsError(CREDENTIALS_HELP)

        def make_client() -> SsiRestClient:
            return SsiRestClient(settings.ssi_data_url, cid, secret, pace_s=settings.rest_pace_s)

        options.setdefault("progress_path", settings.home / PROGRESS_FILE)
        return cls(pool, make_client, **options)

    async def run(
        self,
        symbols: Sequence[str] | Literal["VN30"],
        start: date,
        end: date,
        *,
        progress: Callable[[BackfillProgress], None] | None = None,
        cancel: asyncio.Event | None = None,
    ) -> BackfillSummary:
        """Backfill ``symbols`` (or the VN30 basket) over [start, end], both inclusive."""
        if start > end:
            raise ValueError("start must not be after end")
        if isinstance(self._client_source, SsiRestClient):
            return await self._run(self._client_source, symbols, start, end, progress, cancel)
        async with self._client_source() as client:
            return await self._run(client, symbols, start, end, progress, cancel)

    # ------------------------------------------------------------------ internals
    async def _run(
        self,
        client: SsiRestClient,
        symbols: Sequence[str] | str,
        start: date,
        end: date,
        progress: Callable[[BackfillProgress], None] | None,
        cancel: asyncio.Event | None,
    ) -> BackfillSummary:
        from desktop_app.database.repositories import ohlc_repository

        started = time.perf_counter()
        # Log in first: refused credentials or an unreachable SSI end the run here, once, instead
        # of failing every symbol in turn after its retries.
        await client.access_token()
        names, source = await self._resolve_symbols(client, symbols)
        store = await self._load_store()
        today = vn_today()
        windows = _aligned_windows(start, end, self._window_days)
        run = _RunState(symbols_total=len(names), windows_total=len(windows) * len(names))

        for index, symbol in enumerate(names, start=1):
            if cancel is not None and cancel.is_set():
                run.cancelled = True
                break
            batch = _Batch()
            try:
                todo = await self._windows_to_fetch(store, symbol, windows)
                for w_start, w_end in windows:
                    if (w_start, w_end) not in todo:
                        run.windows_skipped += 1
                        run.windows_done += 1
                        self._report(progress, run, symbol, index)
                        continue
                    if cancel is not None and cancel.is_set():
                        run.cancelled = True
                        break
                    async for window in client.iter_daily_ohlc(
                        symbol, w_start, w_end, page_size=self._page_size, window_days=self._window_days
                    ):
                        batch.add(window.bars, w_start, w_end, record=w_end < today)
                    run.windows_fetched += 1
                    run.windows_done += 1
                    run.add_rows(symbol, batch.last_window_rows)
                    if len(batch.bars) >= self._batch_rows:
                        await self._flush(ohlc_repository, batch, store, symbol, run)
                    self._report(progress, run, symbol, index)
                await self._flush(ohlc_repository, batch, store, symbol, run)
            except SsiAuthError:
                await self._flush_quietly(ohlc_repository, batch, store, symbol, run)
                raise
            except (SsiApiError, asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
                log.error("backfill of %s failed: %s", symbol, exc)
                run.failed[symbol] = f"{type(exc).__name__}: {exc}"
                await self._flush_quietly(ohlc_repository, batch, store, symbol, run)
                run.windows_done = index * len(windows)
                self._report(progress, run, symbol, index)
            if run.cancelled:
                break

        summary = BackfillSummary(
            symbols=tuple(names), start=start, end=end,
            inserted=run.inserted, updated=run.updated, unchanged=run.unchanged,
            rows={s: run.rows.get(s, 0) for s in names}, failed=dict(run.failed),
            windows_fetched=run.windows_fetched, windows_skipped=run.windows_skipped,
            cancelled=run.cancelled, basket_source=source, elapsed_s=time.perf_counter() - started,
        )
        log.info("backfill done: %s", summary.to_json())
        return summary

    async def _resolve_symbols(self, client: SsiRestClient, symbols: Sequence[str] | str) -> tuple[list[str], str]:
        requested = [symbols] if isinstance(symbols, str) else list(symbols)
        names = [s.strip().upper() for s in requested if s.strip()]
        if names != [BASKET]:
            return list(dict.fromkeys(names)), "arguments"
        try:
            return list(dict.fromkeys(await client.index_components(BASKET))), "ssi"
        except SsiAuthError:
            raise
        except SsiApiError as exc:
            log.warning("VN30 members from SSI unavailable (%s): using the shipped default basket", exc)
        basket = self._default_basket or _shipped_basket
        return list(basket()), "default"

    async def _load_store(self) -> BackfillProgressStore | None:
        if self._progress_path is None:
            return None
        return await BackfillProgressStore.load(self._progress_path)

    async def _windows_to_fetch(
        self, store: BackfillProgressStore | None, symbol: str, windows: list[tuple[date, date]]
    ) -> set[tuple[date, date]]:
        """The windows not known to be complete (a recorded window is verified against the table)."""
        if store is None or self._force:
            return set(windows)
        covered = {w: store.covering(symbol, *w) for w in windows}
        records = {r for r in covered.values() if r is not None}
        if not records:
            return set(windows)
        from desktop_app.database.repositories import ohlc_repository

        lo = min(r[0] for r in records)
        hi = max(r[1] for r in records)
        present = await ohlc_repository.dates_present(self._pool, symbol, lo, hi)
        intact = {r for r in records if sum(1 for d in present if r[0] <= d <= r[1]) >= r[2]}
        return {w for w, r in covered.items() if r is None or r not in intact}

    async def _flush(self, repo: Any, batch: "_Batch", store: BackfillProgressStore | None,
                     symbol: str, run: "_RunState") -> None:
        if batch.bars:
            result = await repo.upsert_daily_bars(self._pool, batch.bars)
            run.inserted += result.inserted
            run.updated += result.updated
            run.unchanged += result.unchanged
        if store is not None and batch.windows:
            for w_start, w_end, days in batch.windows:
                store.record(symbol, w_start, w_end, days)
            await store.save()
        batch.clear()

    async def _flush_quietly(self, repo: Any, batch: "_Batch", store: BackfillProgressStore | None,
                             symbol: str, run: "_RunState") -> None:
        """Keep what was fetched before a failure; a second failure is logged, not raised."""
        try:
            await self._flush(repo, batch, store, symbol, run)
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
            log.error("backfill of %s: could not write the bars fetched before the failure: %s", symbol, exc)

    @staticmethod
    def _report(progress: Callable[[BackfillProgress], None] | None, run: "_RunState", symbol: str,
                index: int) -> None:
        if progress is None:
            return
        event = BackfillProgress(
            symbol=symbol, done=run.windows_done, total=run.windows_total, rows=sum(run.rows.values()),
            symbol_index=index, symbols_total=run.symbols_total, symbol_rows=run.rows.get(symbol, 0),
        )
        try:
            progress(event)
        except Exception:  # a broken progress display must not abort an import
            log.exception("backfill progress callback failed")


@dataclass
class _RunState:
    symbols_total: int
    windows_total: int
    windows_done: int = 0
    windows_fetched: int = 0
    windows_skipped: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    cancelled: bool = False

    def add_rows(self, symbol: str, n: int) -> None:
        self.rows[symbol] = self.rows.get(symbol, 0) + n


@dataclass
class _Batch:
    """Bars fetched but not yet written, and the windows they complete."""

    bars: list[DailyBar] = field(default_factory=list)
    windows: list[tuple[date, date, int]] = field(default_factory=list)
    last_window_rows: int = 0

    def add(self, bars: Sequence[DailyBar], start: date, end: date, *, record: bool) -> None:
        self.bars.extend(bars)
        self.last_window_rows = len(bars)
        if record:
            self.windows.append((start, end, len({b.date for b in bars})))

    def clear(self) -> None:
        self.bars.clear()
        self.windows.clear()


def _shipped_basket() -> Sequence[str]:
    from desktop_app.feeds.basket import default_vn30_basket

    return default_vn30_basket()


# --------------------------------------------------------------------------- the CLI command


class _TerminalProgress:
    """A one-line progress bar on a terminal; plain lines (one per symbol) otherwise."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._tty = stream.isatty()
        self._last_symbol: str | None = None
        self._last_draw = 0.0

    def __call__(self, p: BackfillProgress) -> None:
        if self._tty:
            now = time.monotonic()
            if now - self._last_draw < 0.1 and p.done < p.total:
                return
            self._last_draw = now
            width = 30
            filled = int(width * p.fraction)
            bar = "#" * filled + "." * (width - filled)
            self._stream.write(
                f"\r[{bar}] {p.fraction:6.1%} {p.symbol:<10} {p.symbol_index}/{p.symbols_total} symbols "
                f"{p.rows:,} bars\x1b[K"
            )
            self._stream.flush()
            return
        if self._last_symbol is not None and p.symbol != self._last_symbol:
            self._stream.write(f"backfill: {self._last_symbol} done\n")
        self._last_symbol = p.symbol
        self._stream.flush()

    def finish(self, summary: BackfillSummary) -> None:
        if self._tty:
            self._stream.write("\n")
        elif self._last_symbol is not None and self._last_symbol not in summary.failed:
            self._stream.write(f"backfill: {self._last_symbol} done\n")
        self._stream.flush()


async def run_backfill_command(settings: "Settings", symbols: list[str], from_date: date, to_date: date) -> int:
    """``stock-tracker backfill``: 0 all imported; 1 some symbol failed or interrupted; 2 (raised
    ConfigurationError) missing/refused credentials or an unusable database."""
    from desktop_app.services.runtime import Mode, Runtime

    if not settings.has_ssi_credentials:
        raise MissingCredentialsError(CREDENTIALS_HELP)
    request: Sequence[str] | str = BASKET if symbols == [BASKET] else symbols
    display = _TerminalProgress(sys.stderr)
    async with Runtime(settings, Mode.BACKFILL) as runtime:  # SIGINT/SIGTERM: stop_requested
        database = await runtime.open_database()
        service = BackfillService.from_settings(database.pool, settings)
        summary = await service.run(request, from_date, to_date, progress=display, cancel=runtime.stop_requested)
    display.finish(summary)
    for symbol, reason in summary.failed.items():
        print(f"stock-tracker: backfill of {symbol} failed: {reason}", file=sys.stderr)
    if summary.cancelled:
        print("stock-tracker: backfill interrupted; run the same command again to resume", file=sys.stderr)
    print(json.dumps(summary.to_json(), separators=(",", ":")), flush=True)
    return 0 if summary.ok else 1
