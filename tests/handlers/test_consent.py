"""Opt-out compliance: STOP and its kin always opt out, CANCEL ends a flow first, START."""

from __future__ import annotations

from typing import Any

import pytest

from bot.core.messages import Choice, InboundMessage
from handlers import build_dispatcher
from handlers.consent import ALWAYS_STOP_WORDS, STOP_WORDS, STOPPED
from handlers.consent import FEATURE as CONSENT
from handlers.context import HandlerContext
from handlers.dispatch import Dispatcher
from handlers.feature import Feature
from handlers.flows import CANCEL_WORDS, Answer, Ask, Done, Flow, Next
from tests.handlers.conftest import EN, START, WA_NUMBER, drain, inbound, texts, wa


async def opted_out(ctx: HandlerContext, number: str = WA_NUMBER) -> bool:
    """Return whether the WhatsApp number is opted out."""
    row = await ctx.repos.subscribers.get("whatsapp", number)
    return row is not None and row.opted_out_at is not None


def test_the_word_lists() -> None:
    """STOP_WORDS are the opt-out words of every language plus the English three that cancel."""
    english = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "OPTOUT"})
    assert english | {"TSAYA", "DAINA", "DURO", "توقف", "ايقاف"} == ALWAYS_STOP_WORDS
    assert frozenset({"CANCEL", "END", "QUIT"}) < CANCEL_WORDS
    assert ALWAYS_STOP_WORDS | {"CANCEL", "END", "QUIT"} == STOP_WORDS


@pytest.mark.parametrize(
    "word",
    [
        "STOP",
        "stop",
        "Stop.",
        "STOP.",
        "stopall",
        "STOP ALL",
        "UNSUBSCRIBE",
        "cancel",
        "End",
        "quit",
        "OPTOUT",
        "opt-out",
        "  stop!  ",
    ],
)
async def test_stop_variants_opt_out_and_confirm(ctx: HandlerContext, word: str) -> None:
    """Outside a flow every STOP variant opts the number out at once and confirms exactly once."""
    d = build_dispatcher(ctx)
    await d.handle(wa("JOIN"))
    await drain(ctx)
    await d.handle(wa(word))
    row = await ctx.repos.subscribers.get("whatsapp", WA_NUMBER)
    assert row is not None
    assert (row.active, row.opted_out_at, row.inactive_reason) == (False, START, "opted_out")
    assert await ctx.repos.subscribers.active_for("whatsapp") == []
    (sent,) = await drain(ctx)
    assert (sent.message.plain_text, sent.message.kind) == (EN._(STOPPED, start="START"), "reply")


@pytest.mark.parametrize("word", ["STOP", "STOPALL", "UNSUBSCRIBE", "OPTOUT"])
async def test_stop_words_opt_out_even_inside_a_flow(ctx: HandlerContext, word: str) -> None:
    """Inside the settings menu STOP, STOPALL, UNSUBSCRIBE and OPTOUT opt out and close it."""
    d = build_dispatcher(ctx)
    await d.handle(wa("JOIN"))
    await d.handle(wa("SETTINGS"))
    state = await ctx.repos.dialogs.get("whatsapp", WA_NUMBER)
    assert state is not None
    assert state.flow == "settings"
    await drain(ctx)
    await d.handle(wa(word.lower()))
    assert await opted_out(ctx)
    assert await texts(ctx) == [EN._(STOPPED, start="START")]
    assert await ctx.repos.dialogs.get("whatsapp", WA_NUMBER) is None


@pytest.mark.parametrize("word", ["CANCEL", "END", "QUIT"])
async def test_cancel_words_end_a_flow_without_opting_out(ctx: HandlerContext, word: str) -> None:
    """Inside the settings menu CANCEL, END and QUIT close it, keep the subscription, hint STOP."""
    d = build_dispatcher(ctx)
    await d.handle(wa("JOIN"))
    await d.handle(wa("SETTINGS"))
    await drain(ctx)
    await d.handle(wa(word))
    assert not await opted_out(ctx)
    assert [s.chat_id for s in await ctx.repos.subscribers.active_for("whatsapp")] == [WA_NUMBER]
    assert await texts(ctx) == ["Cancelled. (To stop all messages, send STOP.)"]
    assert await ctx.repos.dialogs.get("whatsapp", WA_NUMBER) is None


async def test_cancel_after_a_plain_offer_still_opts_out(ctx: HandlerContext) -> None:
    """A numbered offer is no flow: CANCEL there is the opt-out word it always was."""

    async def offer(message: InboundMessage, c: HandlerContext) -> bool:
        if message.text != "offer":
            return False
        await c.reply(message, "Which?", choices=[Choice("Cancel order", data="x:1")])
        return True

    d = build_dispatcher(ctx)
    await d.handle(wa("JOIN"))
    await Dispatcher(ctx, [Feature(name="offer", keywords=[offer])]).handle(wa("offer"))
    await drain(ctx)
    await d.handle(wa("cancel"))
    assert await opted_out(ctx)
    assert await texts(ctx) == [EN._(STOPPED, start="START")]


async def test_stop_from_a_stranger_is_recorded(ctx: HandlerContext) -> None:
    """STOP from a number that never joined still marks it opted out."""
    await build_dispatcher(ctx).handle(wa("STOP", "+2349099999999"))
    row = await ctx.repos.subscribers.get("whatsapp", "+2349099999999")
    assert row is not None
    assert row.opted_out_at == START


async def test_stop_works_in_the_middle_of_another_features_dialog(ctx: HandlerContext) -> None:
    """An open flow that takes any text cannot swallow STOP: the opt-out is checked first."""
    swallowed: list[str] = []

    async def dates(answer: Answer, data: dict[str, Any], c: HandlerContext) -> Next | Done:
        swallowed.append(answer.text)
        return Next("dates", ask=Ask("And then?"))

    flow = Flow(name="enquiry", start="dates", steps={"dates": dates})
    dispatcher = Dispatcher(ctx, [CONSENT, Feature(name="enquiry", flows=[flow])])
    now = ctx.clock.now()
    await ctx.repos.subscribers.subscribe("whatsapp", WA_NUMBER, "private", "test", now)
    await ctx.repos.dialogs.save("whatsapp", WA_NUMBER, "enquiry", "dates", {}, 600)
    await dispatcher.handle(wa("10 March"))
    await dispatcher.handle(wa("Stop."))
    assert await opted_out(ctx)
    assert swallowed == ["10 March"]
    assert await ctx.repos.dialogs.get("whatsapp", WA_NUMBER) is None


async def test_start_after_stop_resumes_the_subscription(ctx: HandlerContext) -> None:
    """START lifts the opt-out and, for someone who had joined, resumes their alerts."""
    d = build_dispatcher(ctx)
    for text in ("JOIN", "STOP", "start"):
        await d.handle(wa(text))
    row = await ctx.repos.subscribers.get("whatsapp", WA_NUMBER)
    assert row is not None
    assert (row.active, row.opted_out_at, row.opt_in_source) == (True, None, "whatsapp:START")
    assert (await texts(ctx))[-1] == "Welcome back: forum alerts will come here again."


async def test_start_without_joining_only_lifts_the_opt_out(ctx: HandlerContext) -> None:
    """START from someone who never joined allows messages again but subscribes nobody."""
    d = build_dispatcher(ctx)
    await d.handle(wa("STOP"))
    await d.handle(wa("START"))
    row = await ctx.repos.subscribers.get("whatsapp", WA_NUMBER)
    assert row is not None
    assert (row.active, row.opted_out_at) == (False, None)
    assert (await texts(ctx))[-1] == "You can get messages again. Send JOIN for new forum topics."


async def test_start_after_stop_records_when_and_how_they_opted_in(ctx: HandlerContext) -> None:
    """START lifts the opt-out and stores its time and source (WhatsApp's opt-in record)."""
    d = build_dispatcher(ctx)
    await d.handle(wa("STOP"))
    await d.handle(wa("start"))
    row = await ctx.repos.subscribers.get("whatsapp", WA_NUMBER)
    assert row is not None
    assert (row.opted_out_at, row.opt_in_at, row.opt_in_source) == (None, START, "whatsapp:START")


async def test_join_after_stop_lifts_the_opt_out(ctx: HandlerContext) -> None:
    """JOIN is an explicit ask, so it also ends an earlier STOP."""
    d = build_dispatcher(ctx)
    await d.handle(wa("STOP"))
    await d.handle(wa("JOIN"))
    active = await ctx.repos.subscribers.active_for("whatsapp")
    assert [s.chat_id for s in active] == [WA_NUMBER]


async def test_stop_and_start_are_ordinary_text_on_telegram(ctx: HandlerContext) -> None:
    """On a platform without keywords "STOP" and "START" change nothing and get the pointer."""
    d = build_dispatcher(ctx)
    await d.handle(inbound("/subscribe"))
    await drain(ctx)
    await d.handle(inbound("STOP"))
    await d.handle(inbound("START"))
    row = await ctx.repos.subscribers.get("telegram", "2002")
    assert row is not None
    assert (row.active, row.opted_out_at) == (True, None)
    pointer = "Salaam! I am the Attaqwaa bot. Send /help to see what I can do."
    assert await texts(ctx) == [pointer, pointer]
