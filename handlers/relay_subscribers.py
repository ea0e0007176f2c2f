"""Topic alerts for individual subscribers on Telegram and WhatsApp."""

from __future__ import annotations

from bot.core.ids import ChannelName, ChatId
from bot.core.messages import ChatKind, Recipient
from bot.forum.source import Topic
from bot.storage.repositories.outbox import NewOutboxItem
from handlers.context import HandlerContext
from handlers.topic_alert import render_topic_alert


async def subscriber_alerts(
    topic: Topic, ctx: HandlerContext, excerpt_chars: int
) -> list[NewOutboxItem]:
    """Return one alert per subscriber who wants ``topic`` now (instant, board matches)."""
    items = []
    for sub in await ctx.subscribers.for_topic_alerts(topic.board_id):
        recipient = Recipient(
            ChannelName(sub.channel), ChatId(sub.chat_id), ChatKind.parse(sub.chat_kind)
        )
        # Outside WhatsApp's 24-hour window the outbox sends the topic_alert template or skips
        # the row as "outside_window"; the daily digest then picks the topic up.
        message = render_topic_alert(topic, recipient, ctx.tz, excerpt_chars)
        items.append(
            NewOutboxItem(
                f"topic:{topic.topic_id}:sub:{sub.id}",
                message,
                topic_id=topic.topic_id,
                subscriber_id=sub.id,
            )
        )
    return items
