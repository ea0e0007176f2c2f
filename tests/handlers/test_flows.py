"""The flow engine: steps as a table, the dialog row, cancel words, edits, entry commands."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from bot.core.commands import ADMINS, Role
from bot.core.ids import UserId
from bot.core.messages import Choice, SharedContact
from handlers.context import HandlerContext
from handlers.dispatch import Dispatcher
from handlers.feature import Feature
from handlers.flows import (
    CANCEL_WORDS,
    DEFAULT_TTL,
    Answer,
    Ask,
    Done,
    Flow,
    Next,
    begin,
    cancel,
    entry_commands,
    resume,
)
from handlers.permissions import refusal
from tests.handlers.conftest import EN, drain, inbound, press, provider_id, texts, wa

COLOURS = [Choice("Red", data="red"), Choice("Blue", data="blue")]


async def pick_colour(answer: Answer, data: dict[str, Any], ctx: HandlerContext) -> Next | Done:
    """Start step: offer two colours."""
    return Next("colour", {"round": 1}, ask=Ask("Which colour?", COLOURS))


async def colour(answer: Answer, data: dict[str, Any], ctx: HandlerContext) -> Next | Done:
    """Take a colour; nudge without new options on anything else; "keep" shows it edited."""
    if answer.choice is None:
        if answer.word == "SKIP":
            return Done(pass_on=True)
        return Next("colour", data, ask=Ask("Please pick a colour."))
    if answer.choice == "red":
        return Next(
            "colour",
            {"round": data["round"] + 1},
            ask=Ask("Red it is. Another?", COLOURS, edit=True),
        )
    return Done(Ask(f"Blue, after {data['round']} rounds.", edit=True))


PAINT = Flow(
    name="paint",
    start="start",
    steps={"start": pick_colour, "colour": colour},
    keywords=frozenset({"PAINT"}),
    commands={"paint": "Pick a colour"},
    expired="The paint pot dried.",
)


def dispatcher(ctx: HandlerContext, flow: Flow = PAINT) -> Dispatcher:
    """Return a dispatcher with only ``flow``, its entry command registered."""
    if ctx.commands.get("paint") is None:
        ctx.commands.collect(entry_commands(flow))
    return Dispatcher(ctx, [Feature(name=flow.name, flows=[flow])])


# --- Declarations ------------------------------------------------------------------------


def test_a_flow_must_start_at_one_of_its_steps() -> None:
    """A start step missing from the table is refused when the flow is declared."""
    with pytest.raises(ValueError, match="flow 'x': start step 'go' is not a step"):
        Flow(name="x", start="go", steps={"start": pick_colour})


def test_the_button_prefix_defaults_to_the_flow_name() -> None:
    """Without a prefix a flow's buttons carry its name; the other defaults are the engine's."""
    assert PAINT.prefix == "paint"
    assert replace(PAINT, prefix="pt").prefix == "pt"
    assert frozenset({"CANCEL", "END", "QUIT", "SOKE", "FAGILE", "الغاء"}) == CANCEL_WORDS
    assert (PAINT.ttl, PAINT.cancel_words, PAINT.who) == (
        DEFAULT_TTL,
        CANCEL_WORDS,
        frozenset({Role.MEMBER}),
    )


@pytest.mark.parametrize(
    ("data", "value"),
    [
        ("paint:red", "red"),
        ("paint:", ""),
        ("paint:a:b", "a:b"),
        ("paints:red", None),
        ("red", None),
    ],
    ids=["ours", "empty-value", "colon-in-value", "other-prefix", "no-prefix"],
)
def test_value_of_reads_only_this_flows_buttons(data: str, value: str | None) -> None:
    """``value_of`` strips the flow's own prefix and refuses any other data."""
    assert PAINT.value_of(data) == value


def test_an_answer_keeps_only_the_senders_own_contact() -> None:
    """A shared contact counts only when it is the sender's own number."""
    own = SharedContact(phone="+2348000000001", user_id=UserId("2002"))
    other = SharedContact(phone="+2348000000002", user_id=UserId("9999"))
    unknown = SharedContact(phone="+2348000000003")
    assert Answer.of(replace(inbound("x"), contact=own)).contact == own
    assert Answer.of(replace(inbound("x"), contact=other)).contact is None
    assert Answer.of(replace(inbound("x"), contact=unknown)).contact is None


def test_an_answer_sets_the_choice_only_for_a_single_pick() -> None:
    """One pick is the choice; several are picks only; the text is stripped and read as a word."""
    one = Answer.of(inbound(" blue! "), ["blue"])
    many = Answer.of(inbound("1 2"), ["red", "blue"])
    assert (one.choice, one.picks, one.text, one.word) == ("blue", ("blue",), "blue!", "BLUE")
    assert (many.choice, many.picks) == (None, ("red", "blue"))


def test_entry_commands_carry_the_flows_roles_and_help() -> None:
    """Each entry command of a flow becomes one ``@command`` with the flow's ``who``."""
    from bot.core.commands import CommandRegistry

    registry: CommandRegistry[HandlerContext] = CommandRegistry()
    registry.collect(entry_commands(replace(PAINT, who=ADMINS)))
    spec = registry.get("paint")
    assert spec is not None
    assert (spec.info.help, spec.info.who) == ("Pick a colour", ADMINS)


# --- The dialog row ----------------------------------------------------------------------


async def test_a_step_stores_its_step_data_and_prefixed_options(ctx: HandlerContext) -> None:
    """After the first step the row holds the next step, its data, the options and the prompt."""
    await dispatcher(ctx).handle(wa("paint"))
    (prompt,) = await drain(ctx)
    assert [c.data for c in prompt.message.choices] == ["paint:red", "paint:blue"]
    state = await ctx.repos.dialogs.get("whatsapp", "+2348011111111")
    assert state is not None
    assert (state.flow, state.step, state.data) == ("paint", "colour", {"round": 1})
    assert [(c.label, c.data) for c in state.options] == [
        ("Red", "paint:red"),
        ("Blue", "paint:blue"),
    ]
    assert state.prompt_ref == prompt.idempotency_key
    assert state.expires_at == ctx.clock.now() + DEFAULT_TTL


async def test_a_nudge_without_options_keeps_the_list_on_screen_valid(ctx: HandlerContext) -> None:
    """A step that only nudges leaves the offered options in the row, so "2" still picks."""
    d = dispatcher(ctx)
    await d.handle(wa("paint"))
    await d.handle(wa("green"))
    assert (await texts(ctx))[-1] == "Please pick a colour."
    state = await ctx.repos.dialogs.get("whatsapp", "+2348011111111")
    assert state is not None
    assert [c.data for c in state.options] == ["paint:red", "paint:blue"]
    await d.handle(wa("2"))
    assert await texts(ctx) == ["Blue, after 1 rounds."]
    assert await ctx.repos.dialogs.get("whatsapp", "+2348011111111") is None


async def test_done_with_pass_on_closes_the_flow_and_routes_on(ctx: HandlerContext) -> None:
    """A step that passes the answer on closes the flow and the message is routed as usual."""
    d = dispatcher(ctx)
    await d.handle(wa("paint"))
    await drain(ctx)
    await d.handle(wa("skip"))
    assert await ctx.repos.dialogs.get("whatsapp", "+2348011111111") is None
    assert await texts(ctx) == ["Salaam! I am the Attaqwaa bot. Send HELP to see what I can do."]


async def test_begin_and_resume_report_a_passed_on_answer(ctx: HandlerContext) -> None:
    """``resume`` returns False when the step passed the answer on, True when it answered."""
    await begin(PAINT, Answer.of(wa("paint")), ctx)
    state = await ctx.repos.dialogs.get("whatsapp", "+2348011111111")
    assert state is not None
    assert await resume(PAINT, state, Answer.of(wa("skip")), ctx) is False
    await begin(PAINT, Answer.of(wa("paint")), ctx)
    state = await ctx.repos.dialogs.get("whatsapp", "+2348011111111")
    assert state is not None
    assert await resume(PAINT, state, Answer.of(wa("hm")), ctx) is True


async def test_a_step_going_to_an_unknown_step_is_a_bug_not_a_state(ctx: HandlerContext) -> None:
    """Returning a step the table lacks raises, and no row points at it."""

    async def lost(answer: Answer, data: dict[str, Any], c: HandlerContext) -> Next | Done:
        return Next("nowhere")

    flow = Flow(name="lost", start="start", steps={"start": lost})
    with pytest.raises(ValueError, match="flow 'lost': step 'start' went to unknown 'nowhere'"):
        await begin(flow, Answer.of(wa("x")), ctx)
    assert await ctx.repos.dialogs.get("whatsapp", "+2348011111111") is None


async def test_a_row_at_an_unknown_step_is_closed_with_the_expired_note(
    ctx: HandlerContext,
) -> None:
    """A row whose step the flow no longer has (an old release) closes and says so."""
    await ctx.repos.dialogs.save("whatsapp", "+2348011111111", "paint", "mix", {}, 600)
    await dispatcher(ctx).handle(wa("1"))
    assert await texts(ctx) == ["The paint pot dried."]
    assert await ctx.repos.dialogs.get("whatsapp", "+2348011111111") is None


# --- One flow, buttons or numbers --------------------------------------------------------


async def test_a_press_and_a_typed_number_are_the_same_answer(ctx: HandlerContext) -> None:
    """Pressing "paint:red" on Telegram and typing "1" on WhatsApp move the flow identically."""
    d = dispatcher(ctx)
    await d.handle(inbound("/paint"))
    await d.handle(wa("/paint"))
    await d.handle(press("paint:red"))
    await d.handle(wa("1"))
    telegram = await ctx.repos.dialogs.get("telegram", "2002")
    whatsapp = await ctx.repos.dialogs.get("whatsapp", "+2348011111111")
    assert telegram is not None
    assert whatsapp is not None
    assert (telegram.flow, telegram.step, telegram.data) == ("paint", "colour", {"round": 2})
    assert (whatsapp.flow, whatsapp.step, whatsapp.data) == ("paint", "colour", {"round": 2})
    assert telegram.options == whatsapp.options


async def test_a_press_edits_the_menu_it_was_pressed_on(ctx: HandlerContext) -> None:
    """Where the platform edits, an ``edit`` prompt replaces the message carrying the button."""
    d = dispatcher(ctx)
    await d.handle(inbound("/paint"))
    (menu,) = await drain(ctx)
    assert menu.message.edit_of is None
    await d.handle(press("paint:red", origin=provider_id(menu)))
    (edited,) = await drain(ctx)
    assert edited.message.edit_of == provider_id(menu)
    assert edited.idempotency_key.endswith(":edit")
    assert edited.message.plain_text == "Red it is. Another?"


async def test_typed_text_edits_the_last_prompt_through_its_stored_key(
    ctx: HandlerContext,
) -> None:
    """Without a pressed message, the edit targets the prompt the row remembers, once sent."""
    d = dispatcher(ctx)
    await d.handle(inbound("/paint"))
    (menu,) = await drain(ctx)
    await d.handle(inbound("Blue"))  # text on a buttons platform: no pick, a nudge
    assert await texts(ctx) == ["Please pick a colour."]
    await d.handle(press("paint:blue"))  # a press without the origin id: use the stored prompt
    (saved,) = await drain(ctx)
    assert saved.message.edit_of == provider_id(menu)


async def test_no_edit_where_the_platform_cannot_edit(ctx: HandlerContext) -> None:
    """On a platform without edits an ``edit`` prompt is a new message."""
    d = dispatcher(ctx)
    await d.handle(wa("paint"))
    await drain(ctx)
    await d.handle(wa("1"))
    (again,) = await drain(ctx)
    assert again.message.edit_of is None
    assert not again.idempotency_key.endswith(":edit")


# --- Cancel words ------------------------------------------------------------------------


@pytest.mark.parametrize("word", ["CANCEL", "end", "Quit."])
async def test_a_cancel_word_ends_the_flow_on_whatsapp(ctx: HandlerContext, word: str) -> None:
    """CANCEL, END and QUIT each end the open flow, say how to stop everything, opt nobody out."""
    d = dispatcher(ctx)
    await d.handle(wa("paint"))
    await drain(ctx)
    await d.handle(wa(word))
    assert await texts(ctx) == ["Cancelled. (To stop all messages, send STOP.)"]
    assert await ctx.repos.dialogs.get("whatsapp", "+2348011111111") is None
    sub = await ctx.repos.subscribers.get("whatsapp", "+2348011111111")
    assert sub is not None
    assert sub.opted_out_at is None


async def test_cancel_on_telegram_ends_the_flow_without_the_stop_hint(ctx: HandlerContext) -> None:
    """Where STOP is ordinary text the cancel answer does not mention it."""
    d = dispatcher(ctx)
    await d.handle(inbound("/paint"))
    await drain(ctx)
    await d.handle(inbound("cancel"))
    assert await texts(ctx) == ["Cancelled."]
    assert await ctx.repos.dialogs.get("telegram", "2002") is None


async def test_a_flow_may_declare_its_own_cancel_words(ctx: HandlerContext) -> None:
    """A flow's own cancel words replace the defaults: "back" ends it, "cancel" is an answer."""
    flow = replace(PAINT, cancel_words=frozenset({"BACK"}), cancelled="Left the paint.")
    d = dispatcher(ctx, flow)
    await d.handle(inbound("/paint"))
    await drain(ctx)
    await d.handle(inbound("cancel"))
    assert await texts(ctx) == ["Please pick a colour."]
    await d.handle(inbound("back"))
    assert await texts(ctx) == ["Left the paint."]


async def test_cancel_clears_the_row_directly(ctx: HandlerContext) -> None:
    """``cancel`` forgets the chat's dialog row and answers with the flow's text."""
    await begin(PAINT, Answer.of(inbound("/paint")), ctx)
    await drain(ctx)
    await cancel(PAINT, Answer.of(inbound("cancel")), ctx)
    assert await ctx.repos.dialogs.get("telegram", "2002") is None
    assert await texts(ctx) == ["Cancelled."]


# --- Roles and time to live --------------------------------------------------------------


async def test_a_flow_for_admins_refuses_others_in_private(ctx: HandlerContext) -> None:
    """A press on an admins-only flow from anyone else gets the refusal and opens nothing."""
    flow = replace(PAINT, who=ADMINS, what="paint the walls")
    await Dispatcher(ctx, [Feature(name="paint", flows=[flow])]).handle(press("paint:red"))
    assert await texts(ctx) == [refusal(ADMINS, "paint the walls", EN)]
    assert await ctx.repos.dialogs.get("telegram", "2002") is None


async def test_a_flows_ttl_is_its_own(ctx: HandlerContext) -> None:
    """The row of a flow with a short time to live expires after that time."""
    flow = replace(PAINT, ttl=timedelta(minutes=2))
    await begin(flow, Answer.of(wa("paint")), ctx)
    state = await ctx.repos.dialogs.get("whatsapp", "+2348011111111")
    assert state is not None
    assert state.expires_at == ctx.clock.now() + timedelta(minutes=2)
