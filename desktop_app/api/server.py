"""Serving the history API with uvicorn on the caller's asyncio loop, over a read-only pool.

Read-only is enforced by PostgreSQL, not by our discipline: the API's pool connects with the
server setting ``default_transaction_read_only=on``, so any write attempted through it fails with
"cannot execute … in a read-only transaction" whatever the code above does. A statement timeout
bounds what one request can cost.

The socket is bound here, before uvicorn starts, so that "address in use" becomes a clear
``ApiBindError`` instead of uvicorn's ``sys.exit`` inside a task (which would take the GUI's loop
down with it). uvicorn never touches signal handlers (``_EmbeddedServer``): in the GUI they are
the window's, under ``serve-api`` the app runtime's (``services/runtime.py``), which stops the
server gracefully.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import sys
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Iterator

import asyncpg
import uvicorn

from desktop_app.errors import ConfigurationError

if TYPE_CHECKING:
    from desktop_app.config import Settings

log = logging.getLogger(__name__)

READ_ONLY_SETTINGS = {
    "default_transaction_read_only": "on",
    "statement_timeout": "15000",  # ms
    "application_name": "stock-tracker-api",
}


class ApiBindError(ConfigurationError):
    """The API cannot listen on the requested address (in use, not local, not permitted)."""


async def open_read_only_pool(dsn: str, *, min_size: int = 1, max_size: int = 5) -> asyncpg.Pool:
    """An asyncpg pool whose every transaction is read-only (PostgreSQL enforces it)."""
    pool = await asyncpg.create_pool(
        dsn, min_size=min_size, max_size=max_size, server_settings=READ_ONLY_SETTINGS, timeout=10
    )
    assert pool is not None
    return pool


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening-ready TCP socket on (host, port); port 0 picks a free one."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ApiBindError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.set_inheritable(True)
    return sock


class _EmbeddedServer(uvicorn.Server):
    """uvicorn that leaves the host application's signal handlers alone."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@dataclass
class ApiServerHandle:
    """A running API server: where it listens, and how to stop it."""

    host: str
    port: int
    _server: uvicorn.Server = field(repr=False)
    _task: asyncio.Task[None] = field(repr=False)
    _pool: asyncpg.Pool = field(repr=False)

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def running(self) -> bool:
        return not self._task.done()

    @property
    def pool(self) -> asyncpg.Pool:
        """The read-only pool the API reads through (its health checks too)."""
        return self._pool

    async def wait_closed(self) -> None:
        """Until the server ends by itself (an error); ``stop()`` is what ends it normally."""
        await asyncio.wait([self._task])

    async def stop(self) -> None:
        """Finish in-flight requests, stop listening and close the pool. Idempotent."""
        self._server.should_exit = True
        try:
            await self._task
        finally:
            await self._pool.close()


def _config(app: object, host: str, port: int, *, access_log: bool) -> uvicorn.Config:
    return uvicorn.Config(
        app, host=host, port=port, lifespan="off", log_config=None, access_log=access_log,
        timeout_graceful_shutdown=5,
    )


async def _launch(app: object, pool: asyncpg.Pool, sock: socket.socket, host: str, *,
                  access_log: bool) -> ApiServerHandle:
    """Serve ``app`` on ``sock`` as a task of this loop; returns once it accepts connections.
    On failure the pool is closed (the handle would have owned it)."""
    actual_port = sock.getsockname()[1]
    server = _EmbeddedServer(_config(app, host, actual_port, access_log=access_log))
    task = asyncio.create_task(server.serve(sockets=[sock]), name="history-api")
    while not server.started and not task.done():
        await asyncio.sleep(0.01)
    if task.done():
        await pool.close()
        task.result()  # raises what stopped it
        raise RuntimeError("the history API server stopped during start-up")
    log.info("history API serving on %s:%d", host, actual_port)
    return ApiServerHandle(host, actual_port, server, task, pool)


async def _serve_on(sock: socket.socket, host: str, dsn: str, *, access_log: bool,
                    big_trade_min_value: Decimal | None = None) -> ApiServerHandle:
    """The API over a read-only pool on ``dsn``, served on an already bound ``sock``."""
    from desktop_app.api.history import create_app
    from desktop_app.services.metrics import add_health_route

    pool = await open_read_only_pool(dsn)
    try:
        app = create_app(pool) if big_trade_min_value is None else create_app(
            pool, big_trade_min_value=big_trade_min_value)
        add_health_route(app, pool)
    except BaseException:
        await pool.close()
        raise
    return await _launch(app, pool, sock, host, access_log=access_log)


async def start_server(dsn: str, host: str = "127.0.0.1", port: int = 8765) -> ApiServerHandle:
    """Serve the API on the running loop until ``stop()``; returns once it accepts connections."""
    sock = bind_socket(host, port)
    try:
        return await _serve_on(sock, host, dsn, access_log=False)
    except BaseException:
        sock.close()
        raise


async def serve_until_stopped(settings: "Settings", host: str, port: int,
                              metrics_address: tuple[str, int] | None = None) -> int:
    """The ``serve-api`` command: the app runtime in its serve-api mode, until SIGINT/SIGTERM
    (exit 0 after a graceful shutdown)."""
    from desktop_app.services.runtime import Mode, Runtime

    with contextlib.closing(bind_socket(host, port)) as sock:  # before the database: busy port = exit 2
        async with Runtime(settings, Mode.SERVE_API) as runtime:
            await runtime.open_database()
            api = await runtime.start_api(lambda database: _serve_on(
                sock, host, database.dsn, access_log=True,
                big_trade_min_value=Decimal(settings.big_trade_min_value)))
            assert isinstance(api, ApiServerHandle)
            await runtime.start_metrics(metrics_address, database=api.pool)
            print(
                f"stock-tracker: history API on http://{host}:{api.port}/api/history "
                f"(OpenAPI: /openapi.json, docs: /docs); Ctrl+C to stop",
                file=sys.stderr, flush=True,
            )
            await runtime.wait(until=api.wait_closed())
    return 0
