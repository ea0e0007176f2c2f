"""Route every inbound message: dedupe, then command, dialog step, keyword or fallback."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from bot.core.choices import match_choice
from bot.core.messages import ChatKind, Choice, InboundMessage
from handlers.context import HandlerContext, offered_choices_key

logger = logging.getLogger(__name__)

MAX_INBOUND_TEXT = 4096
"""Longer texts are cut before any handler sees them (hostile input)."""

KeywordHandler = Callable[[InboundMessage, HandlerContext], Awaitable[bool]]
"""Return True when the message was handled (e.g. WhatsApp ``JOIN``)."""

FlowStep = Callable[[InboundMessage, str, dict[str, object], HandlerContext], Awaitable[None]]
"""Handle a message for a chat in the middle of a dialog ``(message, step, data, ctx)``."""

ChoiceHandler = Callable[[InboundMessage, str, HandlerContext], Awaitable[None]]
"""Handle a button press whose data starts with the registered prefix; gets the rest."""

MembershipHandler = Callable[[InboundMessage, HandlerContext], Awaitable[None]]
"""Handle a change of the bot's membership in a chat (blocked, added, removed)."""


@dataclass(frozen=True, slots=True)
class Flow:
    """A multi-step conversation whose state lives in the dialogs table."""

    name: str
    step: FlowStep


class Dispatcher:
    """The single entry point adapters hand inbound messages to."""

    def __init__(
        self,
        ctx: HandlerContext,
        *,
        keywords: Sequence[KeywordHandler] = (),
        priority_keywords: Sequence[KeywordHandler] = (),
        flows: Sequence[Flow] = (),
        choices: Mapping[str, ChoiceHandler] | None = None,
        membership: Sequence[MembershipHandler] = (),
    ) -> None:
        self._ctx = ctx
        self._keywords = tuple(keywords)
        self._priority_keywords = tuple(priority_keywords)
        self._flows = {flow.name: flow for flow in flows}
        self._choices = dict(choices or {})
        self._membership = tuple(membership)

    async def handle(self, message: InboundMessage) -> None:
        """Handle one inbound message exactly once; never raise to the adapter."""
        try:
            await self._handle(message)
        except Exception:
            # The adapter must keep receiving; the traceback is logged once, here.
            logger.exception(
                "Handling a message from %s:%s failed", message.channel, message.chat_id
            )

    async def _handle(self, message: InboundMessage) -> None:
        ctx = self._ctx
        if message.message_ref and not await ctx.inbound.first_time(message.message_ref):
            logger.info("Ignored a redelivered message %s", message.message_ref)
            return
        if len(message.text) > MAX_INBOUND_TEXT:
            message = replace(message, text=message.text[:MAX_INBOUND_TEXT])
        if message.membership is not None:
            for on_membership in self._membership:
                await on_membership(message, ctx)
            return
        if message.chat_kind is ChatKind.PRIVATE:
            await ctx.subscribers.upsert_inbound(
                message.channel,
                message.chat_id,
                message.chat_kind.value,
                message.sender_name,
                message.received_at,
            )
        if message.choice_data is not None:
            await self._run_choice(message, message.choice_data)
            return
        parsed = message.command
        if parsed is not None:
            await self._run_command(message, *parsed)
            return
        for keyword in self._priority_keywords:
            if await keyword(message, ctx):
                return
        dialog = await ctx.dialogs.get(message.channel, message.chat_id)
        if dialog is not None and dialog.flow in self._flows:
            await self._flows[dialog.flow].step(message, dialog.step, dict(dialog.data), ctx)
            return
        picked = await self._picked_option(message)
        if picked.choice_data is not None:
            await self._run_choice(picked, picked.choice_data)
            return
        for keyword in self._keywords:
            if await keyword(message, ctx):
                return
        if message.chat_kind is ChatKind.PRIVATE and message.text.strip():
            # Groups and channels are never answered unprompted: that would be spam.
            await ctx.reply(
                message,
                f"Salaam! I am the {ctx.bot_name} bot. Send /help to see what I can do.",
            )

    async def _picked_option(self, message: InboundMessage) -> InboundMessage:
        """Turn a reply like "2" into the button press it stands for, on button-less platforms."""
        ctx = self._ctx
        if ctx.has_buttons(message.channel):
            return message
        key = offered_choices_key(message.channel, message.chat_id)
        offered = await ctx.state.get(key)
        if not offered or str(offered.get("until", "")) < ctx.clock.now().isoformat():
            return message
        raw = offered.get("choices")
        choices = [
            Choice(str(c["label"]), data=str(c["data"]))
            for c in (raw if isinstance(raw, list) else [])
            if isinstance(c, dict) and c.get("data")
        ]
        picked = match_choice(message.text, choices)
        if picked is None:
            return message
        await ctx.state.put(key, {})  # one pick per offer
        return replace(message, choice_data=picked.data)

    async def _run_choice(self, message: InboundMessage, data: str) -> None:
        prefix, _, rest = data.partition(":")
        handler = self._choices.get(prefix)
        if handler is None:
            logger.info("Ignored a button press with unknown data %r", data[:64])
            return
        await handler(message, rest, self._ctx)

    async def _run_command(self, message: InboundMessage, name: str, argument: str) -> None:
        ctx = self._ctx
        spec = ctx.commands.get(name)
        if spec is None:
            if message.chat_kind is ChatKind.PRIVATE:
                await ctx.reply(message, f"Unknown command /{name}. Send /help for the list.")
            return
        if spec.info.admin_only and not ctx.admins.is_admin(message.channel, message.sender_id):
            logger.warning(
                "Refused admin command /%s from %s:%s", name, message.channel, message.sender_id
            )
            await ctx.refuse(message, f"Sorry, /{name} is for the forum's admins only.")
            return
        await spec.run(message, argument, ctx)
