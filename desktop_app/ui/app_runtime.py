"""The GUI's mode of the app runtime (``services/runtime.py``): the same start-up and shutdown as
every command, plus what only a window needs — the steps shown on the start-up screen, SSI
credentials from the keyring, and a feed that cannot start reported without closing the app.

No Qt here: the window drives it and shows the step texts it reports.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

from desktop_app.config import Settings
from desktop_app.errors import ConfigurationError, MissingCredentialsError
from desktop_app.feeds.spec import FeedSpec
from desktop_app.services.pipeline import Pipeline
from desktop_app.services.runtime import Mode, Progress, Runtime

__all__ = ["AppRuntime", "FeedUnavailableError"]


class FeedUnavailableError(ConfigurationError):
    """The database is up but the chosen feed cannot start (e.g. SSI credentials missing)."""


class AppRuntime(Runtime):
    """One GUI run: ``open_database`` (step 1), ``start_pipeline`` (step 2), ``stop`` on close."""

    def __init__(self, settings: Settings, feed: FeedSpec, *, feed_source: Any = None) -> None:
        """``feed_source``: an already-built Feed to use instead of the spec's (benchmarks, tests)."""
        super().__init__(settings, Mode.GUI, feed=feed, feed_source=feed_source)
        self.securities_refresh: asyncio.Task | None = None  # the search list's daily refresh

    async def start_pipeline(self, progress: Progress = lambda _m: None, *, settings: Settings | None = None,
                             credentials: tuple[str, str] | None = None) -> Pipeline:
        """Start feed -> processor -> writer. SSI without credentials raises FeedUnavailableError."""
        settings = settings or self.settings
        assert self.feed_spec is not None
        if self.feed_spec.kind == "ssi":
            if not settings.has_ssi_credentials and credentials is not None:
                settings = replace(settings, ssi_consumer_id=credentials[0], ssi_consumer_secret=credentials[1])
            if not settings.has_ssi_credentials:
                raise FeedUnavailableError(
                    "SSI FastConnect credentials are not configured: enter them in File → Settings "
                    "(kept in the system keyring) or set SSI_CONSUMER_ID and SSI_CONSUMER_SECRET, "
                    "then restart. History views work meanwhile."
                )
        self.start_securities_refresh(settings)
        try:
            return await super().start_pipeline(progress, settings=settings)
        except MissingCredentialsError as exc:
            raise FeedUnavailableError(str(exc)) from None

    def start_securities_refresh(self, settings: Settings) -> None:
        """The search box's securities list, refreshed in the background (never blocks start-up)."""
        from desktop_app.services.securities import refresh_securities

        assert self.database is not None and self.feed_spec is not None
        self.securities_refresh = asyncio.ensure_future(
            refresh_securities(self.database.pool, self.feed_spec.kind, settings))

    async def stop(self, progress: Progress | None = None) -> None:
        """Cancel the background refresh first (it holds a pool connection), then the runtime's stop."""
        if self.securities_refresh is not None and not self.securities_refresh.done():
            self.securities_refresh.cancel()
            await asyncio.gather(self.securities_refresh, return_exceptions=True)
        await super().stop(progress)
