"""Subscribing: /subscribe and /unsubscribe, and JOIN, HELP and the settings words."""

from __future__ import annotations

import logging

from bot.core.choices import keyword_of
from bot.core.commands import CHAT_MANAGERS, command
from bot.core.messages import InboundMessage
from handlers.context import HandlerContext
from handlers.subscriptions import menus

logger = logging.getLogger(__name__)


@command("subscribe", help="Get an alert here for every new forum topic", who=CHAT_MANAGERS)
async def subscribe(message: InboundMessage, argument: str, ctx: HandlerContext) -> None:
    """Subscribe this chat (a group only when its admin asks)."""
    await subscribe_chat(message, ctx, f"{message.channel}:/subscribe")
    await ctx.reply(
        message,
        "Subscribed: new forum topics will come here. "
        "/boards chooses boards, /settings changes how, /unsubscribe stops.",
    )


@command("unsubscribe", help="Stop the topic alerts in this chat", who=CHAT_MANAGERS)
async def unsubscribe(message: InboundMessage, argument: str, ctx: HandlerContext) -> None:
    """Unsubscribe this chat (a group only when its admin asks)."""
    subscribers = ctx.repos.subscribers
    sub = await subscribers.get(message.channel, message.chat_id)
    if sub is None or not sub.active:
        await ctx.reply(message, "This chat is not subscribed. Send /subscribe to start.")
        return
    await subscribers.unsubscribe(message.channel, message.chat_id, ctx.clock.now())
    await ctx.reply(
        message, "Unsubscribed: no more topic alerts here. /subscribe brings them back."
    )


async def subscription_keyword(message: InboundMessage, ctx: HandlerContext) -> bool:
    """Handle JOIN, HELP and the settings words where people talk in words."""
    if not ctx.capabilities(message.channel).keywords:
        return False  # on Telegram these words are ordinary text
    word = keyword_of(message.text)
    if word in menus.JOIN_WORDS:
        await subscribe_chat(message, ctx, f"{message.channel}:JOIN")
        await ctx.reply(
            message,
            "Subscribed: you will get new forum topics here. "
            "Send BOARDS to choose boards, HELP for the options, STOP to opt out.",
        )
    elif word == "HELP":
        await ctx.reply(message, menus.KEYWORD_HELP)
    elif word in menus.SETTING_WORDS:
        await _set_by_word(message, ctx, word)
    else:
        return False
    return True


async def _set_by_word(message: InboundMessage, ctx: HandlerContext, word: str) -> None:
    subscribers = ctx.repos.subscribers
    sub = await subscribers.get(message.channel, message.chat_id)
    change = menus.SETTING_WORDS[word]
    if sub is None:
        await ctx.reply(message, "You are not subscribed: send JOIN.")
        return
    prefs = change(sub.settings)
    await subscribers.save_settings(message.channel, message.chat_id, prefs)
    hint = "" if sub.active else "\nYou are not subscribed: send JOIN."
    await ctx.reply(message, menus.describe_settings(prefs) + hint)


async def subscribe_chat(message: InboundMessage, ctx: HandlerContext, source: str) -> None:
    """Subscribe the chat of ``message``, recording when and how it asked."""
    await ctx.repos.subscribers.subscribe(
        message.channel, message.chat_id, message.chat_kind.value, source, ctx.clock.now()
    )
    logger.info("Subscribed %s:%s (%s)", message.channel, message.chat_id, source)
