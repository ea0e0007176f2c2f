"""The bot's own membership: blocked or removed stops sending; added back resumes it."""

from __future__ import annotations

import logging

from bot.core.messages import ChatKind, InboundMessage, Membership
from handlers.context import HandlerContext
from handlers.feature import Feature

logger = logging.getLogger(__name__)


async def on_membership(message: InboundMessage, ctx: HandlerContext) -> None:
    """Record that a chat blocked, removed or re-added the bot."""
    if message.membership is Membership.MEMBER:
        await ctx.repos.recipients.record_back(message.channel, message.chat_id)
        logger.info("Back in %s:%s", message.channel, message.chat_id)
        return
    # Every reason is one a later "member" update (or their next message) resumes from.
    if message.membership is not Membership.KICKED:
        reason = "not_member"
    elif message.chat_kind is ChatKind.PRIVATE:
        reason = "blocked"
    else:
        reason = "kicked"
    await ctx.repos.recipients.record_error(
        message.channel,
        message.chat_id,
        reason,
        f"membership changed to {message.membership} by {message.sender_id}",
        deactivate=True,
    )
    logger.info("Stopped sending to %s:%s (%s)", message.channel, message.chat_id, reason)


FEATURE = Feature(name="membership", membership=[on_membership])
