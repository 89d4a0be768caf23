"""The API as served by uvicorn: on the caller's loop (the GUI's way), by ``serve-api`` (a
subprocess), and fuzzed by schemathesis from its own OpenAPI document (no 5xx allowed)."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, settings

from desktop_app.api.history import start_api_server
from desktop_app.api.server import ApiBindError

pytestmark = pytest.mark.timeout(120)


async def test_start_api_server_serves_on_this_loop_until_stopped(database_url: str, history_rows) -> None:
    handle = await start_api_server(SimpleNamespace(dsn=database_url), "127.0.0.1", 0)
    try:
        assert handle.host == "127.0.0.1" and handle.port > 0 and handle.running
        async with httpx.AsyncClient(base_url=handle.url) as client:
            r = await client.get("/api/history/FPT/daily", params={"from": "2024-01-02", "to": "2024-01-02"})
        assert r.status_code == 200 and r.json()["items"][0]["close"] == "96500.50"
        with pytest.raises(ApiBindError, match=f"cannot listen on 127.0.0.1:{handle.port}"):
            await start_api_server(SimpleNamespace(dsn=database_url), "127.0.0.1", handle.port)
    finally:
        await handle.stop()
    assert not handle.running
    with pytest.raises(httpx.ConnectError):
        async with httpx.AsyncClient(base_url=handle.url) as client:
            await client.get("/openapi.json")


def _fuzz(base_url: str, examples_per_operation: int) -> list[str]:
    """Positive and negative cases for every operation; returns the server errors seen."""
    import schemathesis

    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    errors: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 9  # the seed's five and the four order-flow views
    for operation in operations:
        for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE):
            @settings(max_examples=examples_per_operation, deadline=None, database=None,
                      phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy(generation_mode=mode))
            def exercise(case) -> None:  # type: ignore[no-untyped-def]
                response = case.call(base_url=base_url, timeout=15)
                if response.status_code >= 500:
                    errors.append(f"{case.method} {case.formatted_path} {case.query!r} -> "
                                  f"{response.status_code} {response.text[:200]}")

            exercise()
    return errors


@pytest.mark.slow
async def test_schemathesis_finds_no_server_error(database_url: str, history_rows) -> None:
    handle = await start_api_server(SimpleNamespace(dsn=database_url), "127.0.0.1", 0)
    try:
        errors = await asyncio.to_thread(_fuzz, handle.url, 30)
    finally:
        await handle.stop()
    assert errors == []


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
async def test_serve_api_command_serves_read_only_until_sigint(tmp_path: Path, database_url: str,
                                                               history_rows) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("STOCK_TRACKER_")}
    env.update(STOCK_TRACKER_HOME=str(tmp_path), STOCK_TRACKER_DATABASE_URL=database_url)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "desktop_app", "serve-api", "--port", str(port),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env,
    )
    try:
        banner = await asyncio.wait_for(proc.stderr.readline(), 60)
        assert f"http://127.0.0.1:{port}/api/history" in banner.decode()
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            for _ in range(100):  # the banner is printed just before uvicorn starts accepting
                try:
                    r = await client.get("/api/history/alerts", params={"limit": 1})
                    break
                except httpx.ConnectError:
                    await asyncio.sleep(0.05)
        assert r.status_code == 200 and r.json()["total"] == 5
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0, err.decode()


@pytest.mark.slow
async def test_serve_api_on_a_busy_port_exits_2(tmp_path: Path, database_url: str) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        env = {k: v for k, v in os.environ.items() if not k.startswith("STOCK_TRACKER_")}
        env.update(STOCK_TRACKER_HOME=str(tmp_path), STOCK_TRACKER_DATABASE_URL=database_url)
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "desktop_app", "serve-api", "--port", str(port),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env,
        )
        _, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in err.decode() and "Traceback" not in err.decode()
