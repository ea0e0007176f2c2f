"""Opt-out compliance: STOP and its kin opt out at once, START opts back in.

Where people talk in words (WhatsApp), these are checked before anything else, even in the
middle of a flow: Meta's policy and Twilio's 63014 make an unanswered STOP the costliest bug
a WhatsApp bot can have. STOP, STOPALL, UNSUBSCRIBE and OPTOUT always opt out. CANCEL, END
and QUIT opt out too, except inside an open flow, where the dispatcher lets them end the flow
instead (and the answer says that STOP opts out).
"""

from __future__ import annotations

import logging

from bot.core.choices import keyword_of
from bot.core.messages import InboundMessage
from bot.i18n import N_
from handlers.context import HandlerContext
from handlers.feature import Feature
from handlers.words import english_words, word_for, words_of

logger = logging.getLogger(__name__)

ALWAYS_STOP_WORDS = words_of("stop")
STOP_WORDS = ALWAYS_STOP_WORDS | english_words("cancel")
"""Outside a dialog CANCEL, END and QUIT opt out as well (Twilio's SMS opt-out words)."""
START_WORDS = words_of("start")
STOPPED = N_("You will get no more messages. Send {start} to opt back in.")


async def consent_keyword(message: InboundMessage, ctx: HandlerContext) -> bool:
    """Honour STOP (and its variants) and START where the platform speaks in words."""
    if not ctx.capabilities(message.channel).keywords:
        return False  # on Telegram these words are ordinary text; /unsubscribe is the way
    word = keyword_of(message.text)
    if word in STOP_WORDS:
        await opt_out(message, ctx, word)
        return True
    if word in START_WORDS:
        await opt_in(message, ctx)
        return True
    return False


async def opt_out(message: InboundMessage, ctx: HandlerContext, word: str) -> None:
    """Stop every message to this chat until it opts in again, and confirm once."""
    repos = ctx.repos
    await repos.subscribers.opt_out(message.channel, message.chat_id, ctx.clock.now())
    await repos.dialogs.clear(message.channel, message.chat_id)
    logger.info("Opt-out by %s:%s (%s)", message.channel, message.chat_id, word)
    t = await ctx.speech(message)
    await ctx.reply(message, t._(STOPPED, start=word_for("start", t.code)))


async def opt_in(message: InboundMessage, ctx: HandlerContext) -> None:
    """Lift an opt-out; someone who had joined gets their alerts back as before."""
    repos = ctx.repos
    now = ctx.clock.now()
    before = await repos.subscribers.get(message.channel, message.chat_id)
    had_subscribed = before is not None and before.opt_in_at is not None
    source = f"{message.channel}:START"
    await repos.subscribers.opt_in(message.channel, message.chat_id, now, source=source)
    if had_subscribed:
        # START after STOP means "as before": the alerts they had asked for resume.
        await repos.subscribers.subscribe(
            message.channel, message.chat_id, message.chat_kind.value, source, now
        )
    t = await ctx.speech(message)
    if had_subscribed:
        await ctx.reply(message, t._("Welcome back: forum alerts will come here again."))
    else:
        await ctx.reply(
            message,
            t._(
                "You can get messages again. Send {join} for new forum topics.",
                join=word_for("join", t.code),
            ),
        )


FEATURE = Feature(name="consent", priority_keywords=[consent_keyword])
