"""The forum poll job: back off while the feed fails, alert admins once, note recovery.

Stateless between runs: the backoff is computed from the poll state stored by
:mod:`handlers.relay.poll`, so a new leader continues where the old one stopped. The backoff
is capped so that, however long the outage, new topics flow within ``recovery_bound`` of the
forum's return: a feed poll a minute costs a forum nothing, a quarter hour of silence after
an outage costs the members the news.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot.core.errors import ForumError
from bot.core.messages import Span, bold, plain
from bot.i18n import Speech
from handlers.alerts import AlertText, alert_admins
from handlers.context import HandlerContext
from handlers.relay.poll import POLL_STATE_KEY, RelayReport, relay_new_topics

logger = logging.getLogger(__name__)

ALERT_STATE_KEY = "forum.alert"
MIN_RECOVERY_BOUND = 60.0
"""Seconds within which a recovered feed is polled again, at the least (shorter intervals)."""


def recovery_bound(interval: float) -> float:
    """Return the longest time from the forum's return to the next poll: max(2 x interval, 60 s)."""
    return max(2 * interval, MIN_RECOVERY_BOUND)


async def poll_forum(ctx: HandlerContext, now: datetime) -> RelayReport | None:
    """Poll once unless backing off; return the report, or None when skipped or failed."""
    if ctx.forum is None:
        raise RuntimeError("the forum poll job runs without a forum source")
    settings = ctx.settings.relay
    state = await ctx.repos.state.get(POLL_STATE_KEY) or {}
    failures = int(str(state.get("consecutive_failures", 0)))
    if failures and _backing_off(state, failures, settings.poll_interval, now):
        return None
    try:
        report = await relay_new_topics(ctx.forum, ctx)
    except ForumError as exc:
        failures += 1
        if failures == settings.failure_alert_after:
            error = str(exc)

            def failing(t: Speech) -> list[Span]:
                return [
                    bold(t._("Forum feed is failing") + "\n"),
                    plain(
                        t.n_(
                            "{n} poll in a row failed. Last error: {error}",
                            "{n} polls in a row failed. Last error: {error}",
                            failures,
                            error=error,
                        )
                    ),
                ]

            await _alert(ctx, "down", failing)
        return None
    alert = await ctx.repos.state.get(ALERT_STATE_KEY)
    if alert and alert.get("open"):
        await _alert(ctx, "up", _recovered)
    if report.relayed or report.skipped_backfill or report.held:
        logger.info(
            "Forum poll: %d topics, relayed %s, held %s, marked seen without relaying %s",
            report.fetched,
            report.relayed,
            report.held,
            report.skipped_backfill,
        )
    return report


def _backing_off(state: dict[str, object], failures: int, interval: float, now: datetime) -> bool:
    """Return whether the pause after ``failures`` failed polls has not yet passed."""
    try:
        last = datetime.fromisoformat(str(state.get("at")))
    except ValueError:
        return False
    # Doubling from the interval: the first retry is the next scheduled run. Capped one
    # interval short of the bound, since the run that ends the pause is up to an interval later.
    # (The exponent is capped too: a day-long outage at 10 s is 8,640 failures, and 2**8639
    # seconds does not fit in a float.)
    pause = min(interval * 2 ** min(failures - 1, 32), recovery_bound(interval)) - interval
    return now < last + timedelta(seconds=max(pause, 0.0))


def _recovered(t: Speech) -> list[Span]:
    return [bold(t._("Forum feed recovered") + "\n"), plain(t._("Polling works again."))]


async def _alert(ctx: HandlerContext, kind: str, spans: AlertText) -> None:
    previous = await ctx.repos.state.get(ALERT_STATE_KEY) or {}
    outage = int(str(previous.get("outage", 0))) + (1 if kind == "down" else 0)
    await ctx.repos.state.put(ALERT_STATE_KEY, {"open": kind == "down", "outage": outage})
    await alert_admins(ctx, f"forum-alert:{outage}:{kind}", spans)
