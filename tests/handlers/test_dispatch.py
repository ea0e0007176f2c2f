"""The dispatcher: dedupe, routing order, buttons, typed picks, expired dialogs, robustness."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from bot.core.clock import FrozenClock
from bot.core.commands import command
from bot.core.messages import ChatKind, Choice, InboundMessage, Membership
from bot.domain.dialogs import OFFER_FLOW
from handlers.context import OFFER_TTL, HandlerContext
from handlers.dispatch import MAX_INBOUND_TEXT, Dispatcher
from handlers.feature import ChoiceRoute, Feature
from handlers.flows import Answer, Ask, Done, Flow, Next
from tests.handlers.conftest import ADMIN_ID, drain, inbound, press, texts, wa

PACKAGES = [Choice("Umrah", data="pkg:umrah"), Choice("Hajj", data="pkg:hajj")]


def offering(
    choices: list[Choice],
    *,
    word: str = "PACKAGES",
    prefix: str = "pkg",
    picks: list[str] | None = None,
) -> Feature:
    """Return a feature whose ``word`` offers ``choices`` and whose route records the picks."""

    async def offer(message: InboundMessage, c: HandlerContext) -> bool:
        if message.text.strip().upper() != word:
            return False
        await c.reply(message, "Which one?", choices=choices)
        return True

    async def on_pick(message: InboundMessage, rest: str, c: HandlerContext) -> None:
        if picks is not None:
            picks.append(rest)

    return Feature(name=word.lower(), keywords=[offer], choices={prefix: ChoiceRoute(on_pick)})


async def ignore(message: InboundMessage, rest: str, c: HandlerContext) -> None:
    """A button route that does nothing."""


def note_flow(seen: list[tuple[str, str | None, dict[str, Any]]]) -> Flow:
    """Return a two-step flow that records every answer its second step receives."""

    async def ask(answer: Answer, data: dict[str, Any], c: HandlerContext) -> Next | Done:
        choices = [Choice("Yes", data="yes"), Choice("No", data="no")]
        return Next("reply", {"asked": True}, ask=Ask("Shall we?", choices))

    async def reply(answer: Answer, data: dict[str, Any], c: HandlerContext) -> Next | Done:
        seen.append((answer.text, answer.choice, data))
        return Next("reply", data, ask=Ask("Noted."))

    return Flow(
        name="note",
        start="ask",
        steps={"ask": ask, "reply": reply},
        keywords=frozenset({"NOTE"}),
        expired="The note has closed.",
    )


# --- Commands, dedupe, fallback --------------------------------------------------------------


async def test_a_command_is_answered_in_the_same_chat(ctx: HandlerContext) -> None:
    """/start queues one greeting addressed to the sender's chat."""
    await Dispatcher(ctx).handle(inbound("/start"))
    sent = await drain(ctx)
    assert len(sent) == 1
    assert sent[0].message.recipient.chat_id == "2002"
    assert "Assalamu alaikum, Aisha" in sent[0].message.plain_text


async def test_a_message_handled_twice_is_answered_once(ctx: HandlerContext) -> None:
    """Handled twice (a crash before its inbox row settled), one message id gets one answer."""
    dispatcher = Dispatcher(ctx)
    await dispatcher.handle(inbound("/help", ref="telegram:update:77"))
    await dispatcher.handle(inbound("/help", ref="telegram:update:77"))
    assert len(await drain(ctx)) == 1


async def test_an_unknown_command_gets_a_clear_answer(ctx: HandlerContext) -> None:
    """An unknown /command in a private chat names it and points at /help."""
    await Dispatcher(ctx).handle(inbound("/frobnicate now"))
    (sent,) = await drain(ctx)
    assert sent.message.plain_text == "Unknown command /frobnicate. Send /help for the list."


async def test_unknown_command_in_a_group_is_ignored(ctx: HandlerContext) -> None:
    """Another bot's command in a group gets no answer from us."""
    await Dispatcher(ctx).handle(inbound("/otherbot_cmd", kind=ChatKind.GROUP, chat="-100200"))
    assert await drain(ctx) == []


async def test_an_admin_command_from_an_admin_runs(ctx: HandlerContext) -> None:
    """/status from an allowlisted admin answers with the status report."""
    await Dispatcher(ctx).handle(inbound("/status", sender=ADMIN_ID))
    (sent,) = await drain(ctx)
    assert sent.message.plain_text.startswith("Attaqwaa status")
    assert "Outbox: pending 2, sent 5" in sent.message.plain_text


async def test_free_text_in_a_group_is_never_answered(ctx: HandlerContext) -> None:
    """The bot does not speak unprompted in groups: that would be spam."""
    msg = inbound("hello everyone", kind=ChatKind.GROUP, chat="-100200")
    await Dispatcher(ctx).handle(msg)
    assert await drain(ctx) == []


async def test_free_text_in_private_gets_a_pointer_to_help(ctx: HandlerContext) -> None:
    """A private message that matches nothing gets one friendly pointer to /help."""
    await Dispatcher(ctx).handle(inbound("salaam"))
    (sent,) = await drain(ctx)
    assert (
        sent.message.plain_text == "Salaam! I am the Attaqwaa bot. Send /help to see what I can do."
    )


async def test_a_private_message_records_the_last_inbound_time(ctx: HandlerContext) -> None:
    """Every private message stamps the sender's last inbound time (WhatsApp's 24-hour window)."""
    await Dispatcher(ctx).handle(inbound("hi", channel="whatsapp", sender="+2348000000001"))
    subscriber = await ctx.repos.subscribers.get("whatsapp", "+2348000000001")
    assert subscriber is not None
    assert subscriber.last_inbound_at == ctx.clock.now()


async def test_a_group_message_records_no_subscriber(ctx: HandlerContext) -> None:
    """A group message stamps nothing: the 24-hour window belongs to private chats."""
    await Dispatcher(ctx).handle(inbound("hello", kind=ChatKind.GROUP, chat="-100200"))
    assert await ctx.repos.subscribers.get("telegram", "-100200") is None


async def test_a_failing_handler_reaches_the_inbox_worker(ctx: HandlerContext) -> None:
    """A crash inside a command propagates: the inbox worker, not the dispatcher, decides."""

    @command("boom", help="explode")
    async def boom(message: InboundMessage, argument: str, c: HandlerContext) -> None:
        raise RuntimeError("kaboom")

    ctx.commands.collect([boom])
    with pytest.raises(RuntimeError, match="kaboom"):
        await Dispatcher(ctx).handle(inbound("/boom"))


async def test_hostile_long_text_is_cut_before_handlers_see_it(ctx: HandlerContext) -> None:
    """A huge message is truncated to the inbound limit before dispatch."""
    seen: list[str] = []

    async def keyword(message: InboundMessage, c: HandlerContext) -> bool:
        seen.append(message.text)
        return True

    feature = Feature(name="probe", keywords=[keyword])
    await Dispatcher(ctx, [feature]).handle(inbound("<script>" + "ا" * 50_000))
    assert len(seen[0]) == MAX_INBOUND_TEXT


async def test_a_membership_change_goes_to_the_hooks_only(ctx: HandlerContext) -> None:
    """A membership update reaches the membership hooks and nothing else, and is never answered."""
    hooked: list[Membership | None] = []
    worded: list[str] = []

    async def on_membership(message: InboundMessage, c: HandlerContext) -> None:
        hooked.append(message.membership)

    async def keyword(message: InboundMessage, c: HandlerContext) -> bool:
        worded.append(message.text)
        return True

    feature = Feature(name="probe", membership=[on_membership], keywords=[keyword])
    await Dispatcher(ctx, [feature]).handle(
        replace(inbound("/start"), membership=Membership.KICKED)
    )
    assert hooked == [Membership.KICKED]
    assert worded == []
    assert await drain(ctx) == []


# --- Buttons -----------------------------------------------------------------------------


async def test_a_button_goes_to_its_route_with_the_rest_of_its_data(ctx: HandlerContext) -> None:
    """A press on ``pkg:hajj`` runs the ``pkg`` route with ``hajj``."""
    picks: list[str] = []
    await Dispatcher(ctx, [offering(PACKAGES, picks=picks)]).handle(press("pkg:hajj"))
    assert picks == ["hajj"]


async def test_a_button_with_unknown_data_is_ignored_and_logged(
    ctx: HandlerContext, caplog: pytest.LogCaptureFixture
) -> None:
    """A press whose prefix nobody claimed changes nothing and gets no answer."""
    with caplog.at_level(logging.INFO):
        await Dispatcher(ctx, [offering(PACKAGES)]).handle(press("zz:whatever"))
    assert await drain(ctx) == []
    assert "Ignored a button press with unknown data 'zz:whatever'" in caplog.text


async def test_a_button_press_reaches_the_open_dialog(ctx: HandlerContext) -> None:
    """A press of the open flow's button resumes its step with the choice and the step's data."""
    seen: list[tuple[str, str | None, dict[str, Any]]] = []
    dispatcher = Dispatcher(ctx, [Feature(name="note", flows=[note_flow(seen)])])
    await dispatcher.handle(press("note:go"))  # enters at the start step
    (prompt,) = await drain(ctx)
    assert [c.data for c in prompt.message.choices] == ["note:yes", "note:no"]
    await dispatcher.handle(press("note:yes"))
    assert seen == [("", "yes", {"asked": True})]
    assert await texts(ctx) == ["Noted."]


def test_a_prefix_claimed_by_two_routes_is_refused(ctx: HandlerContext) -> None:
    """Two features claiming one button prefix fail at start, not at the first press."""
    first = Feature(name="a", choices={"x": ChoiceRoute(ignore)})
    second = Feature(name="b", choices={"x": ChoiceRoute(ignore)})
    with pytest.raises(ValueError, match="button prefix 'x' is claimed twice"):
        Dispatcher(ctx, [first, second])


def test_a_prefix_claimed_by_a_flow_and_a_route_is_refused(ctx: HandlerContext) -> None:
    """A route may not take a prefix a flow's buttons already use."""
    flow = note_flow([])
    route = Feature(name="b", choices={"note": ChoiceRoute(ignore)})
    with pytest.raises(ValueError, match="button prefix 'note' is claimed twice"):
        Dispatcher(ctx, [Feature(name="a", flows=[flow]), route])


def test_a_prefix_claimed_by_two_flows_is_refused(ctx: HandlerContext) -> None:
    """Two flows with one button prefix would answer each other's buttons: refused at start."""
    one = note_flow([])
    other = replace(one, name="other")
    with pytest.raises(ValueError, match="button prefix 'note' is claimed twice"):
        Dispatcher(ctx, [Feature(name="a", flows=[one]), Feature(name="b", flows=[other])])


# --- Typed picks outside flows -------------------------------------------------------------


async def test_a_typed_number_picks_from_the_offered_list(ctx: HandlerContext) -> None:
    """Replying "2" (or the option's word) to numbered options acts like pressing that button."""
    picks: list[str] = []
    dispatcher = Dispatcher(ctx, [offering(PACKAGES, picks=picks)])
    await dispatcher.handle(wa("packages"))
    await dispatcher.handle(wa(" 2. "))
    assert picks == ["hajj"]
    await dispatcher.handle(wa("packages"))  # offered again
    await dispatcher.handle(wa("UMRAH"))
    assert picks == ["hajj", "umrah"]


async def test_the_offer_is_kept_in_the_chats_dialog_row(ctx: HandlerContext) -> None:
    """Options offered where there are no buttons are stored in the dialog row, without a flow."""
    await Dispatcher(ctx, [offering(PACKAGES)]).handle(wa("packages"))
    (offer,) = await drain(ctx)
    state = await ctx.repos.dialogs.get("whatsapp", "+2348011111111")
    assert state is not None
    assert (state.flow, state.is_flow, state.step, state.data) == (OFFER_FLOW, False, "", {})
    assert state.options == tuple(PACKAGES)
    assert state.prompt_ref == offer.idempotency_key
    assert state.expires_at == ctx.clock.now() + OFFER_TTL


async def test_the_next_offer_replaces_the_last_one(ctx: HandlerContext) -> None:
    """A typed number means the last list the person saw, not an earlier one."""
    picks: list[str] = []
    days: list[str] = []
    dates = [Choice("March", data="day:march"), Choice("April", data="day:april")]
    dispatcher = Dispatcher(
        ctx,
        [offering(PACKAGES, picks=picks), offering(dates, word="DATES", prefix="day", picks=days)],
    )
    await dispatcher.handle(wa("packages"))
    await dispatcher.handle(wa("dates"))
    state = await ctx.repos.dialogs.get("whatsapp", "+2348011111111")
    assert state is not None
    assert state.options == tuple(dates)
    await dispatcher.handle(wa("1"))
    assert (picks, days) == ([], ["march"])


async def test_an_offer_is_picked_once(ctx: HandlerContext) -> None:
    """After a pick the list is gone: the same number again is ordinary text."""
    picks: list[str] = []
    dispatcher = Dispatcher(ctx, [offering(PACKAGES, picks=picks)])
    await dispatcher.handle(wa("packages"))
    await dispatcher.handle(wa("1"))
    assert await ctx.repos.dialogs.get("whatsapp", "+2348011111111") is None
    await drain(ctx)
    await dispatcher.handle(wa("1"))
    assert picks == ["umrah"]
    assert await texts(ctx) == ["Salaam! I am the Attaqwaa bot. Send HELP to see what I can do."]


async def test_several_numbers_outside_a_flow_pick_nothing(ctx: HandlerContext) -> None:
    """ "1 2" only makes sense to a flow's step; against a plain offer it is ordinary text."""
    picks: list[str] = []
    dispatcher = Dispatcher(ctx, [offering(PACKAGES, picks=picks)])
    await dispatcher.handle(wa("packages"))
    await drain(ctx)
    await dispatcher.handle(wa("1 2"))
    assert picks == []
    assert await texts(ctx) == ["Salaam! I am the Attaqwaa bot. Send HELP to see what I can do."]


async def test_an_expired_offer_is_forgotten_silently(
    ctx: HandlerContext, clock: FrozenClock
) -> None:
    """A number typed after the offer's time to live picks nothing and mentions no expiry."""
    picks: list[str] = []
    dispatcher = Dispatcher(ctx, [offering(PACKAGES, picks=picks)])
    await dispatcher.handle(wa("packages"))
    await drain(ctx)
    clock.advance(OFFER_TTL.total_seconds())
    await dispatcher.handle(wa("1"))
    assert picks == []
    assert await ctx.repos.dialogs.get("whatsapp", "+2348011111111") is None
    assert await texts(ctx) == ["Salaam! I am the Attaqwaa bot. Send HELP to see what I can do."]


async def test_a_number_on_a_platform_with_buttons_is_plain_text(ctx: HandlerContext) -> None:
    """On a platform with buttons an offer is not remembered, so a typed "1" is just text."""
    picks: list[str] = []
    seen: list[str] = []

    async def note(message: InboundMessage, c: HandlerContext) -> bool:
        seen.append(message.text)
        return True

    offers = offering(PACKAGES, picks=picks)
    dispatcher = Dispatcher(ctx, [offers, Feature(name="probe", keywords=[note])])
    await dispatcher.handle(inbound("packages"))
    assert await ctx.repos.dialogs.get("telegram", "2002") is None
    await dispatcher.handle(inbound("1"))
    assert picks == []
    assert seen == ["1"]


# --- Flows in the routing order ------------------------------------------------------------


async def test_priority_words_come_before_a_typed_pick(ctx: HandlerContext) -> None:
    """A priority word that is also an option's word works as the priority word."""
    picks: list[str] = []
    heard: list[str] = []

    async def stop(message: InboundMessage, c: HandlerContext) -> bool:
        if message.text.upper() != "STOP":
            return False
        heard.append(message.text)
        return True

    choices = [Choice("Stop", data="pkg:stop"), Choice("Go", data="pkg:go")]
    features = [offering(choices, picks=picks), Feature(name="p", priority_keywords=[stop])]
    dispatcher = Dispatcher(ctx, features)
    await dispatcher.handle(wa("packages"))
    await dispatcher.handle(wa("stop"))
    assert (heard, picks) == (["stop"], [])


async def test_open_flow_text_comes_before_the_features_words(ctx: HandlerContext) -> None:
    """Inside a flow, private text is the flow's answer even when a keyword would take it."""
    seen: list[tuple[str, str | None, dict[str, Any]]] = []
    worded: list[str] = []

    async def keyword(message: InboundMessage, c: HandlerContext) -> bool:
        worded.append(message.text)
        return True

    flow = note_flow(seen)
    dispatcher = Dispatcher(
        ctx, [Feature(name="note", flows=[flow]), Feature(name="w", keywords=[keyword])]
    )
    await dispatcher.handle(wa("note"))
    await dispatcher.handle(wa("tomorrow"))
    assert seen == [("tomorrow", None, {"asked": True})]
    assert worded == []


async def test_a_command_inside_a_flow_runs_the_command(ctx: HandlerContext) -> None:
    """A /command typed in the middle of a flow runs; the flow stays open for the next answer."""
    seen: list[tuple[str, str | None, dict[str, Any]]] = []
    dispatcher = Dispatcher(ctx, [Feature(name="note", flows=[note_flow(seen)])])
    await dispatcher.handle(wa("note"))
    await drain(ctx)
    await dispatcher.handle(wa("/chatid"))
    assert await texts(ctx) == ["This chat is whatsapp:+2348011111111 (private)."]
    await dispatcher.handle(wa("2"))
    assert seen == [("2", "no", {"asked": True})]


async def test_flow_text_in_a_group_does_not_reach_the_flow(ctx: HandlerContext) -> None:
    """In a group only buttons answer a flow: members' chatter never becomes an answer."""
    seen: list[tuple[str, str | None, dict[str, Any]]] = []
    dispatcher = Dispatcher(ctx, [Feature(name="note", flows=[note_flow(seen)])])
    await dispatcher.handle(press("note:go", kind=ChatKind.GROUP, chat="-100200"))
    await drain(ctx)
    await dispatcher.handle(inbound("yes please", kind=ChatKind.GROUP, chat="-100200"))
    assert seen == []
    assert await drain(ctx) == []
    await dispatcher.handle(press("note:yes", kind=ChatKind.GROUP, chat="-100200"))
    assert seen == [("", "yes", {"asked": True})]


async def test_entry_words_open_flows_only_where_people_talk_in_words(
    ctx: HandlerContext,
) -> None:
    """ "NOTE" opens the flow on a keywords platform; on a buttons platform it is plain text."""
    dispatcher = Dispatcher(ctx, [Feature(name="note", flows=[note_flow([])])])
    await dispatcher.handle(wa("Note."))
    assert await texts(ctx) == ["Shall we?"]
    await dispatcher.handle(inbound("note"))
    assert await texts(ctx) == ["Salaam! I am the Attaqwaa bot. Send /help to see what I can do."]
    assert await ctx.repos.dialogs.get("telegram", "2002") is None


async def test_an_entry_word_is_never_read_as_an_option_word(ctx: HandlerContext) -> None:
    """Inside a flow whose option is labelled "Note it", typing "NOTE" starts it afresh."""
    seen: list[tuple[str, str | None, dict[str, Any]]] = []

    async def ask(answer: Answer, data: dict[str, Any], c: HandlerContext) -> Next | Done:
        return Next(
            "reply", {"n": data.get("n", 0) + 1}, ask=Ask("Ready?", [Choice("Note it", data="it")])
        )

    async def reply(answer: Answer, data: dict[str, Any], c: HandlerContext) -> Next | Done:
        seen.append((answer.text, answer.choice, data))
        return Done(pass_on=answer.choice is None)

    flow = Flow(
        name="note", start="ask", steps={"ask": ask, "reply": reply}, keywords=frozenset({"NOTE"})
    )
    dispatcher = Dispatcher(ctx, [Feature(name="note", flows=[flow])])
    await dispatcher.handle(wa("note"))
    await dispatcher.handle(wa("note"))
    assert seen == [("note", None, {"n": 1})]  # passed on, then entered again
    state = await ctx.repos.dialogs.get("whatsapp", "+2348011111111")
    assert state is not None
    assert (state.flow, state.step) == ("note", "reply")
    await dispatcher.handle(wa("it"))  # an option's word that is no entry word still picks
    assert seen[-1] == ("it", "it", {"n": 1})


async def test_a_flow_resumes_after_a_restart(ctx: HandlerContext) -> None:
    """The step lives in the dialog row, so a new dispatcher (a restarted process) resumes it."""
    seen: list[tuple[str, str | None, dict[str, Any]]] = []
    feature = Feature(name="note", flows=[note_flow(seen)])
    await Dispatcher(ctx, [feature]).handle(wa("note"))
    await Dispatcher(ctx, [feature]).handle(wa("1"))
    assert seen == [("1", "yes", {"asked": True})]


# --- Expired and unknown dialogs -----------------------------------------------------------


async def test_an_expired_dialog_says_so_once(ctx: HandlerContext, clock: FrozenClock) -> None:
    """The first message after a flow timed out gets the flow's expired note; the next does not."""
    seen: list[tuple[str, str | None, dict[str, Any]]] = []
    dispatcher = Dispatcher(ctx, [Feature(name="note", flows=[note_flow(seen)])])
    await dispatcher.handle(wa("note"))
    await drain(ctx)
    clock.advance(timedelta(minutes=30).total_seconds())
    await dispatcher.handle(wa("1"))
    assert await texts(ctx) == ["The note has closed."]
    assert await ctx.repos.dialogs.get("whatsapp", "+2348011111111") is None
    await dispatcher.handle(wa("1"))
    assert await texts(ctx) == ["Salaam! I am the Attaqwaa bot. Send HELP to see what I can do."]
    assert seen == []


async def test_the_expired_note_does_not_swallow_the_messages_own_answer(
    ctx: HandlerContext, clock: FrozenClock
) -> None:
    """A command sent after a flow timed out gets the note and then its own answer."""
    dispatcher = Dispatcher(ctx, [Feature(name="note", flows=[note_flow([])])])
    await dispatcher.handle(wa("note"))
    await drain(ctx)
    clock.advance(timedelta(hours=1).total_seconds())
    await dispatcher.handle(wa("/chatid"))
    assert await texts(ctx) == [
        "The note has closed.",
        "This chat is whatsapp:+2348011111111 (private).",
    ]


async def test_an_expired_dialog_is_forgotten_silently_in_a_group(
    ctx: HandlerContext, clock: FrozenClock
) -> None:
    """In a group the expired note is never said: the next message was not for the flow."""
    dispatcher = Dispatcher(ctx, [Feature(name="note", flows=[note_flow([])])])
    await dispatcher.handle(press("note:go", kind=ChatKind.GROUP, chat="-100200"))
    await drain(ctx)
    clock.advance(timedelta(hours=1).total_seconds())
    await dispatcher.handle(inbound("hello all", kind=ChatKind.GROUP, chat="-100200"))
    assert await drain(ctx) == []
    assert await ctx.repos.dialogs.get("telegram", "-100200") is None


async def test_an_old_button_after_expiry_enters_the_flow_without_the_note(
    ctx: HandlerContext, clock: FrozenClock
) -> None:
    """A press on a timed-out flow's menu enters the flow again with that answer, no note."""
    seen: list[tuple[str, str | None, dict[str, Any]]] = []

    async def start(answer: Answer, data: dict[str, Any], c: HandlerContext) -> Next | Done:
        seen.append((answer.text, answer.choice, data))
        return Next("start", ask=Ask("Again?", [Choice("Yes", data="yes")]))

    flow = Flow(name="note", start="start", steps={"start": start}, expired="Closed.")
    dispatcher = Dispatcher(ctx, [Feature(name="note", flows=[flow])])
    await dispatcher.handle(press("note:yes"))
    await drain(ctx)
    clock.advance(timedelta(hours=1).total_seconds())
    await dispatcher.handle(press("note:yes"))
    assert await texts(ctx) == ["Again?"]
    assert seen == [("", "yes", {}), ("", "yes", {})]


async def test_a_dialog_of_an_unknown_flow_is_closed_silently(ctx: HandlerContext) -> None:
    """A row left by a flow this build no longer has is dropped and the message routed anew."""
    await ctx.repos.dialogs.save("whatsapp", "+2348011111111", "retired", "step", {}, 600)
    await Dispatcher(ctx).handle(wa("hello"))
    assert await texts(ctx) == ["Salaam! I am the Attaqwaa bot. Send HELP to see what I can do."]
    assert await ctx.repos.dialogs.get("whatsapp", "+2348011111111") is None


async def test_where_people_talk_in_words_the_pointers_say_help(ctx: HandlerContext) -> None:
    """On WhatsApp the unknown-command reply and the fallback point at HELP, never /help."""
    dispatcher = Dispatcher(ctx)
    await dispatcher.handle(inbound("/frobnicate", channel="whatsapp", sender="+2348030000001"))
    await dispatcher.handle(inbound("hello there", channel="whatsapp", sender="+2348030000001"))
    assert await texts(ctx) == [
        "Unknown command /frobnicate. Send HELP for the list.",
        "Salaam! I am the Attaqwaa bot. Send HELP to see what I can do.",
    ]
