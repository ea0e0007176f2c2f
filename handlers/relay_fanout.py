"""Fan-out of one topic: a neutral alert per destination and subscriber, queued once each."""

from __future__ import annotations

from bot.core.ids import ChannelName, ChatId
from bot.core.messages import ChatKind, Recipient
from bot.forum.source import Topic
from bot.storage.repositories.outbox import NewOutboxItem
from handlers.context import HandlerContext
from handlers.relay_subscribers import subscriber_alerts
from handlers.rules import select_destinations
from handlers.topic_alert import render_topic_alert


async def relay_topic(topic: Topic, ctx: HandlerContext, excerpt_chars: int = 600) -> int:
    """Queue one topic for every destination and subscriber its rules select; return new rows."""
    items = []
    for dest in await select_destinations(topic, ctx):
        recipient = Recipient(
            ChannelName(dest.channel),
            ChatId(dest.chat_id),
            ChatKind.parse(dest.chat_kind),
            dest.thread_id,
        )
        message = render_topic_alert(topic, recipient, ctx.tz, excerpt_chars)
        key = f"topic:{topic.topic_id}:dest:{dest.id}"
        items.append(NewOutboxItem(key, message, topic_id=topic.topic_id, destination_id=dest.id))
    items.extend(await subscriber_alerts(topic, ctx, excerpt_chars))
    return await ctx.outbox.enqueue(items) if items else 0
