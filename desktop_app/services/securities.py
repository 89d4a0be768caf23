"""The searchable securities: SSI's Securities list cached in the database, or the demo universe.

The search box reads the cache only, so it works offline and at once. The cache is refreshed at
most once a Vietnam calendar day, in the background when credentials exist; a failed refresh is
logged and the previous cache stays. The demo feed gets its own universe (the demo market's VN30
stocks, its two futures contracts and the VN30 index) stored under source ``demo``, so it never
pollutes a real list.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import date, datetime, timezone
from typing import Any, Awaitable, Callable, Sequence

from desktop_app.database.repositories import securities_repository as repo
from desktop_app.instruments import Security, SecurityKind, SecuritySource
from desktop_app.market_clock import vn_today

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
Fetch = Callable[[], Awaitable[Sequence[Security]]]


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def source_for_feed(feed_kind: str) -> SecuritySource:
    """The live SSI feed searches SSI's list; the demo and replays search the demo universe."""
    return SecuritySource.SSI if feed_kind == "ssi" else SecuritySource.DEMO


def refresh_due(last: datetime | None, now: datetime) -> bool:
    """Never refreshed, or last refreshed on an earlier Vietnam trading calendar day."""
    return last is None or vn_today(last) < vn_today(now)


def demo_universe(day: date) -> list[Security]:
    """What the demo market prints: its basket, this and next month's futures, the VN30 index."""
    from desktop_app.feeds.basket import load_basket
    from desktop_app.feeds.demo import futures_symbol

    basket = load_basket()
    out = [Security(m.symbol, "HOSE", None, m.name, SecurityKind.STOCK) for m in basket.members]
    for ahead in (0, 1):
        code = futures_symbol(day, ahead)
        out.append(Security(code, "DER", f"Hợp đồng tương lai VN30 {code[-4:]}",
                            f"VN30 Index Futures {code[-4:]}", SecurityKind.FUTURES))
    out.append(Security(basket.index_id, "HOSE", "Chỉ số VN30", "VN30 Index", SecurityKind.INDEX))
    return out


async def fetch_ssi_securities(client: Any) -> list[Security]:
    """Every market of SSI's Securities list through an ``SsiRestClient``."""
    from desktop_app.feeds.ssi_rest import SECURITIES_MARKETS

    out: list[Security] = []
    seen: set[str] = set()
    for market in SECURITIES_MARKETS:
        for security in await client.securities(market):
            if security.symbol not in seen:
                seen.add(security.symbol)
                out.append(security)
    return out


class SecuritiesCatalog:
    """Reads and refreshes one source's cached list (``pool``: an asyncpg pool)."""

    def __init__(self, pool: Any, source: SecuritySource, *, now: Clock = utc_now) -> None:
        self._pool = pool
        self.source = source
        self._now = now

    async def securities(self) -> list[Security]:
        return await repo.list_source(self._pool, self.source)

    async def refresh_if_due(self, fetch: Fetch) -> bool:
        """Replace the cache with ``fetch()``'s list when the last refresh is from an earlier day.

        Returns whether it refreshed. An empty answer is treated as a failure (SSI never lists
        nothing), so a bad day never empties the cache.
        """
        now = self._now()
        if not refresh_due(await repo.last_updated(self._pool, self.source), now):
            return False
        rows = list(await fetch())
        if not rows:
            raise ValueError(f"{self.source.value} securities list came back empty")
        await repo.replace_source(self._pool, self.source, rows, now)
        log.info("%d %s securities cached", len(rows), self.source.value)
        return True

    async def seed_demo(self) -> int:
        """The demo universe for today's demo day (cheap: replaced on every start)."""
        rows = demo_universe(vn_today(self._now()))
        return await repo.replace_source(self._pool, SecuritySource.DEMO, rows, self._now())


async def refresh_securities(pool: Any, feed_kind: str, settings: Any) -> None:
    """Start-up's background refresh; never raises (a failure keeps the cache and is logged)."""
    source = source_for_feed(feed_kind)
    catalog = SecuritiesCatalog(pool, source)
    try:
        if source is SecuritySource.DEMO:
            await catalog.seed_demo()
            return
        if not settings.has_ssi_credentials:
            log.info("no SSI credentials: the securities search uses the cached list")
            return
        from desktop_app.feeds.ssi_rest import SsiRestClient

        async with SsiRestClient(settings.ssi_data_url, settings.ssi_consumer_id,
                                 settings.ssi_consumer_secret, pace_s=settings.rest_pace_s) as client:
            await catalog.refresh_if_due(lambda: fetch_ssi_securities(client))
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # noqa: BLE001 - the search keeps working from the cache
        log.warning("securities list not refreshed (%s: %s); keeping the cached list",
                    type(exc).__name__, exc)
