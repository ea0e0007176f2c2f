"""The command menus a platform shows: one per language, and each admin's own.

Telegram picks the menu of a chat's scope first (``BotCommandScopeChat``), then the one of the
app's language, then the default; so admins get their admin commands in their chat only,
and a person who chose Hausa gets a Hausa menu although no Telegram app speaks Hausa.
Command names stay ``a-z0-9_``; only their descriptions are translated.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from bot.core.channel import SupportsCommandMenu
from bot.core.errors import ChannelError
from bot.i18n import LANGUAGES, Speech
from handlers.context import HandlerContext

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CommandMenu:
    """One menu: its commands, and whose it is (a language's, a chat's, or the default)."""

    commands: Mapping[str, str]
    language: str | None = None
    chat_id: str | None = None


async def command_menus(ctx: HandlerContext, channel: str) -> list[CommandMenu]:
    """Return every menu to publish on ``channel``: default, per language, per admin chat."""
    default = ctx.speech_in(None)
    menus = [CommandMenu(ctx.commands.menu(default._))]
    menus.extend(
        CommandMenu(ctx.commands.menu(ctx.speech_in(code)._), language=code) for code in LANGUAGES
    )
    admins = ctx.admins.by_channel.get(channel, frozenset())
    agents = {
        chat.chat_id
        for agent in ctx.settings.enquiries.agents
        for chat in agent.chats
        if chat.channel == channel
    }
    for chat_id in sorted(admins | agents):
        t = await ctx.speech_for(channel, chat_id)
        menus.append(chat_menu(ctx, t, channel, chat_id))
    return menus


def chat_menu(ctx: HandlerContext, t: Speech, channel: str, chat_id: str) -> CommandMenu:
    """Return the menu of one private chat, in its language, with its admin or agent commands."""
    admin = ctx.admins.is_admin(channel, chat_id)
    agent = ctx.settings.enquiries.agent_of(channel, chat_id) is not None
    return CommandMenu(ctx.commands.menu(t._, admin=admin, agent=agent), chat_id=chat_id)


async def publish_chat_menu(ctx: HandlerContext, channel: str, chat_id: str, t: Speech) -> None:
    """Publish one private chat's menu where the platform has menus; a failure is only logged."""
    platform = ctx.channels.get(channel)
    if not isinstance(platform, SupportsCommandMenu):
        return
    menu = chat_menu(ctx, t, channel, chat_id)
    try:
        await platform.publish_commands(menu.commands, chat_id=chat_id)
    except ChannelError as exc:
        # The menu is a convenience: the language is stored and every reply already uses it.
        logger.warning("Could not publish the %s menu of %s: %s", channel, chat_id, exc)
