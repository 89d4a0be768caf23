"""A local Telegram Bot API + webhook receiver for tests: real answer shapes, scripted faults.

Starlette + uvicorn on the test's own loop, one 127.0.0.1 port:

* ``POST /bot<token>/sendMessage`` (JSON or form body) answers like the Bot API:
  200 ``{"ok":true,"result":{"message_id":N,"chat":{"id":..},"date":..,"text":..}}``;
  401 ``{"ok":false,"error_code":401,"description":"Unauthorized"}`` for another token;
  400 ``{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}`` for another chat.
* ``POST /hook`` records the JSON body and answers 200 ``{"received": true}``.

Usage::

    async with LocalPushServer(token="123:ABC", chat_id="42") as push:
        settings ... telegram_api_url=push.url, webhook_url=push.webhook_url
        push.fail_next("telegram", 429)          # Telegram's 429 shape with parameters.retry_after
        push.fail_next("webhook", 500, times=2)

Records: ``messages`` (accepted Telegram messages: dicts with chat_id, text), ``hooks`` (accepted
webhook bodies, each with its ``Idempotency-Key`` under ``_key``), ``answers`` (every request:
(target, status)). ``down`` = True makes every request answer 503 (a channel down all day);
``hang`` = True makes every request wait for ``release()`` (a channel that never answers).
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections import deque
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


def telegram_error(status: int, retry_after: int = 1) -> dict[str, Any]:
    """The Bot API's error bodies for the statuses the tests use."""
    if status == 429:
        return {"ok": False, "error_code": 429, "description": f"Too Many Requests: retry after {retry_after}",
                "parameters": {"retry_after": retry_after}}
    if status == 401:
        return {"ok": False, "error_code": 401, "description": "Unauthorized"}
    if status == 400:
        return {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"}
    if status == 403:
        return {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}
    return {"ok": False, "error_code": status, "description": "Internal Server Error"}


class LocalPushServer:
    def __init__(self, *, token: str = "123456:TEST-token-SECRET", chat_id: str = "4242") -> None:
        self.token = token
        self.chat_id = chat_id
        self.messages: list[dict[str, Any]] = []
        self.hooks: list[dict[str, Any]] = []
        self.answers: list[tuple[str, int]] = []
        self.down = False
        self.hang = False
        self._released = asyncio.Event()
        self._faults: dict[str, deque[tuple[int, int]]] = {"telegram": deque(), "webhook": deque()}
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task | None = None
        self._message_id = 0
        self.url = ""

    @property
    def webhook_url(self) -> str:
        return f"{self.url}/hook"

    def fail_next(self, target: str, status: int, *, times: int = 1, retry_after: int = 1) -> None:
        """The next ``times`` requests to ``target`` ("telegram" | "webhook") answer ``status``."""
        for _ in range(times):
            self._faults[target].append((status, retry_after))

    async def __aenter__(self) -> "LocalPushServer":
        app = Starlette(routes=[
            Route("/bot{token:str}/sendMessage", self._send_message, methods=["POST"]),
            Route("/hook", self._hook, methods=["POST"]),
        ])
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        config = uvicorn.Config(app, lifespan="off", log_config=None, access_log=False, log_level="warning",
                                timeout_graceful_shutdown=1)
        self._server = uvicorn.Server(config)
        self._server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]))
        while not self._server.started:
            await asyncio.sleep(0.01)
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        return self

    def release(self) -> None:
        """Let hanging requests go on (they are then served normally)."""
        self.hang = False
        self._released.set()

    async def _maybe_hang(self) -> None:
        if self.hang:
            await self._released.wait()

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._server is not None and self._task is not None
        self.release()
        self._server.should_exit = True
        await asyncio.gather(self._task, return_exceptions=True)

    async def wait_until(self, predicate, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"condition not met within {timeout} s; answers: {self.answers[-10:]}")
            await asyncio.sleep(0.02)

    # ------------------------------------------------------------------ handlers
    def _fault(self, target: str) -> tuple[int, int] | None:
        if self.down:
            return (503, 0)
        return self._faults[target].popleft() if self._faults[target] else None

    async def _send_message(self, request: Request) -> JSONResponse:
        if request.headers.get("content-type", "").startswith("application/json"):
            body = await request.json()
        else:
            body = dict(await request.form())
        await self._maybe_hang()
        fault = self._fault("telegram")
        if request.path_params["token"] != self.token:
            status, answer = 401, telegram_error(401)
        elif fault is not None:
            status, answer = fault[0], telegram_error(fault[0], fault[1])
        elif str(body.get("chat_id")) != self.chat_id:
            status, answer = 400, telegram_error(400)
        else:
            self._message_id += 1
            self.messages.append(body)
            status = 200
            answer = {"ok": True, "result": {
                "message_id": self._message_id, "date": int(time.time()), "text": body.get("text"),
                "chat": {"id": int(self.chat_id), "type": "private"},
                "from": {"id": 1, "is_bot": True, "first_name": "stock-tracker-test"}}}
        self.answers.append(("telegram", status))
        headers = {"Retry-After": str(fault[1])} if fault is not None and fault[0] == 429 else None
        return JSONResponse(answer, status_code=status, headers=headers)

    async def _hook(self, request: Request) -> JSONResponse:
        body = await request.json()
        await self._maybe_hang()
        fault = self._fault("webhook")
        if fault is not None:
            self.answers.append(("webhook", fault[0]))
            headers = {"Retry-After": str(fault[1])} if fault[0] == 429 else None
            return JSONResponse({"error": "scripted"}, status_code=fault[0], headers=headers)
        body["_key"] = request.headers.get("Idempotency-Key")
        self.hooks.append(body)
        self.answers.append(("webhook", 200))
        return JSONResponse({"received": True})
