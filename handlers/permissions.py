"""Who may do what: the roles of a sender in a chat, checked once by the dispatcher."""

from __future__ import annotations

import logging
from collections.abc import Collection

from bot.core.channel import SupportsChatAdmins
from bot.core.commands import Role
from bot.core.errors import ChannelError
from bot.core.messages import ChatKind, InboundMessage
from bot.i18n import Speech
from handlers.context import HandlerContext

logger = logging.getLogger(__name__)


async def may(who: Collection[Role], message: InboundMessage, ctx: HandlerContext) -> bool:
    """Return whether the sender of ``message`` holds one of the roles ``who`` allows.

    The platform is asked about group admins only when nothing cheaper already allows it.
    """
    if Role.MEMBER in who:
        return True
    is_admin = ctx.admins.is_admin(message.channel, message.sender_id)
    if Role.ADMIN in who and is_admin:
        return True
    if Role.AGENT in who and _is_agent(message, ctx):
        return True
    if Role.GROUP_ADMIN in who:
        return await _manages_chat(message, ctx, is_admin=is_admin)
    return False


async def roles_of(message: InboundMessage, ctx: HandlerContext) -> frozenset[Role]:
    """Return every role the sender of ``message`` holds in its chat (groups ask the platform)."""
    is_admin = ctx.admins.is_admin(message.channel, message.sender_id)
    roles = {Role.MEMBER}
    if is_admin:
        roles.add(Role.ADMIN)
    if await _manages_chat(message, ctx, is_admin=is_admin):
        roles.add(Role.GROUP_ADMIN)
    if _is_agent(message, ctx):
        roles.add(Role.AGENT)
    return frozenset(roles)


def _is_agent(message: InboundMessage, ctx: HandlerContext) -> bool:
    """Return whether the sender is one of the configured travel agents (in their own chat)."""
    private = message.chat_kind is ChatKind.PRIVATE
    return (
        private and ctx.settings.enquiries.agent_of(message.channel, message.sender_id) is not None
    )


async def _manages_chat(message: InboundMessage, ctx: HandlerContext, *, is_admin: bool) -> bool:
    if message.chat_kind is ChatKind.PRIVATE:
        return True
    channel = ctx.channels.get(message.channel)
    if isinstance(channel, SupportsChatAdmins):
        try:
            return await channel.is_chat_admin(message.chat_id, message.sender_id)
        except ChannelError as exc:
            logger.warning("Could not check the admins of %s: %s", message.chat_id, exc)
            return False
    # Without a way to ask the platform, only the bot's own admins may act for a group.
    return is_admin


def refusal(who: Collection[Role], action: str, t: Speech) -> str:
    """Return the polite refusal for someone lacking every role in ``who``.

    ``action`` is already in the person's language ("use /status").
    """
    if Role.GROUP_ADMIN in who:
        # Translators: {action} is a verb phrase, e.g. "use /status" or "approve topics".
        return t._("Sorry, only this group's admins can {action}.", action=action)
    return t._("Sorry, only the forum's admins can {action}.", action=action)
