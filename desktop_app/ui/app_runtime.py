"""The GUI's run: open the database (step by step, for the start-up screen), start the pipeline,
and on close stop the pipeline (full flush) before closing the database (stops the embedded server).

No Qt here: the window drives it and shows the step texts it reports.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from typing import Any, Callable

from desktop_app.config import Settings
from desktop_app.errors import ConfigurationError, MissingCredentialsError
from desktop_app.feeds.spec import FeedSpec

log = logging.getLogger(__name__)

Progress = Callable[[str], None]


class FeedUnavailableError(ConfigurationError):
    """The database is up but the chosen feed cannot start (e.g. SSI credentials missing)."""


class AppRuntime:
    """Owns the ``Database`` and the ``Pipeline`` of one GUI run."""

    def __init__(self, settings: Settings, feed: FeedSpec, *, feed_source: Any = None) -> None:
        """``feed_source``: an already-built Feed to use instead of the spec's (benchmarks, tests)."""
        self.settings = settings
        self.feed_spec = feed
        self.feed_source = feed_source
        self.database: Any = None
        self.pipeline: Any = None
        self.delivery: Any = None  # AlertDeliveryService (push), started with the pipeline
        self.price_rules: Any = None  # PriceAlertRuleService
        self.securities_refresh: asyncio.Task | None = None  # the search list's daily refresh
        self.stopped = False

    async def open_database(self, progress: Progress) -> Any:
        from desktop_app.database.connection import connect_dsn, ensure_reachable
        from desktop_app.database.migrate import upgrade_to_head

        embedded = None
        if self.settings.database_url is None:
            from desktop_app.database.embedded import EmbeddedPostgres

            progress("Starting embedded PostgreSQL…")
            embedded = EmbeddedPostgres(self.settings.embedded_dir)
            dsn = (await embedded.start_async()).dsn()
        else:
            dsn = self.settings.database_url
            progress("Connecting to PostgreSQL…")
        try:
            await ensure_reachable(dsn)
            progress("Applying migrations…")
            await upgrade_to_head(dsn)
            progress("Opening the connection pool…")
            database = await connect_dsn(dsn, migrate=False)
        except BaseException:
            if embedded is not None:
                await embedded.stop_async()
            raise
        database.embedded = embedded
        self.database = database
        return database

    async def start_pipeline(self, progress: Progress, credentials: tuple[str, str] | None = None) -> Any:
        """Start feed -> processor -> writer. SSI without credentials raises FeedUnavailableError."""
        from desktop_app.services.pipeline import Pipeline

        settings = self.settings
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
        progress(f"Connecting feed ({self.feed_spec.describe()})…")
        pipeline = Pipeline(settings, self.feed_spec, self.database, feed=self.feed_source)
        try:
            await pipeline.start()
        except MissingCredentialsError as exc:
            raise FeedUnavailableError(str(exc)) from None
        self.pipeline = pipeline
        from desktop_app.services.alert_delivery.startup import start_alert_services

        self.delivery, self.price_rules = await start_alert_services(settings, self.database, pipeline.processor)
        return pipeline

    def start_securities_refresh(self, settings: Settings) -> None:
        """The search box's securities list, refreshed in the background (never blocks start-up)."""
        from desktop_app.services.securities import refresh_securities

        self.securities_refresh = asyncio.ensure_future(
            refresh_securities(self.database.pool, self.feed_spec.kind, settings))

    async def stop(self, progress: Progress | None = None) -> None:
        """Stop the pipeline (flushes everything), then close the database. Idempotent."""
        if self.stopped:
            return
        self.stopped = True
        say = progress or (lambda _m: None)
        if self.securities_refresh is not None and not self.securities_refresh.done():
            self.securities_refresh.cancel()
            await asyncio.gather(self.securities_refresh, return_exceptions=True)
        if self.pipeline is not None:
            say("Saving the last trades…")
            try:
                await self.pipeline.stop()
            except Exception:
                log.exception("stopping the pipeline failed")
        if self.delivery is not None:  # after the last flush: its alerts get a bounded chance
            say("Sending the last alerts…")
            try:
                await self.delivery.stop()
            except Exception:
                log.exception("stopping alert delivery failed")
        if self.database is not None:
            say("Closing the database…")
            try:
                await self.database.close()
            except Exception:
                log.exception("closing the database failed")
