"""Fan-out of one topic: a neutral alert per destination and subscriber, queued once each."""

from __future__ import annotations

from bot.domain.outbox import NewOutboxItem
from bot.domain.topics import Topic
from handlers.context import HandlerContext
from handlers.relay.alert import render_topic_alert
from handlers.relay.rules import select_destinations


async def relay_topic(topic: Topic, ctx: HandlerContext) -> int:
    """Queue one topic for every destination and subscriber its rules select; return new rows."""
    excerpt = ctx.settings.relay.excerpt_chars
    items = [
        NewOutboxItem(
            f"topic:{topic.topic_id}:dest:{dest.id}",
            render_topic_alert(topic, dest.recipient, ctx.tz, excerpt),
            topic_id=topic.topic_id,
            destination_id=dest.id,
        )
        for dest in await select_destinations(topic, ctx)
    ]
    items.extend(await subscriber_alerts(topic, ctx))
    return await ctx.outbox.enqueue(items)


async def subscriber_alerts(topic: Topic, ctx: HandlerContext) -> list[NewOutboxItem]:
    """Return one alert per subscriber who wants ``topic`` now (instant, board matches)."""
    excerpt = ctx.settings.relay.excerpt_chars
    # Outside a session window (WhatsApp's 24 hours) the outbox sends the topic_alert template
    # or skips the row as "outside_window"; the daily digest then picks the topic up.
    return [
        NewOutboxItem(
            f"topic:{topic.topic_id}:sub:{sub.id}",
            render_topic_alert(topic, sub.recipient, ctx.tz, excerpt),
            topic_id=topic.topic_id,
            subscriber_id=sub.id,
        )
        for sub in await ctx.repos.subscribers.for_topic_alerts(topic.board_id)
    ]
