"""Messages to the bot's admins: one per admin chat, each keyed so a retry never repeats it."""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Sequence

from bot.core.ids import ChannelName, ChatId
from bot.core.messages import Recipient, Span, text_message
from bot.domain.outbox import NewOutboxItem
from bot.i18n import Speech
from handlers.context import HandlerContext

logger = logging.getLogger(__name__)

AlertText = Callable[[Speech], Sequence[Span]]
"""An alert written once, rendered in each admin's own language."""


async def alert_admins(
    ctx: HandlerContext, key: str, render: AlertText, *, skip: Collection[str] = ()
) -> int:
    """Queue ``render``'s alert for every admin on every channel but ``skip``; return rows.

    Each admin reads it in the language their chat chose. ``skip`` leaves out the channels
    the alert is about: a message to a platform that is down would only arrive after the
    news it brings is stale.
    """
    items = []
    for channel, users in sorted(ctx.admins.by_channel.items()):
        if channel in skip:
            continue
        for user in sorted(users):
            t = await ctx.speech_for(channel, user)
            recipient = Recipient(ChannelName(channel), ChatId(user))
            out = text_message(recipient, render(t), kind="admin_alert")
            items.append(NewOutboxItem(f"{key}:{channel}:{user}", out))
    queued = await ctx.outbox.enqueue(items)
    logger.warning("Admin alert %s queued for %d admin chats", key, queued)
    return queued
