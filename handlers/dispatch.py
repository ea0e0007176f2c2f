"""Route every inbound message, once: to a button's owner, a command, a flow, a word, or help.

The order, for one message (a Telegram button press and a WhatsApp "2" take the same road):

1. dedupe on the platform's id; cut hostile lengths; membership changes go to their hooks;
   a private chat over its inbound limit (``inbound_per_minute``) is told once and, until
   it slows down, only its opt-out words act;
2. a private chat's last inbound time is stamped (WhatsApp's 24-hour window); a chat that
   has chosen no language is offered the language menu first (opt-out words still work),
   and its message is answered once it has chosen (``handlers.language``);
3. the chat's dialog row is read; an expired flow is forgotten, and says so once in private;
4. a pressed button goes to its owner: the open flow, a flow it enters again, or a handler;
5. a ``/command`` runs (its roles checked here, once);
6. inside an open flow its cancel words end it (CANCEL, END, QUIT);
7. priority words (STOP and its kin) work everywhere, even in the middle of a flow, and
   before any typed option could be read as a pick;
8. a typed number (or an option's word) where there are no buttons is the button it names:
   it becomes the same :class:`~handlers.flows.Answer` a press gives, resolved against the
   options the dialog row offered (the open flow's own entry word never picks an option);
9. any other text of a private chat goes to the open flow;
10. a flow's entry word (where people talk in words), then the features' words;
11. a polite pointer to help, in private chats only (the bot never speaks unprompted in groups).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace

from bot.core.choices import keyword_of, pick_choices
from bot.core.messages import ChatKind, InboundMessage
from bot.domain.dialogs import DialogState
from bot.i18n import Speech
from handlers.context import HandlerContext
from handlers.feature import ChoiceRoute, Feature, KeywordHandler, MembershipHandler
from handlers.flows import Answer, Flow, begin, cancel, resume
from handlers.inbound_pace import InboundPace, Pace
from handlers.language import LANGUAGE, first_contact, is_language_message
from handlers.permissions import may, refusal
from handlers.words import word_for

logger = logging.getLogger(__name__)

MAX_INBOUND_TEXT = 4096
"""Longer texts are cut before any handler sees them (hostile input)."""
EXPIRED_NOTE_PART = -1
"""Outbox part of the expired-flow note: its own key, so the message's own answer still goes."""


@dataclass(slots=True)
class _Turn:
    """What the dispatcher learnt about one message while routing it."""

    message: InboundMessage
    state: DialogState | None
    flow: Flow | None
    """The flow open in this chat, if any."""
    answered: bool = False


class Dispatcher:
    """The single entry point adapters hand inbound messages to."""

    def __init__(
        self,
        ctx: HandlerContext,
        features: Sequence[Feature] = (),
        pace: InboundPace | None = None,
    ) -> None:
        self._ctx = ctx
        self._pace = pace or InboundPace(ctx.settings.inbound_per_minute)
        if ctx.redispatch is None:
            ctx.redispatch = self.handle
        self._keywords: tuple[KeywordHandler, ...] = tuple(k for f in features for k in f.keywords)
        self._priority: tuple[KeywordHandler, ...] = tuple(
            k for f in features for k in f.priority_keywords
        )
        self._membership: tuple[MembershipHandler, ...] = tuple(
            h for f in features for h in f.membership
        )
        flows = [flow for f in features for flow in f.flows]
        self._flows = {flow.name: flow for flow in flows}
        self._by_prefix: dict[str, Flow] = {}
        for flow in flows:
            if flow.prefix in self._by_prefix:
                raise ValueError(f"button prefix {flow.prefix!r} is claimed twice")
            self._by_prefix[flow.prefix] = flow
        self._entry_words = frozenset(word for flow in flows for word in flow.keywords)
        self._choices: dict[str, ChoiceRoute] = {}
        for feature in features:
            for prefix, route in feature.choices.items():
                if prefix in self._choices or prefix in self._by_prefix:
                    raise ValueError(f"button prefix {prefix!r} is claimed twice")
                self._choices[prefix] = route

    async def handle(self, message: InboundMessage) -> None:
        """Handle one stored inbound message; a failure propagates to the inbox worker.

        The inbox stored the message once (a redelivery never gets here) and decides what a
        failure means: a storage hiccup is retried, a bug is dead-lettered with its traceback.
        """
        ctx = self._ctx
        if len(message.text) > MAX_INBOUND_TEXT:
            message = replace(message, text=message.text[:MAX_INBOUND_TEXT])
        if message.membership is not None:
            for on_membership in self._membership:
                await on_membership(message, ctx)
            return
        if message.chat_kind is ChatKind.PRIVATE and not await self._within_pace(message):
            return
        language_chosen = True
        if message.chat_kind is ChatKind.PRIVATE:
            sub = await ctx.repos.subscribers.upsert_inbound(
                message.channel,
                message.chat_id,
                message.chat_kind.value,
                message.sender_name,
                message.received_at,
            )
            language_chosen = sub.settings.language is not None or sub.settings.language_offered
        turn = await self._open_turn(message)
        if not language_chosen and ctx.settings.ask_language and await self._first_contact(turn):
            return
        if message.choice_data is not None:
            await self._route_choice(turn, message.choice_data, Answer.of(message))
            return
        parsed = message.command
        if parsed is not None:
            await self._run_command(message, *parsed)
            return
        if await self._flow_text(turn, priority=True):
            return
        if await self._priority_word(message):
            return
        if await self._picked(turn):
            return
        if await self._flow_text(turn, priority=False):
            return
        if await self._flow_entry(message):
            return
        for keyword in self._keywords:
            if await keyword(message, ctx):
                return
        if message.chat_kind is ChatKind.PRIVATE and message.text.strip() and not turn.answered:
            # Groups and channels are never answered unprompted: that would be spam.
            t = await ctx.speech(message)
            await ctx.reply(
                message,
                t._(
                    "Salaam! I am the {bot} bot. Send {help} to see what I can do.",
                    bot=ctx.bot_name,
                    help=_help_word(message, ctx, t),
                ),
            )

    async def _within_pace(self, message: InboundMessage) -> bool:
        """Return whether a private chat is within its limit; over it, only STOP still acts."""
        pace = self._pace.note(f"{message.channel}:{message.chat_id}", message.received_at)
        if pace is Pace.OK:
            return True
        if await self._priority_word(message):
            return False
        if pace is Pace.FIRST_OVER:
            logger.warning("Chat %s:%s is over its inbound limit", message.channel, message.chat_id)
            t = await self._ctx.speech(message)
            await self._ctx.reply(
                message, t._("You are sending messages very fast. Please wait a minute.")
            )
        return False

    async def _priority_word(self, message: InboundMessage) -> bool:
        """Run the words that act everywhere (STOP and its kin); return whether one did."""
        for keyword in self._priority:
            if await keyword(message, self._ctx):
                return True
        return False

    async def _first_contact(self, turn: _Turn) -> bool:
        """Offer a chat that has no language the menu first; opt-out words still work at once."""
        message = turn.message
        if is_language_message(message) or turn.flow is LANGUAGE:
            return False
        # "/start" is a command, never the START word; only typed words opt out here.
        typed = message.command is None and message.choice_data is None
        if typed and await self._priority_word(message):
            return True
        await first_contact(message, self._ctx)
        return True

    async def _open_turn(self, message: InboundMessage) -> _Turn:
        """Read the chat's dialog row; an expired or unknown flow is closed (and said so once)."""
        ctx = self._ctx
        state = await ctx.repos.dialogs.get(message.channel, message.chat_id)
        if state is None:
            return _Turn(message, None, None)
        flow = self._flows.get(state.flow) if state.is_flow else None
        expired = state.is_expired(ctx.clock.now())
        if expired or (state.is_flow and flow is None):
            await ctx.repos.dialogs.clear(
                message.channel, message.chat_id, updated_before=state.updated_at
            )
            turn = _Turn(message, None, None)
            # Said once, in private only: in a group the message was never for the flow.
            private = message.chat_kind is ChatKind.PRIVATE
            if expired and flow is not None and message.choice_data is None and private:
                t = await ctx.speech(message)
                await ctx.reply(message, t._(flow.expired), part=EXPIRED_NOTE_PART)
                turn.answered = True
            return turn
        return _Turn(message, state, flow)

    async def _picked(self, turn: _Turn) -> bool:
        """Treat a typed number (or an option's word) as the button it names, where no buttons."""
        state, message = turn.state, turn.message
        if state is None or not state.options or not message.text.strip():
            return False
        if self._ctx.capabilities(message.channel).buttons or message.command is not None:
            return False
        word = keyword_of(message.text)
        # "BOARDS" opens the board menu; it never picks "All boards". Another flow's entry
        # word may pick (in the board menu, "umrah" names the "Umrah & Hajj Travel" board).
        entry_words = turn.flow.keywords if turn.flow is not None else self._entry_words
        if word in entry_words:
            return False
        picked = pick_choices(message.text, state.options)
        if not picked:
            return False
        data = [c.data for c in picked if c.data is not None]
        if turn.flow is not None:
            values = [v for v in (turn.flow.value_of(d) for d in data) if v is not None]
            return await self._in_flow(turn.flow, turn, Answer.of(message, values))
        if len(data) != 1:
            return False  # several picks only make sense to a flow's step
        # A pick from an offer is used once: the list it numbered is no longer on screen.
        await self._ctx.repos.dialogs.clear(message.channel, message.chat_id)
        await self._route_choice(_Turn(message, None, None), data[0], Answer.of(message))
        return True

    async def _route_choice(self, turn: _Turn, data: str, answer: Answer) -> None:
        """Send a picked option to its owner: a flow (open or entered again) or a handler."""
        prefix, _, rest = data.partition(":")
        flow = self._by_prefix.get(prefix)
        if flow is not None:
            value = flow.value_of(data)
            answer = replace(answer, choice=value, picks=(value,) if value is not None else ())
            await self._in_flow(flow, turn, answer)
            return
        route = self._choices.get(prefix)
        message = answer.message
        if route is None:
            logger.info("Ignored a button press with unknown data %r", data[:64])
            return
        if not await may(route.who, message, self._ctx):
            self._log_refusal(message, f"button {prefix}")
            t = await self._ctx.speech(message)
            await self._ctx.refuse(message, refusal(route.who, t._(route.what), t))
            return
        await route.handler(message, rest, self._ctx)

    async def _in_flow(self, flow: Flow, turn: _Turn, answer: Answer) -> bool:
        """Run the flow's step; return False when the step passed the answer on."""
        message = answer.message
        if not await may(flow.who, message, self._ctx):
            self._log_refusal(message, f"flow {flow.name}")
            t = await self._ctx.speech(message)
            await self._ctx.refuse(message, refusal(flow.who, t._(flow.what), t))
            return True
        if turn.flow is flow and turn.state is not None:
            return await resume(flow, turn.state, answer, self._ctx)
        return await begin(flow, answer, self._ctx)

    async def _flow_text(self, turn: _Turn, *, priority: bool) -> bool:
        """Give private text to the open flow; before the priority words only its cancel words."""
        flow, state, message = turn.flow, turn.state, turn.message
        if flow is None or state is None or message.chat_kind is not ChatKind.PRIVATE:
            return False
        if not message.text.strip():
            return False
        if priority:
            if keyword_of(message.text) not in flow.cancel_words:
                return False
            await cancel(flow, Answer.of(message), self._ctx)
            return True
        return await self._in_flow(flow, turn, Answer.of(message))

    async def _flow_entry(self, message: InboundMessage) -> bool:
        if not self._ctx.capabilities(message.channel).keywords:
            return False
        word = keyword_of(message.text)
        # An entry word alone, or followed by more (a source code: "UMRAH T42").
        head = message.text.split(maxsplit=1)
        first = keyword_of(head[0]) if head else ""
        for flow in self._flows.values():
            if word in flow.keywords or first in flow.keywords:
                return await self._in_flow(flow, _Turn(message, None, None), Answer.of(message))
        return False

    async def _run_command(self, message: InboundMessage, name: str, argument: str) -> None:
        ctx = self._ctx
        spec = ctx.commands.get(name)
        if spec is None:
            if message.chat_kind is ChatKind.PRIVATE:
                t = await ctx.speech(message)
                await ctx.reply(
                    message,
                    t._(
                        "Unknown command /{name}. Send {help} for the list.",
                        name=name,
                        help=_help_word(message, ctx, t),
                    ),
                )
            return
        if not await may(spec.info.who, message, ctx):
            self._log_refusal(message, f"/{name}")
            t = await ctx.speech(message)
            action = t._("use /{name}", name=name)
            await ctx.refuse(message, refusal(spec.info.who, action, t))
            return
        await spec.run(message, argument, ctx)

    @staticmethod
    def _log_refusal(message: InboundMessage, what: str) -> None:
        logger.warning("Refused %s from %s:%s", what, message.channel, message.sender_id)


def _help_word(message: InboundMessage, ctx: HandlerContext, t: Speech) -> str:
    """Return how this platform's people ask for help: their HELP word where they use words."""
    return word_for("help", t.code) if ctx.capabilities(message.channel).keywords else "/help"
