"""Bad arguments exit 2 with one line on stderr and no traceback (docs/ARCHITECTURE.md, exit codes)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from desktop_app.cli import build_parser, main


def run_cli(*args: str, env_extra: dict[str, str] | None = None, tmp_home: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STOCK_TRACKER_", "SSI_"))}
    env["STOCK_TRACKER_HOME"] = str(tmp_home)
    env.update(env_extra or {})
    return subprocess.run(
        [sys.executable, "-m", "desktop_app", *args],
        capture_output=True, text=True, env=env, timeout=60,
    )


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["record", "--feed", "nasdaq"], "invalid choice"),
        (["record"], "--feed"),
        (["record", "--feed", "replay"], "--feed replay needs --replay FILE"),
        (["record", "--feed", "replay", "--replay", "/nonexistent.jsonl"], "replay file not found"),
        (["record", "--feed", "demo", "--speed", "-3"], "speed must be a positive number"),
        (["record", "--feed", "demo", "--duration", "soon"], "duration must be a number"),
        (["backfill", "--symbols", "VN30", "--from", "2024-13-01", "--to", "2024-12-31"], "dates are YYYY-MM-DD"),
        (["backfill", "--symbols", "VN30", "--from", "2024-02-01", "--to", "2024-01-01"], "--from must not be after --to"),
        (["backfill", "--symbols", "F?T", "--from", "2024-01-01", "--to", "2024-01-31"], "not a ticker symbol"),
        (["bench", "teleport"], "invalid choice"),
        (["serve-api", "--port", "99999"], "port must be 1-65535"),
        (["db", "drop"], "invalid choice"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(tmp_path: Path, args: list[str], fragment: str) -> None:
    result = run_cli(*args, tmp_home=tmp_path)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert fragment in lines[0]
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_bad_database_url_is_a_configuration_error(tmp_path: Path) -> None:
    result = run_cli("db", "url", env_extra={"STOCK_TRACKER_DATABASE_URL": "mysql://x@y/z"}, tmp_home=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "stock-tracker: STOCK_TRACKER_DATABASE_URL must look like postgresql://user:password@host:port/dbname"
    ]


def test_db_url_masks_the_password(tmp_path: Path) -> None:
    result = run_cli(
        "db", "url",
        env_extra={"STOCK_TRACKER_DATABASE_URL": "postgresql://trader:s3cret@db.example:5433/ticks"},
        tmp_home=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "s3cret" not in result.stdout + result.stderr
    assert "postgresql://trader:***@db.example:5433/ticks" in result.stdout


def test_no_command_means_gui() -> None:
    args = build_parser().parse_args(["gui"])
    assert args.command == "gui" and args.feed is None and args.speed == 1.0


def test_speed_max_means_unthrottled() -> None:
    args = build_parser().parse_args(["record", "--feed", "demo", "--speed", "max"])
    assert args.speed is None


def test_main_returns_2_for_configuration_errors(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("STOCK_TRACKER_HOME", str(tmp_path))
    monkeypatch.setenv("SSI_DATA_URL", "ftp://nowhere")
    assert main(["db", "url"]) == 2
    assert "ssi_data_url must be an http(s) URL" in capsys.readouterr().err
