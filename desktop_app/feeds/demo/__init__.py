"""The demo market: a deterministic VN30 day in the SSI wire format, and the feed that paces it.

- ``market_model``: the day as a table of session phases (from ``market_clock``), instruments,
  the day's designed events.
- ``simulator``: ``DemoMarket`` / ``DaySimulation``, second by second, envelope texts out.
- ``feed``: ``DemoFeed``, the simulator paced on the asyncio loop (catch-up, ``resume_from``).
- ``sample_replay``: the small replay file shipped in ``resources/``.
- ``wire``: SSI envelopes and books.
"""

from desktop_app.feeds.demo.feed import DEMO_OFF_HOURS_START, DemoFeed, default_demo_start
from desktop_app.feeds.demo.market_model import futures_symbol
from desktop_app.feeds.demo.sample_replay import write_sample_replay
from desktop_app.feeds.demo.simulator import DemoMarket
from desktop_app.market_rules import hose_limits, hose_tick

__all__ = [
    "DEMO_OFF_HOURS_START",
    "DemoFeed",
    "DemoMarket",
    "default_demo_start",
    "futures_symbol",
    "hose_limits",
    "hose_tick",
    "write_sample_replay",
]
