"""Relay: new forum topics become outbox rows for every matching destination, once each."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import datetime

from bot.core.errors import ForumError
from bot.domain.topics import Topic
from bot.forum.source import MAX_FEED_WINDOW, ForumSource, SupportsFullText
from handlers.context import HandlerContext
from handlers.relay.fanout import relay_topic
from handlers.relay.late import PollWindow, search_late_topics
from handlers.relay.screen import screen_topic

logger = logging.getLogger(__name__)

POLL_STATE_KEY = "forum.last_poll"
MAX_FEED_LIMIT = MAX_FEED_WINDOW  # SMF caps ``limit`` here and has no paging


@dataclass(slots=True)
class RelayReport:
    """What one poll did."""

    fetched: int = 0
    relayed: list[int] = field(default_factory=list)
    skipped_backfill: list[int] = field(default_factory=list)
    held: list[int] = field(default_factory=list)
    """Held for review or as suspected spam."""
    queued: int = 0
    refetched_wider: bool = False
    late: list[int] = field(default_factory=list)
    """Topics approved late (once missing below newer ones) found and judged by this poll."""
    late_requests: int = 0
    """Extra forum requests (wide feed, board feeds, print pages) spent looking for them."""


async def relay_new_topics(source: ForumSource, ctx: HandlerContext) -> RelayReport:
    """Poll the forum once and queue every unseen topic for its destinations."""
    settings = ctx.settings.relay
    topics_repo = ctx.repos.topics
    report = RelayReport()
    now = ctx.clock.now()
    window_limit = settings.limit
    try:
        topics = await source.fetch_topics(settings.limit)
        fresh_database = await topics_repo.is_empty()
        newest_before = await topics_repo.newest_id()
        unseen = await topics_repo.unseen_ids([t.topic_id for t in topics])
        if topics and len(unseen) == len(topics) and not fresh_database:
            # Every item is new: more topics may have arrived than the window holds.
            wider = await source.fetch_topics(MAX_FEED_LIMIT)
            if len(wider) > len(topics):
                topics = wider
                window_limit = MAX_FEED_LIMIT
                unseen = await topics_repo.unseen_ids([t.topic_id for t in topics])
                report.refetched_wider = True
        if not topics and not fresh_database:
            # SMF never empties its news feed; an empty list means a broken or hidden feed,
            # and must not be read as "nothing new".
            raise ForumError("the feed suddenly lists no topics")
    except ForumError as exc:
        await _record_poll(ctx, now, ok=False, detail=str(exc))
        raise
    report.fetched = len(topics)
    gaps_before = {g.topic_id for g in await ctx.repos.late_topics.open_gaps()}
    newest_first = [t for t in topics if t.topic_id in unseen]
    backfill_ids = {t.topic_id for t in newest_first[: settings.backfill]}
    for topic in reversed(newest_first):  # oldest first, so channels read in order
        if fresh_database and topic.topic_id not in backfill_ids:
            await topics_repo.record(topic, decision="backfill_skipped", reason="fresh database")
            report.skipped_backfill.append(topic.topic_id)
            continue
        if topic.topic_id in gaps_before:
            report.late.append(topic.topic_id)  # approved late, but still inside the window
        await admit_topic(topic, source, ctx, report)
    first_poll_floor = None
    if fresh_database and topics:
        # Only what the backfill relayed counts as new on the first poll; older gaps predate us.
        first_poll_floor = min(backfill_ids, default=max(t.topic_id for t in topics))
    late = await search_late_topics(
        source, ctx, PollWindow(topics, window_limit, first_poll_floor, newest_before)
    )
    report.late_requests = late.requests
    fresh = await topics_repo.unseen_ids([t.topic_id for t in late.found])
    for topic in late.found:
        # Recorded meanwhile (an admin, another poll): judged already, so never relayed again.
        if topic.topic_id in fresh:
            logger.info("Topic %s was approved late; relaying it now", topic.topic_id)
            await admit_topic(topic, source, ctx, report)
            report.late.append(topic.topic_id)
    await ctx.repos.late_topics.resolve_recorded()
    await _record_poll(ctx, now, ok=True, detail=_detail(report))
    return report


async def admit_topic(
    topic: Topic, source: ForumSource, ctx: HandlerContext, report: RelayReport
) -> None:
    """Screen, relay and record one unseen topic: the one path for new and late topics."""
    if ctx.settings.relay.fetch_full_text:
        # Screen what will be relayed: spam can hide beyond the feed's 255-character teaser.
        topic = await _with_full_text(source, topic)
    verdict = await screen_topic(topic, ctx)
    if verdict.hold:
        await ctx.repos.topics.record(topic, decision=verdict.decision, reason=verdict.reason)
        report.held.append(topic.topic_id)
        return
    report.queued += await relay_topic(topic, ctx)
    # Marked seen only after its rows exist: a crash in between re-queues it,
    # and the idempotency keys stop a second send.
    await ctx.repos.topics.record(topic, decision="relayed", reason=verdict.reason)
    report.relayed.append(topic.topic_id)


def _detail(report: RelayReport) -> str:
    new = [t for t in report.relayed if t not in report.late]
    detail = f"{report.fetched} topics, {len(new)} new"
    if report.late:
        shown = ", ".join(map(str, report.late[:10])) + (", …" if len(report.late) > 10 else "")
        detail += f", {len(report.late)} approved late ({shown})"
    return detail


async def _with_full_text(source: ForumSource, topic: Topic) -> Topic:
    if not isinstance(source, SupportsFullText):
        return topic
    try:
        body = await source.fetch_full_body(topic.topic_id)
    except ForumError as exc:
        # The teaser is still a fine excerpt; a missing print view must not stop the relay.
        logger.warning(
            "Full text of topic %s unavailable, using the teaser: %s", topic.topic_id, exc
        )
        return topic
    return replace(topic, body_html=body) if body.strip() else topic


async def _record_poll(ctx: HandlerContext, now: datetime, *, ok: bool, detail: str) -> None:
    previous = await ctx.repos.state.get(POLL_STATE_KEY) or {}
    value: dict[str, object] = {
        "at": now.isoformat(timespec="seconds"),
        "result": "ok" if ok else "failed",
        "detail": detail,
        "last_success_at": now.isoformat(timespec="seconds")
        if ok
        else previous.get("last_success_at"),
        "last_error": previous.get("last_error") if ok else detail,
        "consecutive_failures": 0 if ok else int(str(previous.get("consecutive_failures", 0))) + 1,
    }
    await ctx.repos.state.put(POLL_STATE_KEY, value)
    if not ok:
        logger.warning("Forum poll failed: %s", detail)
