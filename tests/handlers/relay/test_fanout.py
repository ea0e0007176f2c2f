"""Fan-out: who gets an instant alert for a new topic, keyed once per subscriber."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.core.ids import BoardId, TopicId
from bot.domain.destinations import DestinationSpec
from bot.domain.topics import Topic
from bot.forum.smf_parse import parse_feed
from handlers.context import HandlerContext
from handlers.relay.fanout import relay_topic, subscriber_alerts
from tests.handlers.conftest import START, drain
from tests.handlers.relay.conftest import with_relay

SMF = Path(__file__).resolve().parents[4] / "shared" / "fixtures" / "smf"


def topic(topic_id: int = 50, board_id: int | None = 4) -> Topic:
    """Return a topic on ``board_id``."""
    return Topic(
        topic_id=TopicId(topic_id),
        board_id=BoardId(board_id) if board_id is not None else None,
        board_name="Umrah & Hajj Travel",
        subject="Umrah group leaves in March",
        link=f"https://forum.example/index.php?topic={topic_id}.0",
        posted_at=datetime(2026, 11, 27, 8, 30, tzinfo=UTC),
        author="admin",
        body_html="Seats are <b>limited</b>.",
        guid=None,
    )


async def subscribe(ctx: HandlerContext, channel: str, chat: str, **settings: object) -> int:
    """Subscribe a chat with ``settings``; return its subscriber id."""
    row = await ctx.repos.subscribers.subscribe(channel, chat, "private", "test", START)
    if settings:
        await ctx.repos.subscribers.update_settings(channel, chat, **settings)
    return row.id


async def test_alerts_go_to_active_instant_subscribers(ctx: HandlerContext) -> None:
    """Each active instant subscriber gets one topic_alert keyed by topic and subscriber."""
    tg = await subscribe(ctx, "telegram", "42")
    wa = await subscribe(ctx, "whatsapp", "+234801")
    items = await subscriber_alerts(topic(), ctx)
    assert [(i.idempotency_key, i.subscriber_id, i.topic_id) for i in items] == [
        (f"topic:50:sub:{tg}", tg, 50),
        (f"topic:50:sub:{wa}", wa, 50),
    ]
    first = items[0].message
    assert (first.kind, first.recipient.key) == ("topic_alert", "telegram:42")
    assert dict(first.template_values) == {
        "title": "Umrah group leaves in March",
        "link": "https://forum.example/index.php?topic=50.0",
    }
    assert first.plain_text.startswith("Umrah group leaves in March\n")


async def test_alerts_skip_opted_out_blocked_unsubscribed_and_digest(ctx: HandlerContext) -> None:
    """Opted-out, blocked, unsubscribed, alerts-off and digest subscribers get no instant alert."""
    keep = await subscribe(ctx, "telegram", "1")
    await subscribe(ctx, "whatsapp", "+2")
    await ctx.repos.subscribers.opt_out("whatsapp", "+2", START)
    await subscribe(ctx, "telegram", "3")
    await ctx.repos.recipients.record_error("telegram", "3", "blocked", "403", deactivate=True)
    await subscribe(ctx, "telegram", "4")
    await ctx.repos.subscribers.unsubscribe("telegram", "4", START)
    await subscribe(ctx, "telegram", "5", delivery="digest")
    await subscribe(ctx, "telegram", "6", topic_alerts=False)
    await ctx.repos.subscribers.upsert_inbound("telegram", "7", "private", "Never joined", START)
    items = await subscriber_alerts(topic(), ctx)
    assert [i.subscriber_id for i in items] == [keep]


async def test_alerts_respect_the_board_filter(ctx: HandlerContext) -> None:
    """A board filter lets through only its boards; an empty filter lets every board through."""
    every = await subscribe(ctx, "telegram", "1", boards=[])
    umrah = await subscribe(ctx, "telegram", "2", boards=[4])
    await subscribe(ctx, "telegram", "3", boards=[2])
    assert [i.subscriber_id for i in await subscriber_alerts(topic(board_id=4), ctx)] == [
        every,
        umrah,
    ]
    unnumbered = await subscriber_alerts(topic(board_id=None), ctx)
    assert [i.subscriber_id for i in unnumbered] == [every]


async def test_relay_queues_each_subscriber_alert_once(ctx: HandlerContext) -> None:
    """Relaying the same topic twice queues the subscriber's alert only once."""
    await subscribe(ctx, "telegram", "42")
    assert await relay_topic(topic(), ctx) == 1
    assert await relay_topic(topic(), ctx) == 0
    (sent,) = await drain(ctx)
    assert sent.subscriber_id is not None
    assert sent.message.recipient.chat_id == "42"


async def test_the_excerpt_length_comes_from_the_relay_settings(ctx: HandlerContext) -> None:
    """Destination and subscriber alerts are cut at ``settings.relay.excerpt_chars``."""
    await ctx.repos.destinations.sync_from_config(
        [DestinationSpec("telegram", "@attaqwaa", "channel")]
    )
    await subscribe(ctx, "whatsapp", "+234801")
    wordy = replace(topic(), body_html="Seats are limited. " * 60)
    assert await relay_topic(wordy, with_relay(ctx, excerpt_chars=80)) == 2
    short = [c.message.plain_text.split("\n\n", 1)[1] for c in await drain(ctx)]
    assert len(short) == 2
    assert all(40 < len(e) <= 80 and e.endswith("…") for e in short)
    assert await relay_topic(replace(wordy, topic_id=TopicId(51)), with_relay(ctx)) == 2
    default = [c.message.plain_text.split("\n\n", 1)[1] for c in await drain(ctx)]
    assert all(500 < len(e) <= 600 for e in default)


@pytest.mark.skipif(not SMF.is_dir(), reason=f"SMF captures not found at {SMF}")
async def test_captured_topics_reach_board_subscribers(ctx: HandlerContext) -> None:
    """With the captured feed, a news-board subscriber is alerted to exactly the news topics."""
    topics = parse_feed((SMF / "after" / "feed_news_smf.xml").read_bytes())
    with_relay(ctx, excerpt_chars=300)
    news = await subscribe(ctx, "whatsapp", "+234802", boards=[2])
    alerted = [t.topic_id for t in topics if await subscriber_alerts(t, ctx)]
    assert alerted == [t.topic_id for t in topics if t.board_id == 2]
    assert alerted
    (item,) = await subscriber_alerts(next(t for t in topics if t.board_id == 2), ctx)
    assert item.subscriber_id == news
    assert item.message.recipient.channel == "whatsapp"
