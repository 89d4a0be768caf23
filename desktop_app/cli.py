"""Command line: argument parsing and one function per command (docs/ARCHITECTURE.md, Commands).

Exit codes: 0 success; 2 bad arguments or configuration (one line, no traceback); 1 runtime failure
(message + log file path). Heavy modules (Qt, asyncpg, FastAPI) are imported inside the command that
needs them so that ``--help`` and argument errors stay instant.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from datetime import date
from pathlib import Path
from typing import Callable, NoReturn, Sequence

from desktop_app.config import Settings
from desktop_app.errors import ConfigurationError
from desktop_app.feeds.spec import FeedSpec
from desktop_app.market_clock import vn_today

log = logging.getLogger("desktop_app.cli")

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    """argparse that reports errors as one line and exit code 2 (no usage dump)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"stock-tracker: {message}\n")


# --------------------------------------------------------------------------- argument types


def _speed(text: str) -> float | None:
    if text.lower() == "max":
        return None
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"speed must be a positive number or 'max', got {text!r}")
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"speed must be a positive number or 'max', got {text!r}")
    return value


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"duration must be a number of seconds, got {text!r}")
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"duration must be positive, got {text!r}")
    return value


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"dates are YYYY-MM-DD, got {text!r}")


def _symbols(text: str) -> list[str]:
    """``VN30`` (the basket) or a comma-separated list of tickers."""
    items = [s.strip().upper() for s in text.split(",") if s.strip()]
    if not items:
        raise argparse.ArgumentTypeError("--symbols needs VN30 or a list like FPT,VNM")
    for item in items:
        if not (1 <= len(item) <= 10 and item.isalnum()):
            raise argparse.ArgumentTypeError(f"not a ticker symbol: {item!r}")
    return items


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"port must be an integer, got {text!r}")
    if not 0 < value < 65536:
        raise argparse.ArgumentTypeError(f"port must be 1-65535, got {value}")
    return value


class _ExplicitSpeed(argparse.Action):
    """Stores ``--speed`` and notes that it was typed (``speed_given``): the default of 1 must
    not override a choice, an explicit value must win over the saved settings."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: object, option_string: str | None = None) -> None:
        setattr(namespace, self.dest, values)
        namespace.speed_given = True
def _metrics_address(text: str) -> tuple[str, int]:
    """``P`` (127.0.0.1:P) or ``HOST:P`` (e.g. ``0.0.0.0:9108`` for a remote Prometheus)."""
    host, sep, port = text.rpartition(":")
    return (host.strip("[]") if sep and host else "127.0.0.1"), _port(port)


def _add_metrics_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--metrics-port", type=_metrics_address, metavar="[HOST:]P",
                   help="serve Prometheus /metrics and /healthz on this port (host default 127.0.0.1)")


def _add_feed_args(p: argparse.ArgumentParser, *, required: bool) -> None:
    p.add_argument("--feed", choices=("demo", "ssi", "replay"), required=required,
                   help="market data source (default: demo)")
    p.add_argument("--replay", type=Path, metavar="FILE", help="JSON Lines replay file (--feed replay)")
    p.add_argument("--speed", type=_speed, default=1.0, metavar="X|max", action=_ExplicitSpeed,
                   help="demo/replay clock speed: a factor (default 1), or 'max'")
    p.set_defaults(speed_given=False)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="stock-tracker", description="VN30 Stock Tracker")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    gui = sub.add_parser("gui", help="open the desktop app (the default command)")
    _add_feed_args(gui, required=False)
    gui.add_argument("--quit-after", type=_positive_seconds, metavar="S", help=argparse.SUPPRESS)  # smoke tests

    record = sub.add_parser("record", help="headless: feed -> processor -> writer -> database")
    _add_feed_args(record, required=True)
    record.add_argument("--duration", type=_positive_seconds, metavar="S",
                        help="stop after S seconds (wall clock)")
    _add_metrics_arg(record)

    backfill = sub.add_parser("backfill", help="import daily OHLC from SSI into daily_ohlc")
    backfill.add_argument("--symbols", type=_symbols, required=True, metavar="VN30|SYM,SYM")
    backfill.add_argument("--from", dest="from_date", type=_iso_date, required=True, metavar="YYYY-MM-DD")
    backfill.add_argument("--to", dest="to_date", type=_iso_date, required=True, metavar="YYYY-MM-DD")

    db = sub.add_parser("db", help="database administration")
    db.add_argument("action", choices=("upgrade", "current", "url"))

    api = sub.add_parser("serve-api", help="serve the read-only history REST API")
    api.add_argument("--host", default="127.0.0.1")
    api.add_argument("--port", type=_port, default=8765)
    _add_metrics_arg(api)

    bench = sub.add_parser("bench", help="performance benchmarks")
    bench.add_argument("suite", choices=("ingest", "query", "process", "ui"))
    bench.add_argument("--json", action="store_true", help="print one JSON object")
    bench.add_argument("--scale", type=float, default=1.0,
                       help="query: fraction of the full bench dataset to build (default 1.0)")
    bench.add_argument("--rows", type=int, default=None, help="ingest: trades to write")
    return parser


def _feed_spec(args: argparse.Namespace) -> FeedSpec:
    kind = args.feed or "demo"
    if kind == "replay" and args.replay is None:
        raise ConfigurationError("--feed replay needs --replay FILE")
    if args.replay is not None and kind != "replay":
        raise ConfigurationError("--replay FILE is only used with --feed replay")
    if args.replay is not None and not args.replay.is_file():
        raise ConfigurationError(f"replay file not found: {args.replay}")
    return FeedSpec(kind=kind, replay_path=args.replay, speed=args.speed)


# --------------------------------------------------------------------------- commands


def resolve_gui_feed(saved_feed: str, args: argparse.Namespace) -> FeedSpec:
    """What ``gui`` watches: arguments typed on the command line win over the saved feed.

    ``--speed`` alone keeps the saved feed and sets its clock; it only means something for the
    demo and replay feeds, so with SSI live (saved or typed) it is refused in one line rather
    than ignored or silently swapped for the demo.
    """
    kind = args.feed or saved_feed
    if kind == "replay" and args.replay is None and args.feed is None:
        raise ConfigurationError("the saved feed is 'replay' but no file was given: use --replay FILE")
    if kind == "ssi" and getattr(args, "speed_given", False):
        whose = "the saved feed is SSI live" if args.feed is None else "SSI live runs in real time"
        raise ConfigurationError(f"--speed applies to the demo and replay feeds ({whose}): add --feed demo")
    return _feed_spec(argparse.Namespace(feed=kind, replay=args.replay, speed=args.speed))


def cmd_gui(settings: Settings, args: argparse.Namespace) -> int:
    feed = resolve_gui_feed(settings.feed, args)
    from desktop_app.ui.app import run_gui

    return run_gui(settings, feed, quit_after_s=getattr(args, "quit_after", None))


def cmd_record(settings: Settings, args: argparse.Namespace) -> int:
    feed = _feed_spec(args)
    from desktop_app.services.record import run_record

    return asyncio.run(run_record(settings, feed, duration_s=args.duration, metrics_address=args.metrics_port))


def cmd_backfill(settings: Settings, args: argparse.Namespace) -> int:
    if args.from_date > args.to_date:
        raise ConfigurationError("--from must not be after --to")
    if args.to_date > vn_today():  # the exchange's date, whatever the computer's zone
        raise ConfigurationError("--to must not be in the future")
    from desktop_app.services.backfill import run_backfill_command

    return asyncio.run(run_backfill_command(settings, args.symbols, args.from_date, args.to_date))


def cmd_db(settings: Settings, args: argparse.Namespace) -> int:
    from desktop_app.database import admin

    if args.action == "url":
        print(admin.describe_url(settings))
        return EXIT_OK
    if args.action == "upgrade":
        print(asyncio.run(admin.upgrade(settings)))
        return EXIT_OK
    print(asyncio.run(admin.current(settings)))
    return EXIT_OK


def cmd_serve_api(settings: Settings, args: argparse.Namespace) -> int:
    from desktop_app.api.server import serve_until_stopped

    return asyncio.run(serve_until_stopped(settings, args.host, args.port, metrics_address=args.metrics_port))


def cmd_bench(settings: Settings, args: argparse.Namespace) -> int:
    if args.suite == "ingest":
        from desktop_app.bench.ingest import run_ingest_bench

        return asyncio.run(run_ingest_bench(settings, as_json=args.json, rows=args.rows))
    if args.suite == "process":
        from desktop_app.bench.processing import run_processing_bench

        return run_processing_bench(as_json=args.json)
    if args.suite == "ui":
        from desktop_app.bench.ui import run_ui_bench

        return run_ui_bench(settings, as_json=args.json)
    from desktop_app.bench.query import run_query_bench

    if not 0 < args.scale <= 1.0:
        raise ConfigurationError("--scale must be in (0, 1]")
    return asyncio.run(run_query_bench(settings, as_json=args.json, scale=args.scale))


COMMANDS: dict[str, Callable[[Settings, argparse.Namespace], int]] = {
    "gui": cmd_gui,
    "record": cmd_record,
    "backfill": cmd_backfill,
    "db": cmd_db,
    "serve-api": cmd_serve_api,
    "bench": cmd_bench,
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    command = args.command or "gui"
    if args.command is None:
        args = parser.parse_args(["gui"])
    settings: Settings | None = None
    try:
        settings = Settings.load()
        from desktop_app.logging_setup import configure_logging

        configure_logging(settings)
        from desktop_app import app_version
        from desktop_app.compiled_modules import compiled_summary

        log.info("VN30 Stock Tracker %s, %s: parser and processing %s",
                 app_version(), command, compiled_summary())
        return COMMANDS[command](settings, args)
    except ConfigurationError as exc:
        print(f"stock-tracker: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # last resort: one line for the user, the traceback in the log
        log.exception("%s failed", command, extra={"console": False})
        where = f" (details in {settings.log_file})" if settings is not None else ""
        print(f"stock-tracker: {command} failed: {exc}{where}", file=sys.stderr)
        return EXIT_FAILURE
