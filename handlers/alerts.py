"""Messages to the bot's admins: one per admin chat, each keyed so a retry never repeats it."""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence

from bot.core.ids import ChannelName, ChatId
from bot.core.messages import Recipient, Span, text_message
from bot.domain.outbox import NewOutboxItem
from handlers.context import HandlerContext

logger = logging.getLogger(__name__)


async def alert_admins(
    ctx: HandlerContext, key: str, spans: Sequence[Span], *, skip: Collection[str] = ()
) -> int:
    """Queue ``spans`` for every admin on every channel but ``skip`` under ``key``; return rows.

    ``skip`` leaves out the channels the alert is about: a message to a platform that is down
    would only arrive after the news it brings is stale.
    """
    items = [
        NewOutboxItem(
            f"{key}:{channel}:{user}",
            text_message(Recipient(ChannelName(channel), ChatId(user)), spans, kind="admin_alert"),
        )
        for channel, users in sorted(ctx.admins.by_channel.items())
        if channel not in skip
        for user in sorted(users)
    ]
    queued = await ctx.outbox.enqueue(items)
    logger.warning("Admin alert %s queued for %d admin chats", key, queued)
    return queued
