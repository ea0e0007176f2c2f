"""Relay: new forum topics become outbox rows for every matching destination, once each."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import datetime

from bot.core.errors import ForumError
from bot.domain.topics import Topic
from bot.forum.source import ForumSource, SupportsFullText
from handlers.context import HandlerContext
from handlers.relay.fanout import relay_topic
from handlers.relay.screen import screen_topic

logger = logging.getLogger(__name__)

POLL_STATE_KEY = "forum.last_poll"
MAX_FEED_LIMIT = 255  # SMF caps ``limit`` here and has no paging


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


async def relay_new_topics(source: ForumSource, ctx: HandlerContext) -> RelayReport:
    """Poll the forum once and queue every unseen topic for its destinations."""
    settings = ctx.settings.relay
    topics_repo = ctx.repos.topics
    report = RelayReport()
    now = ctx.clock.now()
    try:
        topics = await source.fetch_topics(settings.limit)
        fresh_database = await topics_repo.is_empty()
        unseen = await topics_repo.unseen_ids([t.topic_id for t in topics])
        if topics and len(unseen) == len(topics) and not fresh_database:
            # Every item is new: more topics may have arrived than the window holds.
            wider = await source.fetch_topics(MAX_FEED_LIMIT)
            if len(wider) > len(topics):
                topics = wider
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
    newest_first = [t for t in topics if t.topic_id in unseen]
    backfill_ids = {t.topic_id for t in newest_first[: settings.backfill]}
    for topic in reversed(newest_first):  # oldest first, so channels read in order
        if fresh_database and topic.topic_id not in backfill_ids:
            await topics_repo.record(topic, decision="backfill_skipped", reason="fresh database")
            report.skipped_backfill.append(topic.topic_id)
            continue
        if settings.fetch_full_text:
            # Screen what will be relayed: spam can hide beyond the feed's 255-character teaser.
            topic = await _with_full_text(source, topic)
        verdict = await screen_topic(topic, ctx)
        if verdict.hold:
            await topics_repo.record(topic, decision=verdict.decision, reason=verdict.reason)
            report.held.append(topic.topic_id)
            continue
        report.queued += await relay_topic(topic, ctx)
        # Marked seen only after its rows exist: a crash in between re-queues it,
        # and the idempotency keys stop a second send.
        await topics_repo.record(topic, decision="relayed", reason=verdict.reason)
        report.relayed.append(topic.topic_id)
    await _record_poll(ctx, now, ok=True, detail=f"{len(topics)} topics, {len(report.relayed)} new")
    return report


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
