"""``stock-tracker backfill`` as a user runs it: a subprocess against the local SSI server and the
test database; the JSON summary on stdout and the exit codes 0 / 1 / 2."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import asyncpg
import pytest

from tests.services.conftest import END, START, expected_rows, stored_rows
from tests.support.ssi_server import LocalSsiServer

pytestmark = [pytest.mark.timeout(120), pytest.mark.slow]  # each test runs the CLI in a subprocess


def cli_env(home: Path, database_url: str, ssi: LocalSsiServer | None, *, secret: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SSI_", "STOCK_TRACKER_"))}
    home.mkdir(parents=True, exist_ok=True)
    (home / "settings.json").write_text(json.dumps({"rest_pace_s": 0}))  # no 1 s pacing in tests
    env.update(STOCK_TRACKER_HOME=str(home), STOCK_TRACKER_DATABASE_URL=database_url)
    if ssi is not None:
        env.update(SSI_DATA_URL=ssi.data_url, SSI_CONSUMER_ID=ssi.consumer_id,
                   SSI_CONSUMER_SECRET=secret or ssi.consumer_secret)
    return env


async def run_cli(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "desktop_app", "backfill", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 90)
    return proc.returncode or 0, out.decode(), err.decode()


async def test_success_prints_one_json_summary_and_exits_0(tmp_path: Path, database_url: str,
                                                           ssi: LocalSsiServer, pool: asyncpg.Pool) -> None:
    env = cli_env(tmp_path / "home", database_url, ssi)
    code, out, err = await run_cli(env, "--symbols", "FPT,vnm", "--from", START.isoformat(), "--to", END.isoformat())
    assert code == 0, err
    lines = out.strip().splitlines()
    assert len(lines) == 1
    summary = json.loads(lines[0])
    rows = ssi.daily_ohlc["FPT"] + ssi.daily_ohlc["VNM"]
    assert summary["inserted"] == len(rows) and summary["failed"] == {} and summary["symbols"] == ["FPT", "VNM"]
    assert summary["rows"] == {"FPT": len(ssi.daily_ohlc["FPT"]), "VNM": len(ssi.daily_ohlc["VNM"])}
    assert await stored_rows(pool) == expected_rows(rows)
    assert "backfill: FPT done" in err and "backfill: VNM done" in err  # plain progress lines: not a tty
    # Again: nothing new, nothing asked.
    code, out, _ = await run_cli(env, "--symbols", "FPT,VNM", "--from", START.isoformat(), "--to", END.isoformat())
    again = json.loads(out)
    assert code == 0 and again["inserted"] == 0 and again["windows_fetched"] == 0


async def test_vn30_uses_the_basket(tmp_path: Path, database_url: str, ssi: LocalSsiServer) -> None:
    ssi.index_components["VN30"] = ["HPG", "FPT"]
    env = cli_env(tmp_path / "home", database_url, ssi)
    code, out, err = await run_cli(env, "--symbols", "VN30", "--from", "2023-02-01", "--to", "2023-02-28")
    assert code == 0, err
    summary = json.loads(out)
    assert summary["symbols"] == ["HPG", "FPT"] and summary["basket_source"] == "ssi" and summary["inserted"] == 40


async def test_a_failed_symbol_exits_1_with_the_summary(tmp_path: Path, database_url: str,
                                                        ssi: LocalSsiServer) -> None:
    ssi.daily_ohlc["HPG"][3] = dict(ssi.daily_ohlc["HPG"][3], High="NaNx")
    env = cli_env(tmp_path / "home", database_url, ssi)
    code, out, err = await run_cli(env, "--symbols", "FPT,HPG", "--from", START.isoformat(), "--to", END.isoformat())
    assert code == 1
    summary = json.loads(out)
    assert list(summary["failed"]) == ["HPG"] and summary["rows"]["FPT"] == len(ssi.daily_ohlc["FPT"])
    assert "backfill of HPG failed" in err and "NaNx" in err


async def test_missing_credentials_exit_2_and_say_how_to_set_them(tmp_path: Path, database_url: str) -> None:
    env = cli_env(tmp_path / "home", database_url, None)
    code, out, err = await run_cli(env, "--symbols", "FPT", "--from", "2023-01-01", "--to", "2023-01-31")
    assert code == 2 and out == ""
    assert "SSI_CONSUMER_ID" in err and "SSI_CONSUMER_SECRET" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


async def test_wrong_credentials_exit_2_without_leaking_the_secret(tmp_path: Path, database_url: str,
                                                                   ssi: LocalSsiServer) -> None:
    env = cli_env(tmp_path / "home", database_url, ssi, secret="wrong-secret-value-9c1")
    code, out, err = await run_cli(env, "--symbols", "FPT", "--from", "2023-01-01", "--to", "2023-01-31")
    assert code == 2 and out == ""
    assert "SSI rejected the credentials" in err and "wrong-secret-value-9c1" not in err
    assert "Traceback" not in err


async def test_bad_arguments_exit_2(tmp_path: Path, database_url: str, ssi: LocalSsiServer) -> None:
    env = cli_env(tmp_path / "home", database_url, ssi)
    code, _, err = await run_cli(env, "--symbols", "FPT", "--from", "2023-02-01", "--to", "2023-01-01")
    assert code == 2 and "--from must not be after --to" in err


def test_progress_bar_on_a_terminal_and_lines_otherwise() -> None:
    import io
    from datetime import date

    from desktop_app.services.backfill import BackfillProgress, BackfillSummary, _TerminalProgress

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    summary = BackfillSummary(("FPT", "VNM"), date(2024, 1, 1), date(2024, 1, 31), 40, 0, 0,
                              {"FPT": 20, "VNM": 20}, {}, 2, 0, False, "arguments", 0.1)
    tty, plain = Tty(), io.StringIO()
    for stream in (tty, plain):
        show = _TerminalProgress(stream)
        show(BackfillProgress("FPT", 1, 2, 20, 1, 2, 20))
        show(BackfillProgress("VNM", 2, 2, 40, 2, 2, 20))
        show.finish(summary)
    assert tty.getvalue().startswith("\r[###############...............]  50.0% FPT")
    assert "\r[##############################] 100.0% VNM        2/2 symbols 40 bars" in tty.getvalue()
    assert plain.getvalue() == "backfill: FPT done\nbackfill: VNM done\n"
