"""Logging: a rotating log file under the data dir, and warnings on stderr."""

from __future__ import annotations

import logging
import logging.handlers
import sys

from desktop_app.config import Settings

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class _ConsoleFormatter(logging.Formatter):
    """One line per record on the terminal: tracebacks go to the log file only."""

    def format(self, record: logging.LogRecord) -> str:
        return super().format(logging.makeLogRecord({**record.__dict__, "exc_info": None, "exc_text": None}))


def configure_logging(settings: Settings, console_level: int = logging.WARNING) -> None:
    """Idempotent: safe to call once per process entry point."""
    root = logging.getLogger()
    if any(getattr(h, "_stock_tracker", False) for h in root.handlers):
        return
    root.setLevel(logging.INFO)
    try:
        settings.log_dir.mkdir(parents=True, exist_ok=True)
        file_handler: logging.Handler = logging.handlers.RotatingFileHandler(
            settings.log_file, maxBytes=10 << 20, backupCount=5, encoding="utf-8"
        )
        file_handler.setFormatter(logging.Formatter(_FORMAT))
        file_handler._stock_tracker = True  # type: ignore[attr-defined]
        root.addHandler(file_handler)
    except OSError as exc:  # a read-only home must not stop the app; say so on stderr
        print(f"stock-tracker: cannot write log file {settings.log_file}: {exc}", file=sys.stderr)
    console = logging.StreamHandler(sys.stderr)
    console.setLevel(console_level)
    console.setFormatter(_ConsoleFormatter("%(levelname)s %(name)s: %(message)s"))
    console.addFilter(lambda record: getattr(record, "console", True))
    console._stock_tracker = True  # type: ignore[attr-defined]
    root.addHandler(console)
