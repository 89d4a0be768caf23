"""SSI FastConnect Data REST client: access token, DailyOhlc, IndexComponents, DailyIndex,
Securities.

Async (httpx) so the backfill dialog and the live feed's token refresh never block the UI loop.
The client is deliberately conservative because SSI's rate limits are undocumented: calls are
paced (``pace_s`` apart), HTTP 429 waits for ``Retry-After``, 5xx and network errors back off
exponentially with jitter, and a clear ``SsiUnavailableError`` is raised once retries run out.

Two "status" conventions coexist on the wire (see docs/market-data.md): the token call
answers ``"status": 200`` (a number), the data calls ``"status": "Success"`` (a string). Numbers in
data rows arrive as strings and are parsed exactly as ``Decimal``.

The consumer secret is kept out of every log line, exception and repr.
"""

from __future__ import annotations

import asyncio
import base64
import email.utils
import json
import logging
import math
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any, AsyncIterator, Mapping

import httpx

from desktop_app.domain import DailyBar
from desktop_app.errors import ConfigurationError, StockTrackerError
from desktop_app.feeds.reconnect_backoff import jittered_backoff
from desktop_app.instruments import Security, security_kind

log = logging.getLogger(__name__)

ACCESS_TOKEN_PATH = "api/v2/Market/AccessToken"
DAILY_OHLC_PATH = "api/v2/Market/DailyOhlc"
DAILY_INDEX_PATH = "api/v2/Market/DailyIndex"
INDEX_COMPONENTS_PATH = "api/v2/Market/IndexComponents"
SECURITIES_DETAILS_PATH = "api/v2/Market/SecuritiesDetails"
SECURITIES_PATH = "api/v2/Market/Securities"
SECURITIES_MARKETS = ("HOSE", "HNX", "UPCOM", "DER")

SSI_DATE_FORMAT = "%d/%m/%Y"
DEFAULT_TOKEN_LIFETIME_S = 3600.0  # assumed when the token is not a readable JWT
DOCUMENTED_PAGE_SIZES = (10, 20, 50, 100, 500, 1000)


class SsiAuthError(ConfigurationError):
    """SSI refused the consumer ID/secret: the user must fix the credentials (CLI exit 2)."""


class SsiApiError(StockTrackerError):
    """SSI answered, but not with data we can use (error envelope, malformed row, HTTP 4xx)."""


class SsiUnavailableError(SsiApiError):
    """SSI could not be reached or kept failing (5xx, 429, network) after every retry."""


@dataclass(frozen=True, slots=True)
class DailyIndexRow:
    """One row of DailyIndex: an index's end-of-day level."""

    index_id: str
    trading_date: date
    value: Decimal | None
    change: Decimal | None
    ratio_change: Decimal | None
    total_match_volume: int | None
    total_match_value: Decimal | None


@dataclass(frozen=True, slots=True)
class OhlcWindow:
    """The bars of one request window, so a backfill can report progress per window."""

    symbol: str
    from_date: date
    to_date: date
    bars: tuple[DailyBar, ...]


# --------------------------------------------------------------------------- pure helpers


def ssi_date(value: date) -> str:
    return value.strftime(SSI_DATE_FORMAT)


def parse_ssi_date(text: str) -> date:
    """``dd/mm/yyyy`` (SSI's format); ISO ``yyyy-mm-dd`` tolerated."""
    text = text.strip()
    try:
        return datetime.strptime(text, SSI_DATE_FORMAT).date()
    except ValueError:
        return date.fromisoformat(text[:10])


def parse_decimal(value: Any) -> Decimal | None:
    """Exact decimal from a string/number; ``None`` for null, empty or NaN."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(f"not a number: {value!r}")
    if isinstance(value, float):  # only if a caller bypassed parse_float=Decimal
        value = repr(value)
    text = str(value).strip()
    if not text or text.lower() in ("nan", "null", "none"):
        return None
    try:
        number = Decimal(text.replace(",", ""))
    except InvalidOperation:
        raise ValueError(f"not a number: {value!r}") from None
    if not number.is_finite():
        return None
    return number


def parse_volume(value: Any) -> int | None:
    """Whole share count; accepts ``"23382100"`` and ``"23382100.0"``."""
    number = parse_decimal(value)
    if number is None:
        return None
    if number != number.to_integral_value():
        raise ValueError(f"volume is not a whole number: {value!r}")
    return int(number)


def date_windows(from_date: date, to_date: date, window_days: int) -> list[tuple[date, date]]:
    """Inclusive, non-overlapping windows of at most ``window_days`` days covering the range."""
    if window_days < 1:
        raise ValueError("window_days must be at least 1")
    windows: list[tuple[date, date]] = []
    start = from_date
    while start <= to_date:
        end = min(to_date, start + timedelta(days=window_days - 1))
        windows.append((start, end))
        start = end + timedelta(days=1)
    return windows


def jwt_lifetime_s(token: str, *, now: float | None = None) -> float | None:
    """Seconds the token stays valid, from its ``exp`` (and ``iat``) claims; None if unreadable.

    ``exp - iat`` is preferred because it is immune to a skewed local clock.
    """
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        payload = parts[1] + "=" * (-len(parts[1]) % 4)
        claims = json.loads(base64.urlsafe_b64decode(payload.encode("ascii")))
        exp = float(claims["exp"])
    except (ValueError, KeyError, TypeError, UnicodeError):
        return None
    iat = claims.get("iat") if isinstance(claims, dict) else None
    if isinstance(iat, (int, float)) and exp > iat:
        return exp - float(iat)
    return exp - (time.time() if now is None else now)


def retry_after_seconds(value: str | None, *, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds: delta-seconds or an HTTP date; None when absent/invalid."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    current = now or datetime.now(timezone.utc)
    return max(0.0, (when - current).total_seconds())


def _message_of(body: Any, fallback: str) -> str:
    if isinstance(body, Mapping):
        message = body.get("message") or body.get("Message")
        if message:
            return str(message)
    return fallback


# --------------------------------------------------------------------------- the client


class SsiRestClient:
    """Async client of SSI FastConnect Data's REST API (use as ``async with``)."""

    def __init__(
        self,
        data_url: str,
        consumer_id: str,
        consumer_secret: str,
        *,
        pace_s: float = 1.0,
        max_retries: int = 4,
        backoff_base_s: float = 0.5,
        backoff_max_s: float = 30.0,
        retry_after_max_s: float = 300.0,
        window_days: int = 30,
        refresh_margin_s: float = 300.0,
        timeout_s: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if not consumer_id or not consumer_secret:
            raise SsiAuthError("SSI consumer ID and secret are both required")
        self._base = data_url if data_url.endswith("/") else data_url + "/"
        self._consumer_id = consumer_id
        self._consumer_secret = consumer_secret
        self.pace_s = float(pace_s)
        self.max_retries = int(max_retries)
        self.backoff_base_s = float(backoff_base_s)
        self.backoff_max_s = float(backoff_max_s)
        self.retry_after_max_s = float(retry_after_max_s)
        self.window_days = int(window_days)
        self.refresh_margin_s = float(refresh_margin_s)
        self._http = httpx.AsyncClient(
            timeout=timeout_s,
            transport=transport,
            headers={"Accept": "application/json"},
        )
        self._token: str | None = None
        self._token_refresh_at = 0.0  # loop-independent monotonic clock
        self._token_expires_at = 0.0
        self._token_lock = asyncio.Lock()
        self._pace_lock = asyncio.Lock()
        self._last_call_at: float | None = None
        self.requests_made = 0
        self.tokens_fetched = 0

    def __repr__(self) -> str:
        return f"SsiRestClient(data_url={self._base!r}, consumer_id={self._consumer_id!r})"

    async def __aenter__(self) -> "SsiRestClient":
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    @property
    def data_url(self) -> str:
        return self._base

    # ------------------------------------------------------------------ token
    async def access_token(self) -> str:
        """A valid bearer token, fetched or refreshed a few minutes before it expires."""
        async with self._token_lock:
            if self._token is None or time.monotonic() >= self._token_refresh_at:
                await self._fetch_token()
            assert self._token is not None
            return self._token

    def invalidate_token(self) -> None:
        """Forget the token (the server refused it) so the next call fetches a fresh one."""
        self._token = None

    async def _fetch_token(self) -> None:
        body = {"consumerID": self._consumer_id, "consumerSecret": self._consumer_secret}
        response = await self._send("POST", ACCESS_TOKEN_PATH, json_body=body, token=None)
        if response.status_code not in (200, 400, 401, 403):
            # e.g. 404 from a wrong SSI_DATA_URL: not the credentials' fault.
            raise SsiApiError(
                f"SSI token endpoint {self._base}{ACCESS_TOKEN_PATH} answered "
                f"HTTP {response.status_code}"
            )
        payload = self._decode(response, ACCESS_TOKEN_PATH)
        status = payload.get("status") if isinstance(payload, Mapping) else None
        data = payload.get("data") if isinstance(payload, Mapping) else None
        token = data.get("accessToken") if isinstance(data, Mapping) else None
        # The number 200, not the string: that is the token endpoint's success convention.
        if response.status_code != 200 or type(status) is not int or status != 200 or not token:
            message = _message_of(payload, f"HTTP {response.status_code}")
            raise SsiAuthError(f"SSI rejected the credentials: {message}")
        lifetime = jwt_lifetime_s(str(token))
        if lifetime is None:
            log.warning("SSI access token is not a readable JWT; assuming %.0f s lifetime",
                        DEFAULT_TOKEN_LIFETIME_S)
            lifetime = DEFAULT_TOKEN_LIFETIME_S
        if lifetime <= 0:
            log.warning("SSI access token already expired by the local clock; using it once")
            lifetime = 60.0
        # Refresh refresh_margin_s early, but never later than half-way for short-lived tokens.
        margin = min(self.refresh_margin_s, lifetime / 2)
        now = time.monotonic()
        self._token = str(token)
        self._token_expires_at = now + lifetime
        self._token_refresh_at = now + lifetime - margin
        self.tokens_fetched += 1
        log.info("SSI access token obtained (valid %.0f s, refresh in %.0f s)",
                 lifetime, lifetime - margin)

    # ------------------------------------------------------------------ transport
    async def _pace(self) -> None:
        async with self._pace_lock:
            if self._last_call_at is not None and self.pace_s > 0:
                wait = self._last_call_at + self.pace_s - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
            self._last_call_at = time.monotonic()

    def _backoff(self, attempt: int) -> float:
        return jittered_backoff(attempt, self.backoff_base_s, self.backoff_max_s)

    async def _send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Mapping[str, Any] | None = None,
        token: str | None,
    ) -> httpx.Response:
        """One logical call: paced, retried on 429/5xx/network errors; returns the last response."""
        url = self._base + path
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        last_problem = ""
        for attempt in range(self.max_retries + 1):
            await self._pace()
            self.requests_made += 1
            try:
                response = await self._http.request(
                    method, url, params=params, json=json_body, headers=headers
                )
            except httpx.TransportError as exc:
                # str(exc) never carries the body, so the secret cannot leak through it.
                last_problem = f"{type(exc).__name__}: {exc}"
                delay = self._backoff(attempt)
            else:
                if response.status_code == 429:
                    last_problem = "HTTP 429 Too Many Requests"
                    advised = retry_after_seconds(response.headers.get("Retry-After"))
                    delay = self._backoff(attempt) if advised is None else advised
                    delay = min(delay, self.retry_after_max_s)
                elif response.status_code >= 500:
                    last_problem = f"HTTP {response.status_code}"
                    delay = self._backoff(attempt)
                else:
                    return response
            if attempt == self.max_retries:
                break
            log.warning("SSI %s %s failed (%s); retry %d/%d in %.2f s",
                        method, path, last_problem, attempt + 1, self.max_retries, delay)
            await asyncio.sleep(delay)
        raise SsiUnavailableError(
            f"SSI data API unavailable: {method} {path} failed {self.max_retries + 1} times "
            f"(last: {last_problem})"
        )

    @staticmethod
    def _decode(response: httpx.Response, path: str) -> Any:
        try:
            # parse_float=Decimal keeps unquoted numbers exact too.
            return json.loads(response.content or b"null", parse_float=Decimal)
        except ValueError:
            raise SsiApiError(
                f"SSI {path}: HTTP {response.status_code} with a body that is not JSON"
            ) from None

    async def _get_envelope(self, path: str, params: Mapping[str, Any]) -> Mapping[str, Any]:
        """GET a data endpoint; on 401 refresh the token once and retry."""
        token = await self.access_token()
        response = await self._send("GET", path, params=params, token=token)
        if response.status_code == 401:
            log.info("SSI answered 401 on %s: refreshing the access token once", path)
            self.invalidate_token()
            token = await self.access_token()
            response = await self._send("GET", path, params=params, token=token)
            if response.status_code == 401:
                raise SsiApiError(f"SSI {path}: access token refused twice (HTTP 401)")
        body = self._decode(response, path)
        if response.status_code != 200:
            raise SsiApiError(
                f"SSI {path}: HTTP {response.status_code}: {_message_of(body, 'no message')}"
            )
        if not isinstance(body, Mapping) or body.get("status") != "Success":
            raise SsiApiError(f"SSI {path}: {_message_of(body, 'unexpected answer')}")
        return body

    async def _paged_rows(
        self, path: str, params: Mapping[str, Any], page_size: int
    ) -> list[Mapping[str, Any]]:
        """All rows of a paginated query: until ``totalRecord`` rows are in or a page is short."""
        rows: list[Mapping[str, Any]] = []
        page = 1
        max_pages: int | None = None
        while True:
            body = await self._get_envelope(
                path, {**params, "pageIndex": page, "pageSize": page_size}
            )
            data = body.get("data") or []
            if not isinstance(data, list):
                raise SsiApiError(f"SSI {path}: 'data' is not a list")
            rows.extend(r for r in data if isinstance(r, Mapping))
            total = _int_or_none(body.get("totalRecord"))
            if total is not None and max_pages is None:
                max_pages = max(1, math.ceil(total / page_size)) + 1  # never loop forever
            if not data:
                break
            if total is not None:
                if len(rows) >= total or page >= (max_pages or 1):
                    break
            elif len(data) < page_size:
                break
            page += 1
        return rows

    # ------------------------------------------------------------------ endpoints
    async def iter_daily_ohlc(
        self, symbol: str, from_date: date, to_date: date, *, page_size: int = 1000,
        window_days: int | None = None,
    ) -> AsyncIterator[OhlcWindow]:
        """Bars window by window, so a caller can show progress and cancel in between."""
        symbol = symbol.strip().upper()
        if page_size not in DOCUMENTED_PAGE_SIZES:
            log.warning("DailyOhlc page size %d is not one SSI documents %s",
                        page_size, DOCUMENTED_PAGE_SIZES)
        for start, end in date_windows(from_date, to_date, window_days or self.window_days):
            rows = await self._paged_rows(
                DAILY_OHLC_PATH,
                {"symbol": symbol, "fromDate": ssi_date(start), "toDate": ssi_date(end),
                 "ascending": "true"},
                page_size,
            )
            bars = tuple(_daily_bar(row, symbol) for row in rows)
            yield OhlcWindow(symbol, start, end, bars)

    async def daily_ohlc(
        self, symbol: str, from_date: date, to_date: date, *, page_size: int = 1000,
        window_days: int | None = None,
    ) -> list[DailyBar]:
        bars: list[DailyBar] = []
        async for window in self.iter_daily_ohlc(
            symbol, from_date, to_date, page_size=page_size, window_days=window_days
        ):
            bars.extend(window.bars)
        return bars

    async def index_components(self, index_code: str = "VN30") -> list[str]:
        """Current members of an index (VN30 changes in January and July)."""
        body = await self._get_envelope(
            INDEX_COMPONENTS_PATH, {"indexCode": index_code, "pageIndex": 1, "pageSize": 100}
        )
        data = body.get("data") or []
        if not data or not isinstance(data[0], Mapping):
            raise SsiApiError(f"SSI IndexComponents: no components for {index_code}")
        members = data[0].get("IndexComponent") or []
        symbols = [str(m.get("StockSymbol", "")).strip().upper()
                   for m in members if isinstance(m, Mapping)]
        symbols = [s for s in symbols if s]
        if not symbols:
            raise SsiApiError(f"SSI IndexComponents: no components for {index_code}")
        return symbols

    async def daily_index(
        self, index_id: str, from_date: date, to_date: date, *, page_size: int = 1000,
        window_days: int | None = None,
    ) -> list[DailyIndexRow]:
        out: list[DailyIndexRow] = []
        for start, end in date_windows(from_date, to_date, window_days or self.window_days):
            rows = await self._paged_rows(
                DAILY_INDEX_PATH,
                {"indexId": index_id, "fromDate": ssi_date(start), "toDate": ssi_date(end)},
                page_size,
            )
            out.extend(_daily_index_row(row, index_id) for row in rows)
        return out

    async def securities_details(self, market: str = "DER", *, page_size: int = 1000) -> list[str]:
        """Symbols listed on a market; for ``DER`` these are the live futures contract codes."""
        rows = await self._paged_rows(SECURITIES_DETAILS_PATH, {"market": market}, page_size)
        symbols: list[str] = []
        for row in rows:
            # Rows carry the symbols in a nested RepeatedInfo list; flat rows are accepted too.
            for item in row.get("RepeatedInfo") or [row]:
                if isinstance(item, Mapping) and item.get("Symbol"):
                    symbols.append(str(item["Symbol"]).strip().upper())
        return symbols

    async def securities(self, market: str, *, page_size: int = 1000) -> list[Security]:
        """Every symbol listed on ``market`` (HOSE, HNX, UPCOM or DER), all pages.

        Rows are ``{"Market", "Symbol", "StockName", "StockEnName"}``; the names may be null and
        a row without a symbol is skipped (logged), so one bad row never loses the list.
        """
        market = market.strip().upper()
        rows = await self._paged_rows(SECURITIES_PATH, {"market": market}, page_size)
        out: list[Security] = []
        for row in rows:
            security = _security(row, market)
            if security is None:
                log.warning("SSI Securities %s: row without a symbol skipped: %r", market, dict(row))
            else:
                out.append(security)
        return out


# --------------------------------------------------------------------------- row parsing


def _text_or_none(value: Any) -> str | None:
    text = "" if value is None else str(value).strip()
    return text or None


def _security(row: Mapping[str, Any], market: str) -> Security | None:
    symbol = (_text_or_none(row.get("Symbol")) or "").upper()
    if not symbol:
        return None
    row_market = (_text_or_none(row.get("Market")) or market).upper()
    name_vi = _text_or_none(row.get("StockName"))
    name_en = _text_or_none(row.get("StockEnName"))
    return Security(symbol, row_market, name_vi, name_en,
                    security_kind(row_market, symbol, name_vi, name_en))


def _int_or_none(value: Any) -> int | None:
    try:
        return parse_volume(value)
    except ValueError:
        return None


def _daily_bar(row: Mapping[str, Any], symbol: str) -> DailyBar:
    try:
        return DailyBar(
            symbol=str(row.get("Symbol") or symbol).strip().upper(),
            date=parse_ssi_date(str(row["TradingDate"])),
            open=parse_decimal(row.get("Open")),
            high=parse_decimal(row.get("High")),
            low=parse_decimal(row.get("Low")),
            close=parse_decimal(row.get("Close")),
            volume=parse_volume(row.get("Volume")),
        )
    except (KeyError, ValueError) as exc:
        raise SsiApiError(f"SSI DailyOhlc: bad row for {symbol} ({exc}): {dict(row)!r}") from None


def _daily_index_row(row: Mapping[str, Any], index_id: str) -> DailyIndexRow:
    try:
        return DailyIndexRow(
            index_id=str(row.get("IndexId") or row.get("IndexID") or index_id),
            trading_date=parse_ssi_date(str(row["TradingDate"])),
            value=parse_decimal(row.get("IndexValue")),
            change=parse_decimal(row.get("Change")),
            ratio_change=parse_decimal(row.get("RatioChange")),
            total_match_volume=parse_volume(row.get("TotalMatchVol")),
            total_match_value=parse_decimal(row.get("TotalMatchVal")),
        )
    except (KeyError, ValueError) as exc:
        raise SsiApiError(f"SSI DailyIndex: bad row for {index_id} ({exc}): {dict(row)!r}") from None
