"""Flows as tables: a conversation written once, answered with buttons or with numbers.

A :class:`Flow` names its steps; each step is ``async (answer, data, ctx) -> Next | Done``.
The engine keeps the flow, the step, the step's data and the options it offered in the
chat's one dialog row, so a restart resumes at the same step and a typed "2" resolves to
the option it numbers, exactly as a pressed button does. This is the shape of
python-telegram-bot's conversation example (entry points, states, fallbacks; each handler
returns the next state) with mautrix's rule that the next input goes to the open handler,
but stored in our own table and written against neutral types only.

Button data of a flow is ``<prefix>:<value>``; a button of a flow that is not open (an old
menu, an expired dialog) enters the flow again at its start step, with that answer.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from bot.core.choices import keyword_of
from bot.core.commands import EVERYONE, Role, command
from bot.core.messages import Attachment, Choice, InboundMessage, SharedContact, Span
from bot.domain.dialogs import DialogState
from bot.i18n import N_
from handlers.context import HandlerContext, answer_key
from handlers.settings import FeatureSettings
from handlers.words import word_for, words_of

logger = logging.getLogger(__name__)

CANCEL_WORDS = words_of("cancel")
"""Inside a flow these end the flow (in every language); outside one the English three are
opt-out words where words are law (``handlers.consent``)."""
DEFAULT_TTL = timedelta(minutes=30)


@dataclass(frozen=True, slots=True)
class Answer:
    """One inbound message as a flow step sees it: text, or the option it picks."""

    message: InboundMessage
    text: str = ""
    choice: str | None = None
    """The picked option's value (a pressed button, or a number naming an offered option)."""
    picks: tuple[str, ...] = ()
    """Every option picked at once ("1 3"); ``choice`` is set when exactly one was."""
    contact: SharedContact | None = None
    """A shared phone number, only when it is the sender's own."""
    attachments: tuple[Attachment, ...] = ()

    @classmethod
    def of(cls, message: InboundMessage, picks: Sequence[str] = ()) -> Answer:
        """Return the answer ``message`` gives, having picked ``picks``."""
        contact = message.contact
        if contact is not None and contact.user_id != message.sender_id:
            logger.info("Ignored a shared contact that is not the sender's own")
            contact = None
        chosen = tuple(picks)
        return cls(
            message=message,
            text=message.text.strip(),
            choice=chosen[0] if len(chosen) == 1 else None,
            picks=chosen,
            contact=contact,
            attachments=message.attachments,
        )

    @property
    def word(self) -> str:
        """Return the text as a keyword (letters and digits, upper case)."""
        return keyword_of(self.text)


Prompt = str | Sequence[Span]


@dataclass(frozen=True, slots=True)
class Ask:
    """What a step says next: text, and the options it offers."""

    text: Prompt
    choices: Sequence[Choice] = ()
    """``data`` is the bare value; the engine adds the flow's prefix."""
    edit: bool = False
    """Replace the previous prompt in place where the channel can edit messages."""


@dataclass(frozen=True, slots=True)
class Next:
    """Go on at ``step`` with ``data``, after saying ``ask``."""

    step: str
    data: Mapping[str, Any] = field(default_factory=dict)
    ask: Ask | None = None


@dataclass(frozen=True, slots=True)
class Done:
    """End the flow, after saying ``say``.

    With ``pass_on`` the answer was not for this flow (a keyword typed in the middle of a
    menu): the flow closes and the dispatcher goes on routing the message as if none were open.
    """

    say: Ask | None = None
    pass_on: bool = False
    then: InboundMessage | None = None
    """A message to route afresh once the flow has closed (the first message of a chat,
    kept while its language was asked)."""


Step = Callable[[Answer, dict[str, Any], HandlerContext], Awaitable[Next | Done]]


@dataclass(frozen=True, slots=True)
class Flow:
    """A conversation: entry points, named steps, its cancel words and its time to live."""

    name: str
    start: str
    """The step entered first; it receives the answer that opened the flow."""
    steps: Mapping[str, Step]
    cancel_words: frozenset[str] = CANCEL_WORDS
    ttl: timedelta = DEFAULT_TTL
    ttl_from: Callable[[FeatureSettings], timedelta] | None = None
    """The time to live from the configuration, when it is a setting (it wins over ``ttl``)."""
    who: frozenset[Role] = EVERYONE
    prefix: str = ""
    """Button data prefix (default: the name); kept stable so old menus still work."""
    commands: Mapping[str, str] = field(default_factory=dict)
    """Entry commands: ``name -> help``."""
    keywords: frozenset[str] = frozenset()
    """Entry words, where people talk in words (the channel's ``keywords`` capability)."""
    cancelled: str = N_("Cancelled.")
    """Said in the person's language: mark every text of a flow with ``N_``."""
    expired: str = N_("That conversation timed out; start again whenever you like.")
    what: str = N_("do that")
    """How a refusal names the flow's action ("change this chat's subscription")."""

    def __post_init__(self) -> None:
        if self.start not in self.steps:
            raise ValueError(f"flow {self.name!r}: start step {self.start!r} is not a step")
        if not self.prefix:
            object.__setattr__(self, "prefix", self.name)

    def value_of(self, data: str) -> str | None:
        """Return the bare value of this flow's button data, or None when it is not ours."""
        prefix, sep, value = data.partition(":")
        return value if sep and prefix == self.prefix else None


async def begin(flow: Flow, answer: Answer, ctx: HandlerContext) -> bool:
    """Enter ``flow`` at its start step; return False when the step passed the answer on."""
    return await _run(flow, flow.start, {}, answer, ctx, state=None)


async def begin_at(flow: Flow, step: str, answer: Answer, ctx: HandlerContext) -> bool:
    """Enter ``flow`` at ``step`` (a second way in, e.g. the first contact of a chat)."""
    return await _run(flow, step, {}, answer, ctx, state=None)


async def resume(flow: Flow, state: DialogState, answer: Answer, ctx: HandlerContext) -> bool:
    """Hand ``answer`` to the open step of ``flow``; return False when it was passed on."""
    if state.step not in flow.steps:
        logger.warning("Dialog of %s is at unknown step %r; closing it", flow.name, state.step)
        await ctx.repos.dialogs.clear(state.channel, state.chat_id)
        t = await ctx.speech(answer.message)
        await ctx.reply(answer.message, t._(flow.expired))
        return True
    return await _run(flow, state.step, dict(state.data), answer, ctx, state=state)


async def cancel(flow: Flow, answer: Answer, ctx: HandlerContext) -> None:
    """End ``flow`` at the person's word, saying how to stop everything else."""
    message = answer.message
    await ctx.repos.dialogs.clear(message.channel, message.chat_id)
    t = await ctx.speech(message)
    text = t._(flow.cancelled)
    if ctx.capabilities(message.channel).keywords:
        text += " " + t._("(To stop all messages, send {stop}.)", stop=word_for("stop", t.code))
    await ctx.reply(message, text)


async def _run(
    flow: Flow,
    step: str,
    data: dict[str, Any],
    answer: Answer,
    ctx: HandlerContext,
    *,
    state: DialogState | None,
) -> bool:
    result = await flow.steps[step](answer, data, ctx)
    message = answer.message
    if isinstance(result, Done):
        if state is not None:
            await ctx.repos.dialogs.clear(message.channel, message.chat_id)
        if result.say is not None:
            await _say(flow, result.say, answer, ctx, state)
        if result.then is not None and ctx.redispatch is not None:
            await ctx.redispatch(result.then)
        return not result.pass_on
    if result.step not in flow.steps:
        raise ValueError(f"flow {flow.name!r}: step {step!r} went to unknown {result.step!r}")
    ask = result.ask
    target = await _edit_target(ask, answer, ctx, state) if ask is not None else None
    options = [_prefixed(flow, c) for c in (ask.choices if ask is not None else ())]
    prompt = answer_key(message, edit=target is not None) if ask is not None else None
    if not options and state is not None and state.options:
        # A nudge without options leaves the list on screen valid, and the prompt showing
        # that list stays the one a later step edits (not the nudge).
        options = list(state.options)
        prompt = state.prompt_ref
    # The row is written before the prompt goes out, so the answer to it finds the step.
    await ctx.repos.dialogs.save(
        message.channel,
        message.chat_id,
        flow=flow.name,
        step=result.step,
        data=dict(result.data),
        ttl_seconds=(flow.ttl_from(ctx.settings) if flow.ttl_from else flow.ttl).total_seconds(),
        options=[c for c in options if c.data is not None],
        prompt_ref=prompt or (state.prompt_ref if state is not None else None),
    )
    if ask is not None:
        shown = [_prefixed(flow, c) for c in ask.choices]
        await ctx.reply(message, ask.text, choices=shown, edit_of=target, remember=False)
    return True


async def _say(
    flow: Flow, ask: Ask, answer: Answer, ctx: HandlerContext, state: DialogState | None
) -> None:
    target = await _edit_target(ask, answer, ctx, state)
    choices = [_prefixed(flow, c) for c in ask.choices]
    await ctx.reply(answer.message, ask.text, choices=choices, edit_of=target, remember=False)


async def _edit_target(
    ask: Ask, answer: Answer, ctx: HandlerContext, state: DialogState | None
) -> str | None:
    """Return the platform id of the prompt to replace, when the step asked and may."""
    if not ask.edit or not ctx.capabilities(answer.message.channel).edits:
        return None
    if answer.message.origin_message_id is not None:
        return answer.message.origin_message_id  # the menu whose button was pressed
    if state is not None and state.prompt_ref is not None:
        return await ctx.repos.deliveries.provider_id_of(state.prompt_ref)
    return None


def _prefixed(flow: Flow, choice: Choice) -> Choice:
    if choice.data is None:
        return choice
    return replace(choice, data=f"{flow.prefix}:{choice.data}")


def entry_commands(flow: Flow) -> list[Callable[..., Awaitable[None]]]:
    """Return one ``@command`` handler per entry command of ``flow``, for the registry."""
    handlers = []
    for name, help_text in flow.commands.items():

        async def enter(message: InboundMessage, argument: str, ctx: HandlerContext) -> None:
            await begin(flow, Answer.of(message), ctx)

        enter.__name__ = f"enter_{flow.name}_{name}"
        handlers.append(command(name, help=help_text, who=flow.who)(enter))
    return handlers
