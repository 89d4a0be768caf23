"""The push outbox: one ``alert_deliveries`` row per stored alert and configured channel.

Life of a row: ``claim_new_alerts`` creates it (``pending``, or ``skipped`` when the channel's
routing leaves the alert out) for committed alerts only — it reads the ``alerts`` table, so an
alert still in the writer's queue or journal is simply picked up by a later claim. The sender
then moves it ``pending -> sending`` (committed BEFORE the network call) and ``sending -> sent``
(committed after the answer). A row still ``sending`` at start-up was in flight when the process
died: it is the only one per channel that may have reached the receiver without being marked;
``recover_open_deliveries`` puts it back to ``pending``. Only ``pending`` rows can be taken, so
two processes on one database never send the same row at once.

Which alerts a channel gets: those with an id above its ``floor_alert_id``, the newest alert id
stored when the run that first registered the channel began. A channel configured today does not
replay the alerts of past years, and misses none stored while it was being registered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Sequence

from desktop_app.database.repositories import Executor
from desktop_app.market_clock import to_vietnam

PENDING = "pending"
SENDING = "sending"
SENT = "sent"
SKIPPED = "skipped"
FAILED = "failed"
OPEN_STATUSES = (PENDING, SENDING)

CLAIM_BATCH = 1_000  # alerts claimed per statement; the next poll takes the rest


@dataclass(frozen=True, slots=True)
class QueuedDelivery:
    """An open delivery with what the channel needs to say."""

    alert_id: int
    channel: str
    status: str
    attempts: int
    delayed: bool
    symbol: str
    alert_type: str
    severity: str | None
    message: str | None
    created_at: datetime  # the alert's market time, in Vietnam time


@dataclass(frozen=True, slots=True)
class ChannelRecord:
    channel: str
    floor_alert_id: int
    last_error: str | None


async def register_channel(executor: Executor, channel: str, floor_alert_id: int) -> ChannelRecord:
    """The channel's row, created on first use with ``floor_alert_id`` as its floor (a known
    channel keeps the floor it has).

    WHY the caller gives the floor: the newest alert when the channel's FIRST RUN began, read
    before anything is sent. Reading ``max(id)`` here instead would move the floor past every
    alert committed between the run's start and this statement, and those would never be sent.
    """
    row = await executor.fetchrow(
        """INSERT INTO alert_channels (channel, floor_alert_id)
           VALUES ($1, $2)
           ON CONFLICT (channel) DO UPDATE SET channel = EXCLUDED.channel
           RETURNING channel, floor_alert_id, last_error""",
        channel, floor_alert_id,
    )
    return ChannelRecord(row[0], row[1], row[2])


async def newest_alert_id(executor: Executor) -> int:
    return await executor.fetchval("SELECT coalesce(max(id), 0) FROM alerts")


async def recover_open_deliveries(executor: Executor, channel: str) -> int:
    """At start: rows an earlier run left open are delivered late, so flag them delayed; a row
    left ``sending`` (in flight when that run died) goes back to ``pending`` to be sent again."""
    result = await executor.execute(
        "UPDATE alert_deliveries SET delayed = true, status = 'pending' "
        "WHERE channel = $1 AND status = ANY($2::text[])",
        channel, list(OPEN_STATUSES),
    )
    return int(result.split()[-1])


async def claim_new_alerts(
    executor: Executor,
    channel: str,
    *,
    alert_types: Sequence[str],
    severities: Sequence[str],
    above_id: int,
    delayed_up_to_id: int,
) -> int:
    """Create the channel's delivery rows for committed alerts that have none yet.

    Only alerts above both the channel's floor and ``above_id`` (the caller's low-water mark) are
    looked at. ``alert_types`` / ``severities``: the channel's routing, empty = all. Alerts with
    an id up to ``delayed_up_to_id`` were stored before this run started: flagged delayed.
    Returns the highest alert id claimed (0 if none).
    """
    row = await executor.fetchrow(
        """WITH claimed AS (
               INSERT INTO alert_deliveries (alert_id, channel, status, delayed)
               SELECT a.id, c.channel,
                      CASE WHEN (cardinality($2::text[]) = 0 OR a.alert_type = ANY($2::text[]))
                            AND (cardinality($3::text[]) = 0 OR a.severity = ANY($3::text[]))
                           THEN 'pending' ELSE 'skipped' END,
                      a.id <= $5
               FROM alerts a JOIN alert_channels c ON c.channel = $1
               WHERE a.id > c.floor_alert_id AND a.id > $4
                 AND NOT EXISTS (SELECT 1 FROM alert_deliveries d
                                 WHERE d.alert_id = a.id AND d.channel = $1)
               ORDER BY a.id
               LIMIT $6
               ON CONFLICT (alert_id, channel) DO NOTHING
               RETURNING alert_id)
           SELECT coalesce(max(alert_id), 0) FROM claimed""",
        channel, list(alert_types), list(severities), above_id, delayed_up_to_id, CLAIM_BATCH,
    )
    return int(row[0])


async def open_deliveries(executor: Executor, channel: str, limit: int = 100) -> list[QueuedDelivery]:
    """The channel's pending deliveries, oldest alert first (the order they are sent in)."""
    rows = await executor.fetch(
        """SELECT d.alert_id, d.channel, d.status, d.attempts, d.delayed,
                  a.symbol, a.alert_type, a.severity, a.message, a.created_at
           FROM alert_deliveries d JOIN alerts a ON a.id = d.alert_id
           WHERE d.channel = $1 AND d.status = 'pending'
           ORDER BY d.alert_id LIMIT $2""",
        channel, limit,
    )
    return [
        QueuedDelivery(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], to_vietnam(r[9]))
        for r in rows
    ]


async def mark_sending(executor: Executor, alert_id: int, channel: str) -> bool:
    """pending -> sending with one more attempt; False if someone else took the row meanwhile."""
    result = await executor.execute(
        "UPDATE alert_deliveries SET status = 'sending', attempts = attempts + 1 "
        "WHERE alert_id = $1 AND channel = $2 AND status = 'pending'",
        alert_id, channel,
    )
    return result.endswith(" 1")


async def mark_sent(executor: Executor, alert_id: int, channel: str) -> None:
    await executor.execute(
        "UPDATE alert_deliveries SET status = 'sent', sent_at = now(), last_error = NULL "
        "WHERE alert_id = $1 AND channel = $2",
        alert_id, channel,
    )


async def mark_retry(executor: Executor, alert_id: int, channel: str, reason: str) -> None:
    """A transient failure: back to pending (the receiver answered, so nothing is in flight)."""
    await executor.execute(
        "UPDATE alert_deliveries SET status = 'pending', last_error = $3 "
        "WHERE alert_id = $1 AND channel = $2 AND status = 'sending'",
        alert_id, channel, reason,
    )


async def mark_failed(executor: Executor, alert_id: int, channel: str, reason: str) -> None:
    """A permanent failure: this delivery and the channel's reason, in one statement."""
    await executor.execute(
        """WITH failed AS (
               UPDATE alert_deliveries SET status = 'failed', last_error = $3
               WHERE alert_id = $1 AND channel = $2 RETURNING alert_id)
           UPDATE alert_channels SET last_error = $3, last_error_at = now() WHERE channel = $2""",
        alert_id, channel, reason,
    )


async def clear_channel_error(executor: Executor, channel: str) -> None:
    await executor.execute(
        "UPDATE alert_channels SET last_error = NULL, last_error_at = NULL WHERE channel = $1", channel
    )


async def status_counts(executor: Executor, channels: Sequence[str]) -> dict[str, dict[str, int]]:
    """{channel: {status: rows}} for the given channels (statuses with no rows left out)."""
    rows = await executor.fetch(
        "SELECT channel, status, count(*) FROM alert_deliveries WHERE channel = ANY($1::text[]) "
        "GROUP BY channel, status",
        list(channels),
    )
    counts: dict[str, dict[str, int]] = {c: {} for c in channels}
    for channel, status, n in rows:
        counts[channel][status] = n
    return counts
