"""A local SSI FastConnect Data server for tests: REST + classic SignalR 2.x hub, real wire shapes.

Built on Starlette + uvicorn (HTTP and WebSocket), running on the test's own event loop on two
127.0.0.1 ports (one for the REST API, one for the hub, like fc-data / fc-datahub). It checks the
``Authorization: Bearer`` token on every data call, every negotiate, connect and start.

Usage::

    async with LocalSsiServer(daily_ohlc={"SSI": sample_daily_rows("SSI", d1, d2)}) as ssi:
        client = SsiRestClient(ssi.data_url, ssi.consumer_id, ssi.consumer_secret, pace_s=0)
        ...                                   # ssi.stream_url for SsiStreamFeed

Constructor (all keyword): ``consumer_id``, ``consumer_secret`` (the accepted credentials),
``token_lifetime_s`` (JWT ``exp - iat``), ``daily_ohlc`` {symbol: [row dicts]} (use
``sample_daily_rows``; rows are the real PascalCase shape with numbers as strings),
``daily_index`` {index_id: [rows]} (``sample_daily_index_rows``), ``index_components``
{index_code: [symbols]} (VN30 defaults to a real 30-member list), ``securities_details``
{market: [symbols]}, ``max_range_days`` (DailyOhlc/DailyIndex answer an error envelope when a
request spans more days, like SSI's documented 30-day limit; None = unlimited),
``securities`` {market: [rows]} (Securities, paginated; rows in the real shape
``{"Market", "Symbol", "StockName", "StockEnName"}``, see ``sample_securities_rows``),
``keepalive_timeout_s`` (advertised in negotiate; ``{}`` keep-alives are sent every third of it),
``rejected_channels`` {channel: error} (SwitchChannels answers ``{"I":..,"E":error}``).

Records (inspect in assertions): ``requests`` (every REST/hub HTTP call: method, path, params,
token, status served), ``tokens_issued``, ``negotiations`` (token used), ``connections`` (one
per accepted socket, with its token, channels and ``number``), ``hub_calls`` (every client
invocation: connection number, method, args, id), ``unauthorized_served``.

Faults: ``expire_tokens()`` (every issued token now answers 401), ``fail_next(status, times,
path=..., retry_after=...)`` (the next matching REST calls answer ``status`` — 401, 429 with
``Retry-After``, 500/503 ...), ``drop_connections()`` (server closes every socket),
``silence_connections()`` (open sockets stop receiving keep-alives and data),
``hub_error(message)`` (the hub calls the client's ``Error`` method), ``send_raw(frame)``
(any frame to every live connection).

Hub output: ``await broadcast(envelope)`` sends one Broadcast frame
``{"C":cursor,"M":[{"H":"FcMarketDataV2Hub","M":"Broadcast","A":["<envelope JSON>"]}]}`` to each
live connection subscribed to a matching channel (``X-TRADE:ALL``, ``X-TRADE:SSI-ACB`` ...);
``envelope`` is the text or a dict (its ``Content`` dict is JSON-encoded again, as SSI does).
``await wait_until(predicate)`` polls a condition on the records (default 5 s).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import logging
import random
import secrets
import socket
import time
import uuid
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Callable, Mapping, Sequence

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

log = logging.getLogger(__name__)

HUB_NAME = "FcMarketDataV2Hub"
DEFAULT_VN30 = (
    "ACB", "BCM", "BID", "BVH", "CTG", "FPT", "GAS", "GVR", "HDB", "HPG",
    "LPB", "MBB", "MSN", "MWG", "PLX", "SAB", "SHB", "SSB", "SSI", "STB",
    "TCB", "TPB", "VCB", "VHM", "VIB", "VIC", "VJC", "VNM", "VPB", "VRE",
)
INVALID_CREDENTIALS_MESSAGE = "Invalid consumerID or consumerSecret"


# --------------------------------------------------------------------------- sample data


def sample_daily_rows(symbol: str, start: date, end: date, *, market: str = "HOSE") -> list[dict]:
    """Deterministic DailyOhlc rows (weekdays) in SSI's wire shape: numbers as strings."""
    rng = random.Random(zlib.crc32(symbol.encode()))
    price = rng.randrange(200, 1200) * 50
    rows: list[dict] = []
    day = start
    while day <= end:
        if day.weekday() < 5:
            open_ = price
            close = max(1000, open_ + rng.randrange(-10, 11) * 50)
            high = max(open_, close) + rng.randrange(0, 4) * 50
            low = min(open_, close) - rng.randrange(0, 4) * 50
            volume = rng.randrange(1, 400_000) * 100
            value = Decimal(volume) * Decimal(close) + Decimal(rng.randrange(0, 10_000)) / 10_000
            rows.append({
                "Symbol": symbol, "Market": market, "TradingDate": day.strftime("%d/%m/%Y"),
                "Time": None, "Open": str(open_), "High": str(high), "Low": str(low),
                "Close": str(close),
                # Both spellings occur in the wild: "23382100" and "23382100.0".
                "Volume": f"{volume}.0" if day.day % 3 == 0 else str(volume),
                "Value": f"{value:.4f}",
            })
            price = close
        day += timedelta(days=1)
    return rows


def sample_daily_index_rows(index_id: str, start: date, end: date) -> list[dict]:
    rng = random.Random(zlib.crc32(index_id.encode()))
    level = Decimal("1250.35")
    rows: list[dict] = []
    day = start
    while day <= end:
        if day.weekday() < 5:
            change = Decimal(rng.randrange(-2000, 2001)) / 100
            ratio = (change / level * 100).quantize(Decimal("0.01"))
            level += change
            rows.append({
                "IndexId": index_id, "IndexValue": f"{level:.2f}",
                "TradingDate": day.strftime("%d/%m/%Y"), "Time": None,
                "Change": f"{change:.2f}", "RatioChange": f"{ratio:.2f}",
                "TotalTrade": "0", "TotalMatchVol": str(rng.randrange(10**7, 10**9)),
                "TotalMatchVal": f"{rng.randrange(10**12, 10**13)}.0000",
                "TypeIndex": "Main", "IndexName": index_id, "Advances": "12",
                "NoChanges": "3", "Declines": "15", "Ceiling": "0", "Floor": "0",
                "TotalDealVol": "0", "TotalDealVal": "0", "TotalVol": "0", "TotalVal": "0",
                "TradingSession": None, "Exchange": "HOSE",
            })
        day += timedelta(days=1)
    return rows


def sample_securities_rows() -> dict[str, list[dict]]:
    """Securities rows per market in SSI's shape: SSI's names are upper case without accents,
    some English names are null, and the list mixes stocks, ETFs, covered warrants, futures."""
    hose = [
        {"Market": "HOSE", "Symbol": "AAA", "StockName": "CTCP NHUA&MT XANH AN PHAT",
         "StockEnName": "An Phat Bioplastics Joint Stock Company"},
        {"Market": "HOSE", "Symbol": "ACB", "StockName": "NGAN HANG TMCP A CHAU",
         "StockEnName": "Asia Commercial Joint Stock Bank"},
        {"Market": "HOSE", "Symbol": "E1VFVN30", "StockName": "QUY ETF DCVFMVN30",
         "StockEnName": "DCVFMVN30 ETF Fund"},
        {"Market": "HOSE", "Symbol": "CFPT2401", "StockName": "CW FPT/VND/EU/CASH/6M/01",
         "StockEnName": None},
        {"Market": "HOSE", "Symbol": "FPT", "StockName": "CTCP FPT", "StockEnName": "FPT Corporation"},
        {"Market": "HOSE", "Symbol": "HAG", "StockName": "CTCP HOANG ANH GIA LAI",
         "StockEnName": "Hoang Anh Gia Lai Joint Stock Company"},
        {"Market": "HOSE", "Symbol": "VNM", "StockName": "CTCP SUA VIET NAM",
         "StockEnName": "Vietnam Dairy Products Joint Stock Company"},
    ]
    hnx = [
        {"Market": "HNX", "Symbol": "PVS", "StockName": "TONG CTCP DICH VU KY THUAT DAU KHI VIET NAM",
         "StockEnName": "PetroVietnam Technical Services Corporation"},
        {"Market": "HNX", "Symbol": "SHS", "StockName": "CTCP CHUNG KHOAN SAI GON HA NOI",
         "StockEnName": "Saigon - Hanoi Securities Joint Stock Company"},
    ]
    upcom = [
        {"Market": "UPCOM", "Symbol": "BSR", "StockName": "CTCP LOC HOA DAU BINH SON",
         "StockEnName": "Binh Son Refining and Petrochemical Joint Stock Company"},
        {"Market": "UPCOM", "Symbol": "", "StockName": "KHONG CO MA", "StockEnName": None},
    ]
    der = [
        {"Market": "DER", "Symbol": code, "StockName": f"HOP DONG TUONG LAI VN30 {code[-4:]}",
         "StockEnName": f"VN30 Index Futures {code[-4:]}"}
        for code in ("VN30F2412", "VN30F2501", "VN30F2503", "VN30F2506")
    ]
    return {"HOSE": hose, "HNX": hnx, "UPCOM": upcom, "DER": der}


# --------------------------------------------------------------------------- records


@dataclass
class RecordedRequest:
    method: str
    path: str
    params: dict[str, str]
    token: str | None
    status: int = 200
    at: float = field(default_factory=time.monotonic)


@dataclass
class HubCall:
    connection: int
    method: str
    args: list[Any]
    call_id: Any
    hub: str


@dataclass
class Negotiation:
    token: str | None
    connection_token: str
    method: str
    params: dict[str, str]


@dataclass
class HubConnection:
    number: int
    token: str | None
    connection_token: str
    websocket: WebSocket
    channels: list[str] = field(default_factory=list)
    silent: bool = False
    closed: bool = False


@dataclass
class _Fault:
    status: int
    times: int
    path: str | None
    retry_after: str | None


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _parse_ssi_date(text: str) -> date:
    return datetime.strptime(text, "%d/%m/%Y").date()


def _row_date(row: Mapping[str, Any]) -> date:
    return _parse_ssi_date(str(row["TradingDate"]))


# --------------------------------------------------------------------------- the server


class LocalSsiServer:
    """See the module docstring."""

    def __init__(
        self,
        *,
        consumer_id: str = "test-consumer-id",
        consumer_secret: str = "test-consumer-secret-3f9a",
        token_lifetime_s: float = 8 * 3600.0,
        daily_ohlc: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
        daily_index: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
        index_components: Mapping[str, Sequence[str]] | None = None,
        securities_details: Mapping[str, Sequence[str]] | None = None,
        securities: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
        max_range_days: int | None = None,
        keepalive_timeout_s: float | None = 20.0,
        keepalive_interval_s: float | None = None,
        rejected_channels: Mapping[str, str] | None = None,
    ) -> None:
        self.consumer_id = consumer_id
        self.consumer_secret = consumer_secret
        self.token_lifetime_s = token_lifetime_s
        self.daily_ohlc = {k.upper(): list(v) for k, v in (daily_ohlc or {}).items()}
        self.daily_index = {k.upper(): list(v) for k, v in (daily_index or {}).items()}
        self.index_components = {"VN30": list(DEFAULT_VN30), **(index_components or {})}
        self.securities_details = {
            "DER": ["VN30F2412", "VN30F2501", "VN30F2503", "VN30F2506"],
            **(securities_details or {}),
        }
        self.securities = {k.upper(): list(v) for k, v in (securities or {}).items()}
        self.max_range_days = max_range_days
        self.keepalive_timeout_s = keepalive_timeout_s
        self.keepalive_interval_s = keepalive_interval_s or (
            keepalive_timeout_s / 3 if keepalive_timeout_s else None
        )
        self.rejected_channels = dict(rejected_channels or {})
        # records
        self.requests: list[RecordedRequest] = []
        self.tokens_issued: list[str] = []
        self.negotiations: list[Negotiation] = []
        self.connections: list[HubConnection] = []
        self.hub_calls: list[HubCall] = []
        self.unauthorized_served = 0
        # state
        self._key = secrets.token_bytes(32)
        self._token_expiry: dict[str, float] = {}  # token -> wall-clock expiry
        self._connection_tokens: set[str] = set()
        self._faults: list[_Fault] = []
        self._cursor = 0
        self._servers: list[uvicorn.Server] = []
        self._tasks: list[asyncio.Task] = []
        self._conn_tasks: set[asyncio.Task] = set()
        self.data_url = ""
        self.stream_url = ""

    # ------------------------------------------------------------------ lifecycle
    async def __aenter__(self) -> "LocalSsiServer":
        rest = Starlette(routes=[
            Route("/api/v2/Market/AccessToken", self._access_token, methods=["POST"]),
            Route("/api/v2/Market/DailyOhlc", self._daily_ohlc, methods=["GET"]),
            Route("/api/v2/Market/DailyIndex", self._daily_index, methods=["GET"]),
            Route("/api/v2/Market/IndexComponents", self._index_components, methods=["GET"]),
            Route("/api/v2/Market/SecuritiesDetails", self._securities_details, methods=["GET"]),
            Route("/api/v2/Market/Securities", self._securities, methods=["GET"]),
        ])
        hub = Starlette(routes=[
            Route("/v2.0/signalr/negotiate", self._negotiate, methods=["GET", "POST"]),
            Route("/v2.0/signalr/start", self._start, methods=["GET", "POST"]),
            WebSocketRoute("/v2.0/signalr/connect", self._connect),
        ])
        ports = []
        for app in (rest, hub):
            # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on sockets that say so (else +40 ms).
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(("127.0.0.1", 0))
            sock.listen(64)
            sock.setblocking(False)
            config = uvicorn.Config(
                app, lifespan="off", log_config=None, access_log=False, log_level="warning",
                ws="websockets-sansio", ws_ping_interval=None, timeout_graceful_shutdown=1,
            )
            server = uvicorn.Server(config)
            server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
            self._servers.append(server)
            self._tasks.append(asyncio.create_task(server.serve(sockets=[sock])))
            ports.append(sock.getsockname()[1])
        for server in self._servers:
            while not server.started:
                await asyncio.sleep(0.005)
        self.data_url = f"http://127.0.0.1:{ports[0]}/"
        self.stream_url = f"http://127.0.0.1:{ports[1]}/"
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.drop_connections()
        for server in self._servers:
            server.should_exit = True
        for task in self._conn_tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    # ------------------------------------------------------------------ faults and helpers
    def expire_tokens(self) -> None:
        """Every token issued so far is now expired (401 on its next use)."""
        for token in self._token_expiry:
            self._token_expiry[token] = 0.0

    def fail_next(
        self, status: int, times: int = 1, *, path: str | None = None,
        retry_after: str | float | None = None,
    ) -> None:
        """The next ``times`` REST calls whose path contains ``path`` answer ``status``."""
        self._faults.append(_Fault(status, times, path,
                                   None if retry_after is None else str(retry_after)))

    async def drop_connections(self) -> None:
        for conn in list(self.connections):
            if not conn.closed:
                conn.closed = True
                with contextlib.suppress(Exception):
                    await conn.websocket.close(code=1011)

    def silence_connections(self) -> None:
        for conn in self.connections:
            conn.silent = True

    @property
    def live_connections(self) -> list[HubConnection]:
        return [c for c in self.connections if not c.closed and not c.silent]

    def calls(self, method: str, connection: int | None = None) -> list[HubCall]:
        return [c for c in self.hub_calls
                if c.method == method and (connection is None or c.connection == connection)]

    def data_requests(self, path_part: str) -> list[RecordedRequest]:
        return [r for r in self.requests if path_part in r.path]

    async def wait_until(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError("local SSI server: condition not reached in time")
            await asyncio.sleep(0.01)

    async def broadcast(self, envelope: str | Mapping[str, Any]) -> int:
        """Send one Broadcast to matching live connections; returns how many got it."""
        if isinstance(envelope, Mapping):
            content = envelope.get("Content")
            if not isinstance(content, str):
                content = json.dumps(content, separators=(",", ":"))
            envelope = json.dumps({"DataType": envelope["DataType"], "Content": content},
                                  separators=(",", ":"))
        parsed = json.loads(envelope)
        content = json.loads(parsed["Content"])
        data_type = str(parsed["DataType"])
        symbol = str(content.get("Symbol") or content.get("IndexId") or content.get("IndexID") or "")
        sent = 0
        for conn in self.live_connections:
            if any(_channel_matches(ch, data_type, symbol) for ch in conn.channels):
                await self._send(conn, {"C": self._next_cursor(), "M": [
                    {"H": HUB_NAME, "M": "Broadcast", "A": [envelope]}]})
                sent += 1
        return sent

    async def send_raw(self, frame: str | Mapping[str, Any]) -> None:
        """Send an arbitrary frame to every live connection (protocol edge cases)."""
        for conn in self.live_connections:
            if isinstance(frame, str):
                await conn.websocket.send_text(frame)
            else:
                await self._send(conn, frame)

    async def hub_error(self, message: str) -> None:
        for conn in self.live_connections:
            await self._send(conn, {"C": self._next_cursor(), "M": [
                {"H": HUB_NAME, "M": "Error", "A": [message]}]})

    # ------------------------------------------------------------------ internals
    def _issue_token(self) -> str:
        now = time.time()
        header = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        claims = {
            "unique_name": self.consumer_id, "nbf": now, "iat": now,
            "exp": now + self.token_lifetime_s, "iss": "local-ssi", "aud": "fc-data",
            "jti": uuid.uuid4().hex,
        }
        payload = _b64url(json.dumps(claims).encode())
        signature = _b64url(hmac.new(self._key, f"{header}.{payload}".encode(),
                                     hashlib.sha256).digest())
        token = f"{header}.{payload}.{signature}"
        self._token_expiry[token] = now + self.token_lifetime_s
        self.tokens_issued.append(token)
        return token

    @staticmethod
    def _bearer(headers: Mapping[str, str]) -> str | None:
        value = headers.get("authorization", "")
        if value.lower().startswith("bearer "):
            return value[7:].strip()
        return None

    def _token_valid(self, token: str | None) -> bool:
        return token is not None and self._token_expiry.get(token, 0.0) > time.time()

    def _take_fault(self, path: str) -> _Fault | None:
        for fault in self._faults:
            if fault.times > 0 and (fault.path is None or fault.path in path):
                fault.times -= 1
                return fault
        return None

    def _record(self, request: Request) -> RecordedRequest:
        record = RecordedRequest(request.method, request.url.path, dict(request.query_params),
                                 self._bearer(request.headers))
        self.requests.append(record)
        return record

    def _guard(self, request: Request, record: RecordedRequest, *, auth: bool) -> Response | None:
        fault = self._take_fault(request.url.path)
        if fault is not None:
            record.status = fault.status
            headers = {"Retry-After": fault.retry_after} if fault.retry_after else None
            if fault.status == 401:
                self.unauthorized_served += 1
            return JSONResponse({"message": f"injected HTTP {fault.status}"},
                                status_code=fault.status, headers=headers)
        if auth and not self._token_valid(record.token):
            record.status = 401
            self.unauthorized_served += 1
            return JSONResponse({"message": "Authorization has been denied for this request."},
                                status_code=401)
        return None

    def _next_cursor(self) -> str:
        self._cursor += 1
        return f"d-5E1C2A7B-B,{self._cursor}|C,0"

    async def _send(self, conn: HubConnection, frame: Mapping[str, Any]) -> None:
        if conn.closed:
            return
        try:
            await conn.websocket.send_text(json.dumps(frame, separators=(",", ":")))
        except Exception:  # the peer went away between checks
            conn.closed = True

    # ------------------------------------------------------------------ REST endpoints
    async def _access_token(self, request: Request) -> Response:
        record = self._record(request)
        if (denied := self._guard(request, record, auth=False)) is not None:
            return denied
        try:
            body = await request.json()
        except ValueError:
            body = {}
        if (body.get("consumerID") != self.consumer_id
                or body.get("consumerSecret") != self.consumer_secret):
            # Like SSI: HTTP 200, a non-200 numeric status and a message.
            return JSONResponse({"message": INVALID_CREDENTIALS_MESSAGE, "status": 400,
                                 "data": None})
        return JSONResponse({"message": "Success", "status": 200,
                             "data": {"accessToken": self._issue_token()}})

    def _envelope(self, rows: Sequence[Any], total: int) -> Response:
        return JSONResponse({"data": list(rows), "message": "Success", "status": "Success",
                             "totalRecord": total})

    @staticmethod
    def _error(message: str) -> Response:
        return JSONResponse({"data": None, "message": message, "status": "BadRequest",
                             "totalRecord": 0})

    def _ranged(self, request: Request, dataset: Mapping[str, Sequence[Mapping[str, Any]]],
                key: str) -> Response:
        q = request.query_params
        try:
            start = _parse_ssi_date(q["fromDate"])
            end = _parse_ssi_date(q["toDate"])
            page_index = int(q.get("pageIndex", "1"))
            page_size = int(q.get("pageSize", "10"))
        except (KeyError, ValueError) as exc:
            return self._error(f"Invalid request parameters: {exc}")
        if page_index < 1 or not 1 <= page_size <= 1000:
            return self._error("pageIndex must be >= 1 and pageSize between 1 and 1000")
        if end < start:
            return self._error("fromDate must not be after toDate")
        if self.max_range_days is not None and (end - start).days + 1 > self.max_range_days:
            return self._error(f"Date range must not exceed {self.max_range_days} days")
        rows = [r for r in dataset.get(q.get(key, "").upper(), ())
                if start <= _row_date(r) <= end]
        rows.sort(key=_row_date, reverse=q.get("ascending", "true").lower() == "false")
        first = (page_index - 1) * page_size
        return self._envelope(rows[first:first + page_size], len(rows))

    async def _daily_ohlc(self, request: Request) -> Response:
        record = self._record(request)
        if (denied := self._guard(request, record, auth=True)) is not None:
            return denied
        return self._ranged(request, self.daily_ohlc, "symbol")

    async def _daily_index(self, request: Request) -> Response:
        record = self._record(request)
        if (denied := self._guard(request, record, auth=True)) is not None:
            return denied
        return self._ranged(request, self.daily_index, "indexId")

    async def _index_components(self, request: Request) -> Response:
        record = self._record(request)
        if (denied := self._guard(request, record, auth=True)) is not None:
            return denied
        code = request.query_params.get("indexCode", "").upper()
        members = self.index_components.get(code)
        if not members:
            return self._envelope([], 0)
        return self._envelope([{
            "IndexCode": code, "IndexName": code, "Exchange": "HOSE",
            "TotalSymbolNo": str(len(members)),
            "IndexComponent": [{"Isin": s, "StockSymbol": s} for s in members],
        }], 1)

    async def _securities_details(self, request: Request) -> Response:
        record = self._record(request)
        if (denied := self._guard(request, record, auth=True)) is not None:
            return denied
        market = request.query_params.get("market", "").upper()
        symbols = self.securities_details.get(market, [])
        return self._envelope([{
            "RType": "y", "ReportDate": date.today().strftime("%d/%m/%Y"),
            "TotalNoSym": str(len(symbols)),
            "RepeatedInfo": [{"Isin": s, "Symbol": s, "SymbolName": s, "SymbolEngName": s,
                              "SecType": "FU", "MarketId": market, "Exchange": market,
                              "LotSize": "1"} for s in symbols],
        }], 1)

    async def _securities(self, request: Request) -> Response:
        record = self._record(request)
        if (denied := self._guard(request, record, auth=True)) is not None:
            return denied
        q = request.query_params
        try:
            page_index = int(q.get("pageIndex", "1"))
            page_size = int(q.get("pageSize", "10"))
        except ValueError as exc:
            return self._error(f"Invalid request parameters: {exc}")
        if page_index < 1 or not 1 <= page_size <= 1000:
            return self._error("pageIndex must be >= 1 and pageSize between 1 and 1000")
        rows = self.securities.get(q.get("market", "").upper(), [])
        first = (page_index - 1) * page_size
        return self._envelope(rows[first:first + page_size], len(rows))

    # ------------------------------------------------------------------ SignalR endpoints
    @staticmethod
    def _connection_data_ok(params: Mapping[str, str]) -> bool:
        try:
            hubs = json.loads(params.get("connectionData", ""))
            return any(str(h.get("name", "")).lower() == HUB_NAME.lower() for h in hubs)
        except (ValueError, AttributeError, TypeError):
            return False

    async def _negotiate(self, request: Request) -> Response:
        record = self._record(request)
        if (denied := self._guard(request, record, auth=True)) is not None:
            return denied
        params = dict(request.query_params)
        if not self._connection_data_ok(params) or "clientProtocol" not in params:
            record.status = 400
            return Response("Protocol error: missing connectionData or clientProtocol",
                            status_code=400)
        # Real tokens are base64 with '+', '/' and '=': the client must URL-encode them.
        connection_token = base64.b64encode(secrets.token_bytes(40)).decode() + "+/="
        self._connection_tokens.add(connection_token)
        self.negotiations.append(Negotiation(record.token, connection_token, request.method,
                                             params))
        return JSONResponse({
            "Url": "/v2.0/signalr", "ConnectionToken": connection_token,
            "ConnectionId": str(uuid.uuid4()), "KeepAliveTimeout": self.keepalive_timeout_s,
            "DisconnectTimeout": 30.0, "ConnectionTimeout": 110.0, "TryWebSockets": True,
            "ProtocolVersion": "1.5", "TransportConnectTimeout": 5.0, "LongPollDelay": 0.0,
        })

    async def _start(self, request: Request) -> Response:
        record = self._record(request)
        if (denied := self._guard(request, record, auth=True)) is not None:
            return denied
        if request.query_params.get("connectionToken") not in self._connection_tokens:
            record.status = 400
            return Response("The connection id is in the incorrect format.", status_code=400)
        return JSONResponse({"Response": "started"})

    async def _connect(self, websocket: WebSocket) -> None:
        params = dict(websocket.query_params)
        token = self._bearer(websocket.headers)
        problem = None
        if params.get("transport") != "webSockets":
            problem = (400, "Protocol error: Unknown transport.")
        elif params.get("connectionToken") not in self._connection_tokens:
            problem = (400, "The connection id is in the incorrect format.")
        elif not self._connection_data_ok(params):
            problem = (400, "Protocol error: missing connectionData")
        elif not self._token_valid(token):
            self.unauthorized_served += 1
            problem = (401, "Authorization has been denied for this request.")
        if problem is not None:
            self.requests.append(RecordedRequest("GET", "/v2.0/signalr/connect", params, token,
                                                 problem[0]))
            await websocket.send_denial_response(Response(problem[1], status_code=problem[0]))
            return
        await websocket.accept()
        conn = HubConnection(len(self.connections) + 1, token, params["connectionToken"],
                             websocket)
        self.connections.append(conn)
        task = asyncio.current_task()
        if task is not None:
            self._conn_tasks.add(task)
        keepalive = asyncio.create_task(self._keepalive(conn))
        try:
            await self._send(conn, {"C": self._next_cursor(), "S": 1, "M": []})
            while True:
                text = await websocket.receive_text()
                await self._invoke(conn, text)
        except (WebSocketDisconnect, RuntimeError, asyncio.CancelledError):
            pass
        finally:
            conn.closed = True
            keepalive.cancel()
            if task is not None:
                self._conn_tasks.discard(task)

    async def _keepalive(self, conn: HubConnection) -> None:
        if not self.keepalive_interval_s:
            return
        while not conn.closed:
            await asyncio.sleep(self.keepalive_interval_s)
            if not conn.silent:
                await self._send(conn, {})

    async def _invoke(self, conn: HubConnection, text: str) -> None:
        try:
            message = json.loads(text)
            hub, method, args, call_id = message["H"], message["M"], message["A"], message["I"]
        except (ValueError, KeyError, TypeError):
            log.warning("local SSI hub: malformed invocation %r", text)
            return
        self.hub_calls.append(HubCall(conn.number, method, list(args), call_id, hub))
        reply: dict[str, Any] = {"I": str(call_id)}
        if str(hub).lower() != HUB_NAME.lower():
            reply["E"] = f"'{hub}' Hub could not be resolved."
        elif method != "SwitchChannels":
            reply["E"] = f"'{method}' method could not be resolved."
        elif len(args) != 1 or not isinstance(args[0], str):
            reply["E"] = "SwitchChannels takes one channel string"
        elif args[0] in self.rejected_channels:
            reply["E"] = self.rejected_channels[args[0]]
        else:
            conn.channels.append(args[0])
        if not conn.silent:
            await self._send(conn, reply)


def _channel_matches(channel: str, data_type: str, symbol: str) -> bool:
    kind, _, symbols = channel.partition(":")
    if kind.upper() != data_type.upper():
        return False
    return symbols.upper() == "ALL" or symbol.upper() in symbols.upper().split("-")
