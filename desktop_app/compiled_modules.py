"""The modules built with mypyc when the package is installed, and which of them are compiled now.

WHY: parsing and processing every envelope is the app's CPU budget (``stock-tracker bench
process``). mypyc compiles these modules from their very own typed source into C extensions; the
source stays the pure-Python version of the same code (a checkout, ``STOCK_TRACKER_PURE=1``, or a
machine without a C compiler runs it as is). Chosen because the modules are plain typed Python:
nothing is rewritten in another language, and the test suite runs against both (the compiled
run: ``tests/test_compiled_modules.py``).

Rules for a module listed here: it type-checks under mypy; it does not monkeypatch or get
monkeypatched; the dataclasses it defines become native classes (``speedups.fast_constructor``
returns those unchanged).
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
from pathlib import Path

COMPILED_MODULES: tuple[str, ...] = (
    "desktop_app.feeds.messages",
    "desktop_app.processing.processor",
    "desktop_app.processing.classifier",
    "desktop_app.processing.live_stats",
    "desktop_app.processing.alerts",
    "desktop_app.processing.market_time",
    "desktop_app.processing.basis",
    "desktop_app.processing.price_alerts",
    "desktop_app.processing.foreign",
)


def module_path(name: str) -> str:
    """``desktop_app.feeds.messages`` -> ``desktop_app/feeds/messages.py`` (for the build)."""
    return str(Path(*name.split(".")).with_suffix(".py"))


def is_compiled(name: str) -> bool:
    """True when importing ``name`` loads an extension module (the mypyc build); no import."""
    spec = importlib.util.find_spec(name)
    origin = (spec.origin if spec is not None else None) or ""
    return origin.endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES))


def compiled_status() -> dict[str, bool]:
    """Each listed module -> compiled or not, as this process imports it."""
    return {name: is_compiled(name) for name in COMPILED_MODULES}


def compiled_summary() -> str:
    """One line for the log and the benchmarks: ``compiled (9 of 9 modules)`` or ``pure Python``."""
    compiled = sum(compiled_status().values())
    return f"compiled ({compiled} of {len(COMPILED_MODULES)} modules)" if compiled else "pure Python"
