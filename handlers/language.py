"""Each person's language: offered first to a new chat, changed with /language or its words.

Nothing is guessed: Telegram's ``language_code`` follows the app's interface language (no
Hausa or Yoruba there) and WhatsApp tells nothing, so a new private chat is offered the menu
before anything else, the app's language only ticked and put first when it is one of ours.
The message that opened the chat is answered once the language is chosen, in that language.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import timedelta
from typing import Any

from bot.core.choices import keyword_of
from bot.core.commands import CHAT_MANAGERS
from bot.core.messages import ChatKind, Choice, InboundMessage
from bot.i18n import LANGUAGES, N_, language_named
from handlers.command_menu import publish_chat_menu
from handlers.context import HandlerContext
from handlers.feature import Feature
from handlers.flows import Answer, Ask, Done, Flow, Next, begin_at
from handlers.words import word_for, words_of

logger = logging.getLogger(__name__)

FIRST = "first"
CHOOSE = "choose"
PREFIX = "lang"
REPLAY_SUFFIX = ":after-language"
"""Added to the replayed message's ref, so its answers get keys of their own."""


async def first_contact(message: InboundMessage, ctx: HandlerContext) -> None:
    """Offer the language menu to a new private chat, keeping its message for afterwards.

    Offered once: a person who goes on without choosing reads the default language, and is
    not asked again at every message (``/language`` or its word opens the menu).
    """
    await ctx.repos.subscribers.update_settings(
        message.channel, message.chat_id, language_offered=True
    )
    await begin_at(LANGUAGE, FIRST, Answer.of(message), ctx)


def is_language_message(message: InboundMessage) -> bool:
    """Return whether ``message`` asks for or answers the language menu."""
    if message.choice_data is not None:
        return message.choice_data.partition(":")[0] == PREFIX
    parsed = message.command
    if parsed is not None:
        return parsed[0] == "language"
    return keyword_of(message.text) in words_of("language")


async def first(answer: Answer, data: dict[str, Any], ctx: HandlerContext) -> Next | Done:
    """Show the menu in every language; a message that names a language chooses it."""
    message = answer.message
    named = _named(answer)
    replay = None if is_language_message(message) else _replay_of(message)
    if named is not None:
        return await _chosen(answer, named, ctx, replay)
    return Next(
        CHOOSE,
        data={"replay": replay} if replay else {},
        ask=Ask(_in_every_language(ctx), _choices(language_named(message.language_hint))),
    )


async def offer(answer: Answer, data: dict[str, Any], ctx: HandlerContext) -> Next | Done:
    """Show the menu in the chat's language (/language, its words, an old menu's button)."""
    if answer.choice is not None or _named(answer) is not None:
        return await choose(answer, data, ctx)
    current = await ctx.language_of(answer.message.channel, answer.message.chat_id)
    t = ctx.speech_in(current)
    text = t._("Choose your language. Now: {language}.", language=LANGUAGES[t.code].native)
    hint = current or language_named(answer.message.language_hint)
    return Next(CHOOSE, ask=Ask(text, _choices(hint)))


async def choose(answer: Answer, data: dict[str, Any], ctx: HandlerContext) -> Next | Done:
    """Store the picked language and say so in it; anything else shows the menu again."""
    code = _named(answer)
    if code is None:
        if data.get("replay") is None and answer.choice is None and answer.text:
            return Done(pass_on=True)  # /language, then a word meant for something else
        return Next(CHOOSE, data=data, ask=Ask(_in_every_language(ctx)))
    return await _chosen(answer, code, ctx, data.get("replay"))


async def _chosen(
    answer: Answer, code: str, ctx: HandlerContext, replay: dict[str, Any] | None
) -> Done:
    message = answer.message
    await ctx.repos.subscribers.set_language(
        message.channel, message.chat_id, message.chat_kind.value, code
    )
    logger.info("Language of %s:%s is now %s", message.channel, message.chat_id, code)
    t = ctx.speech_in(code)
    if ctx.capabilities(message.channel).keywords:
        again = t._("Send {word} to change it.", word=word_for("language", code))
    else:
        again = t._("Send /language to change it.")
    if message.chat_kind is ChatKind.PRIVATE:
        await publish_chat_menu(ctx, message.channel, message.chat_id, t)
    said = Ask(t._("Language: {language}.", language=LANGUAGES[code].native) + " " + again)
    if not replay:
        return Done(said)
    # Answered once the menu is closed, so the kept message starts with no dialog open.
    kept = replace(
        message,
        text=replay.get("text", ""),
        choice_data=replay.get("choice_data"),
        origin_message_id=replay.get("origin_message_id"),
        message_ref=f"{replay.get('ref') or message.message_ref}{REPLAY_SUFFIX}",
    )
    return Done(said, then=kept)


def _in_every_language(ctx: HandlerContext) -> str:
    """Return "Choose your language" in each language, for a chat we cannot yet read."""
    return " · ".join(ctx.speech_in(code)._("Choose your language") for code in LANGUAGES)


def _choices(preselected: str | None) -> list[Choice]:
    order = sorted(LANGUAGES, key=lambda code: code != preselected)
    return [
        Choice(("✅ " if code == preselected else "") + LANGUAGES[code].native, data=code)
        for code in order
    ]


def _named(answer: Answer) -> str | None:
    """Return the language a pick or a typed name ("Yoruba", "hausa", "ar") means."""
    if answer.choice in LANGUAGES:
        return answer.choice
    word = keyword_of(answer.text)
    if not word:
        return None
    for code, language in LANGUAGES.items():
        if word in {keyword_of(code), keyword_of(language.native), keyword_of(language.english)}:
            return code
    return None


def _replay_of(message: InboundMessage) -> dict[str, Any] | None:
    """Return what to answer after the language is chosen (the chat's first message)."""
    if not message.text.strip() and message.choice_data is None:
        return None
    return {
        "text": message.text,
        "choice_data": message.choice_data,
        "origin_message_id": message.origin_message_id,
        "ref": message.message_ref,
    }


LANGUAGE = Flow(
    name="language",
    prefix=PREFIX,
    start="offer",
    steps={"offer": offer, FIRST: first, CHOOSE: choose},
    ttl=timedelta(days=7),
    who=CHAT_MANAGERS,
    what=N_("change this chat's language"),
    commands={"language": N_("Choose your language: English, Hausa, Yoruba or Arabic")},
    keywords=words_of("language"),
    expired=N_("The language menu has closed. Send /language to open it again."),
)

FEATURE = Feature(name="language", flows=[LANGUAGE])
