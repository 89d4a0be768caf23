"""The seed's five read-only history endpoints (an APIRouter) and the app that serves them.

    GET /api/history/{symbol}/daily     daily OHLC bars          from, to (days; default: last year)
    GET /api/history/{symbol}/trades    classified trades        date (a trading day) or from/to
    GET /api/history/{symbol}/foreign   foreign-flow snapshots   from, to (default: today)
    GET /api/history/basis              futures-VN30 basis       from, to, futures_symbol
    GET /api/history/alerts             alerts, newest first     from, to, symbol, alert_type,
                                                                 severity, unacknowledged

and the order-flow views of one day (definitions in ``desktop_app/order_flow.py``):

    GET /api/history/{symbol}/flow            bars with delta, CVD, VWAP   date, interval (1,5,15,30,60)
    GET /api/history/{symbol}/volume-profile  volume at price, POC, VA     date
    GET /api/history/{symbol}/big-trades      prints worth >= min_value    date, min_value (VND)
    GET /api/history/flow                     basket value flow per bar    date, interval, symbols

Every list of the seed's five is paginated (``limit`` 1..5000, default 500; ``offset``) and answers
``{limit, offset, count, next_offset, items, ...}``. Formats (Decimals as strings, Vietnam-time
ISO 8601 timestamps) are described in ``api/models.py``; parameter rules in ``api/params.py``. Bad
input gets a 422 with a message; a database that cannot answer gets a 503. Every query goes
through the one history service (``services/history.py``) that the UI reads through too: no SQL
and no repository here.

Running it: ``create_app(pool)`` (tests; any asyncpg pool), ``serve(settings, host, port)`` (the
``stock-tracker serve-api`` command: blocks until SIGINT/SIGTERM), ``start_api_server(database,
host, port)`` (the GUI: serves on the already-running loop, returns a handle with ``stop()``).
The served app uses its own pool whose transactions are read-only (see ``api/server.py``).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Callable, Sequence, TypeVar

import asyncpg
from fastapi import APIRouter, Depends, FastAPI, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from desktop_app.api.models import (
    AlertOut,
    AlertsPage,
    BasketFlowBarOut,
    BasketFlowOut,
    BigTradeOut,
    BigTradesOut,
    FlowBarOut,
    FlowOut,
    PriceLevelOut,
    VolumeProfileOut,
    BasisOut,
    BasisPage,
    DailyBarOut,
    DailyPage,
    ErrorOut,
    ForeignOut,
    ForeignPage,
    TradeOut,
    TradesPage,
)
from desktop_app.api.params import (
    ALERT_TYPE_PATTERN,
    FUTURES_SYMBOL_PATTERN,
    SYMBOL_PATTERN,
    TIME_DESCRIPTION,
    DAY_PATTERN,
    TIME_PATTERN,
    SYMBOLS_PATTERN,
    VND_PATTERN,
    BadParameter,
    Page,
    day_range,
    instant_range,
    pagination,
    parse_day,
    parse_interval,
    parse_symbols,
    parse_time,
    parse_trading_day,
)
from desktop_app.domain import Severity
from desktop_app.market_clock import day_bounds, vn_today
from desktop_app.order_flow import DEFAULT_BIG_TRADE_MIN_VALUE, FLOW_INTERVALS
from desktop_app.services.history import AlertFilter, HistoryService

if TYPE_CHECKING:
    from desktop_app.api.server import ApiServerHandle
    from desktop_app.config import Settings
    from desktop_app.database.connection import Database

log = logging.getLogger(__name__)

DAILY_DEFAULT_SPAN_DAYS = 365
T = TypeVar("T")
R = TypeVar("R")

router = APIRouter(prefix="/api/history", tags=["history"])

_SymbolPath = Path(pattern=SYMBOL_PATTERN, description="ticker, e.g. FPT (case-insensitive)")
_From = Query(None, alias="from", pattern=TIME_PATTERN, description=TIME_DESCRIPTION)
_To = Query(None, alias="to", pattern=TIME_PATTERN, description=TIME_DESCRIPTION)
_ERRORS: dict[int | str, dict[str, Any]] = {
    422: {"model": ErrorOut, "description": "invalid parameter"},
    503: {"model": ErrorOut, "description": "database unavailable"},
}


def _history(request: Request) -> HistoryService:
    return request.app.state.history


def _big_trade_min_value(request: Request) -> Decimal:
    return request.app.state.big_trade_min_value


_Day = Query(None, alias="date", pattern=DAY_PATTERN, description="a trading day YYYY-MM-DD (default: today)")
_Interval = Query(
    1, description=f"bar length in minutes: one of {', '.join(map(str, FLOW_INTERVALS))}",
    json_schema_extra={"enum": list(FLOW_INTERVALS)},
)


def _page(rows: Sequence[T], page: Page, convert: Callable[[T], R]) -> dict[str, Any]:
    """``rows`` holds up to limit + 1 rows: the extra one only says that a next page exists."""
    items = [convert(r) for r in rows[: page.limit]]
    more = len(rows) > page.limit
    return {
        "limit": page.limit,
        "offset": page.offset,
        "count": len(items),
        "next_offset": page.offset + len(items) if more else None,
        "items": items,
    }


def _instants_or_today(from_: str | None, to: str | None) -> tuple[datetime, datetime]:
    """The ``from``/``to`` instant range a request means; a missing end defaults to today's bounds."""
    today_start, today_end = day_bounds(vn_today())
    return instant_range(
        parse_time("from", from_), parse_time("to", to), default_start=today_start, default_end=today_end,
    )


@router.get("/{symbol}/daily", response_model=DailyPage, responses=_ERRORS)
async def daily_history(
    symbol: str = _SymbolPath,
    from_: str | None = _From,
    to: str | None = _To,
    page: Page = Depends(pagination),
    history: HistoryService = Depends(_history),
) -> dict[str, Any]:
    """Daily OHLC bars, oldest first; both ends inclusive (default: the last 365 days)."""
    symbol = symbol.upper()
    start, end = day_range(
        parse_day("from", from_), parse_day("to", to),
        default_span_days=DAILY_DEFAULT_SPAN_DAYS, today=vn_today(),
    )
    bars = await history.daily_bars(symbol, start, end)
    rows = bars[page.offset : page.offset + page.limit + 1]
    return {"symbol": symbol, "from_date": start, "to_date": end, **_page(rows, page, DailyBarOut.of)}


@router.get("/{symbol}/trades", response_model=TradesPage, responses=_ERRORS)
async def trade_history(
    symbol: str = _SymbolPath,
    day: str | None = Query(
        None, alias="date", pattern=DAY_PATTERN, description="a trading day YYYY-MM-DD (default: today)"
    ),
    from_: str | None = _From,
    to: str | None = _To,
    page: Page = Depends(pagination),
    history: HistoryService = Depends(_history),
) -> dict[str, Any]:
    """Classified trades in time order: one trading day (``date``) or a ``from``/``to`` range."""
    symbol = symbol.upper()
    if day is not None and (from_ is not None or to is not None):
        raise BadParameter("date", "give either 'date' or 'from'/'to', not both")
    if day is not None:
        start, end = day_bounds(parse_trading_day("date", day))
    else:
        start, end = _instants_or_today(from_, to)
    trades = await history.trades_between(symbol, start, end, page.limit + 1, page.offset)
    return {"symbol": symbol, "from_time": start, "to_time": end, **_page(trades, page, TradeOut.of)}


@router.get("/{symbol}/foreign", response_model=ForeignPage, responses=_ERRORS)
async def foreign_history(
    symbol: str = _SymbolPath,
    from_: str | None = _From,
    to: str | None = _To,
    page: Page = Depends(pagination),
    history: HistoryService = Depends(_history),
) -> dict[str, Any]:
    """Foreign buy/sell snapshots (cumulative for the day, with speed) in time order (default: today)."""
    symbol = symbol.upper()
    start, end = _instants_or_today(from_, to)
    rows = await history.foreign_between(symbol, start, end, page.limit + 1, page.offset)
    return {"symbol": symbol, "from_time": start, "to_time": end, **_page(rows, page, ForeignOut.of)}


@router.get("/basis", response_model=BasisPage, responses=_ERRORS)
async def basis_history(
    from_: str | None = _From,
    to: str | None = _To,
    futures_symbol: str | None = Query(
        None, pattern=FUTURES_SYMBOL_PATTERN, description="one contract (default: all), e.g. VN30F2412"
    ),
    page: Page = Depends(pagination),
    history: HistoryService = Depends(_history),
) -> dict[str, Any]:
    """Futures price, VN30 value and basis in time order (default: today)."""
    futures = futures_symbol.upper() if futures_symbol else None
    start, end = _instants_or_today(from_, to)
    rows = await history.basis_between(
        start, end, page.limit + 1, page.offset, futures_symbol=futures
    )
    return {"futures_symbol": futures, "from_time": start, "to_time": end, **_page(rows, page, BasisOut.of)}


@router.get("/alerts", response_model=AlertsPage, responses=_ERRORS)
async def alert_history(
    from_: str | None = _From,
    to: str | None = _To,
    symbol: str | None = Query(None, pattern=FUTURES_SYMBOL_PATTERN, description="only this symbol"),
    alert_type: str | None = Query(None, pattern=ALERT_TYPE_PATTERN, description="e.g. block_trade"),
    severity: Severity | None = Query(None),
    unacknowledged: bool = Query(False, description="only alerts not yet acknowledged"),
    page: Page = Depends(pagination),
    history: HistoryService = Depends(_history),
) -> dict[str, Any]:
    """Alerts newest first, filtered (no range = all time)."""
    start_b, end_b = parse_time("from", from_), parse_time("to", to)
    start = start_b.instant if start_b is not None else None
    end = None if end_b is None else end_b.instant + timedelta(days=1) if end_b.is_date else end_b.instant
    if start is not None and end is not None and start > end:
        raise BadParameter("from", "must not be after 'to'")
    filt = AlertFilter(
        symbol=symbol.upper() if symbol else None,
        alert_type=alert_type,
        severity=severity.value if severity else None,
        start=start,
        end=end,
        unacknowledged_only=unacknowledged,
    )
    rows = await history.list_alerts(filt, page.limit + 1, page.offset)
    total = await history.count_alerts(filt)
    return {"total": total, "from_time": start, "to_time": end, **_page(rows, page, AlertOut.of)}


# --------------------------------------------------------------------------- order flow
# (the basket route has one path segment, the per-symbol ones two: neither can capture the other)


@router.get("/flow", response_model=BasketFlowOut, responses=_ERRORS)
async def basket_flow_history(
    day: str | None = _Day,
    interval: int = _Interval,
    symbols: str | None = Query(
        None, pattern=SYMBOLS_PATTERN, description="comma-separated tickers (default: the VN30 basket)"
    ),
    history: HistoryService = Depends(_history),
) -> dict[str, Any]:
    """Active buy/sell value summed over a basket per bar, with the running value delta."""
    the_day = parse_trading_day("date", day)
    minutes = parse_interval("interval", interval, FLOW_INTERVALS)
    bars = await history.basket_flow(parse_symbols(symbols), the_day, minutes)
    return {"items": [BasketFlowBarOut.of(b) for b in bars]}


@router.get("/{symbol}/flow", response_model=FlowOut, responses=_ERRORS)
async def flow_history(
    symbol: str = _SymbolPath,
    day: str | None = _Day,
    interval: int = _Interval,
    history: HistoryService = Depends(_history),
) -> dict[str, Any]:
    """Order-flow bars of one symbol-day: OHLC, volume by type, buy/sell value, delta, CVD, VWAP."""
    symbol = symbol.upper()
    the_day = parse_trading_day("date", day)
    minutes = parse_interval("interval", interval, FLOW_INTERVALS)
    bars = await history.flow(symbol, the_day, minutes)
    return {"symbol": symbol, "date": the_day, "interval": minutes, "items": [FlowBarOut.of(b) for b in bars]}


@router.get("/{symbol}/volume-profile", response_model=VolumeProfileOut, responses=_ERRORS)
async def volume_profile_history(
    symbol: str = _SymbolPath,
    day: str | None = _Day,
    history: HistoryService = Depends(_history),
) -> dict[str, Any]:
    """Volume at each traded price of one symbol-day, with the POC and the 70 % value area."""
    symbol = symbol.upper()
    the_day = parse_trading_day("date", day)
    profile = await history.volume_profile(symbol, the_day)
    return {
        "symbol": symbol, "date": the_day, "poc": profile.poc, "value_area_low": profile.value_area_low,
        "value_area_high": profile.value_area_high, "items": [PriceLevelOut.of(p) for p in profile.levels],
    }


@router.get("/{symbol}/big-trades", response_model=BigTradesOut, responses=_ERRORS)
async def big_trades_history(
    symbol: str = _SymbolPath,
    day: str | None = _Day,
    min_value: str | None = Query(
        None, pattern=VND_PATTERN,
        description=f"VND, at least 1 (default: the big-trade threshold in Settings, "
                    f"{DEFAULT_BIG_TRADE_MIN_VALUE:,} unless changed)",
    ),
    history: HistoryService = Depends(_history),
    default_min_value: Decimal = Depends(_big_trade_min_value),
) -> dict[str, Any]:
    """Prints worth at least ``min_value`` VND in time order: put-throughs included, auctions not."""
    the_day = parse_trading_day("date", day)
    threshold = default_min_value if min_value is None else Decimal(min_value)
    if threshold < 1:
        raise BadParameter("min_value", f"must be at least 1 VND, got {min_value}")
    trades = await history.big_trades(symbol.upper(), the_day, threshold)
    return {"items": [BigTradeOut.of(t) for t in trades]}


# --------------------------------------------------------------------------- the app


_PATTERN_MEANING = {
    "from": TIME_DESCRIPTION, "to": TIME_DESCRIPTION, "date": "a day YYYY-MM-DD",
    "symbols": "comma-separated tickers A,B,...", "min_value": "a VND amount like 1000000000",
}


async def _invalid_request(request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's validation errors as one readable line: ``name: what is wrong``."""
    assert isinstance(exc, RequestValidationError)
    parts = []
    for error in exc.errors():
        name = str(error.get("loc", ("?",))[-1])
        message = str(error.get("msg", "invalid"))
        if error.get("type") == "string_pattern_mismatch":
            shown = repr(error.get("input"))[:60]
            message = f"not {_PATTERN_MEANING.get(name, 'in the expected format')} (got {shown})"
        parts.append(f"{name}: {message}")
    return JSONResponse(status_code=422, content={"detail": "; ".join(parts) or "invalid request"})


async def _database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    log.error("history API: %s %s failed: %s: %s", request.method, request.url.path, type(exc).__name__, exc)
    return JSONResponse(status_code=503, content={"detail": f"database unavailable: {type(exc).__name__}"})


def create_app(pool: asyncpg.Pool, *, big_trade_min_value: Decimal = DEFAULT_BIG_TRADE_MIN_VALUE) -> FastAPI:
    """The API over ``pool``; the caller owns the pool (open and close it). ``big_trade_min_value``
    is the ``big-trades`` default threshold (Settings)."""
    app = FastAPI(
        title="VN30 Stock Tracker history API",
        version="1",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
    )
    app.state.history = HistoryService(pool)
    app.state.big_trade_min_value = big_trade_min_value
    app.include_router(router)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    for exc_type in (asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
        app.add_exception_handler(exc_type, _database_unavailable)
    return app


async def serve(settings: "Settings", host: str = "127.0.0.1", port: int = 8765) -> int:
    """``stock-tracker serve-api``: serve until SIGINT/SIGTERM, then close everything."""
    from desktop_app.api.server import serve_until_stopped

    return await serve_until_stopped(settings, host, port)


async def start_api_server(database: "Database", host: str = "127.0.0.1", port: int = 8765) -> "ApiServerHandle":
    """Serve the API on the running loop (the GUI's); ``await handle.stop()`` to end it."""
    from desktop_app.api.server import start_server

    return await start_server(database.dsn, host, port)
