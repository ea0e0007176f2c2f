"""Subscribing: /subscribe and /unsubscribe, and JOIN, HELP and the settings words."""

from __future__ import annotations

import logging

from bot.core.choices import keyword_of
from bot.core.commands import CHAT_MANAGERS, command
from bot.core.messages import InboundMessage
from bot.i18n import N_
from handlers.context import HandlerContext
from handlers.subscriptions import menus
from handlers.words import word_for

logger = logging.getLogger(__name__)


@command("subscribe", help=N_("Get an alert here for every new forum topic"), who=CHAT_MANAGERS)
async def subscribe(message: InboundMessage, argument: str, ctx: HandlerContext) -> None:
    """Subscribe this chat (a group only when its admin asks)."""
    await subscribe_chat(message, ctx, f"{message.channel}:/subscribe")
    t = await ctx.speech(message)
    await ctx.reply(
        message,
        t._(
            "Subscribed: new forum topics will come here. "
            "/boards chooses boards, /settings changes how, /unsubscribe stops."
        ),
    )


@command("unsubscribe", help=N_("Stop the topic alerts in this chat"), who=CHAT_MANAGERS)
async def unsubscribe(message: InboundMessage, argument: str, ctx: HandlerContext) -> None:
    """Unsubscribe this chat (a group only when its admin asks)."""
    subscribers = ctx.repos.subscribers
    sub = await subscribers.get(message.channel, message.chat_id)
    t = await ctx.speech(message)
    if sub is None or not sub.active:
        await ctx.reply(message, t._("This chat is not subscribed. Send /subscribe to start."))
        return
    await subscribers.unsubscribe(message.channel, message.chat_id, ctx.clock.now())
    await ctx.reply(
        message, t._("Unsubscribed: no more topic alerts here. /subscribe brings them back.")
    )


async def subscription_keyword(message: InboundMessage, ctx: HandlerContext) -> bool:
    """Handle JOIN, HELP and the settings words where people talk in words."""
    if not ctx.capabilities(message.channel).keywords:
        return False  # on Telegram these words are ordinary text
    word = keyword_of(message.text)
    t = await ctx.speech(message)
    if word in menus.JOIN_WORDS:
        await subscribe_chat(message, ctx, f"{message.channel}:JOIN")
        await ctx.reply(
            message,
            t._(
                "Subscribed: you will get new forum topics here. "
                "Send BOARDS to choose boards, {help} for the options, {stop} to opt out.",
                help=word_for("help", t.code),
                stop=word_for("stop", t.code),
            ),
        )
    elif word in menus.HELP_WORDS:
        await ctx.reply(message, menus.keyword_help(t))
    elif word in menus.SETTING_WORDS:
        await _set_by_word(message, ctx, word)
    else:
        return False
    return True


async def _set_by_word(message: InboundMessage, ctx: HandlerContext, word: str) -> None:
    subscribers = ctx.repos.subscribers
    sub = await subscribers.get(message.channel, message.chat_id)
    change = menus.SETTING_WORDS[word]
    t = await ctx.speech(message)
    not_joined = t._("You are not subscribed: send {join}.", join=word_for("join", t.code))
    if sub is None:
        await ctx.reply(message, not_joined)
        return
    prefs = change(sub.settings)
    await subscribers.save_settings(message.channel, message.chat_id, prefs)
    hint = "" if sub.active else "\n" + not_joined
    await ctx.reply(message, menus.describe_settings(prefs, t) + hint)


async def subscribe_chat(message: InboundMessage, ctx: HandlerContext, source: str) -> None:
    """Subscribe the chat of ``message``, recording when and how it asked."""
    await ctx.repos.subscribers.subscribe(
        message.channel, message.chat_id, message.chat_kind.value, source, ctx.clock.now()
    )
    logger.info("Subscribed %s:%s (%s)", message.channel, message.chat_id, source)
