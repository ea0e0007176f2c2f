"""The dispatcher: dedupe, commands, permissions, fallback and robustness."""

from __future__ import annotations

import logging

import pytest

from bot.core.commands import command
from bot.core.messages import ChatKind, InboundMessage
from handlers.context import HandlerContext
from handlers.dispatch import MAX_INBOUND_TEXT, Dispatcher
from tests.handlers.conftest import ADMIN_ID, drain, inbound


async def test_a_command_is_answered_in_the_same_chat(ctx: HandlerContext) -> None:
    """/start queues one greeting addressed to the sender's chat."""
    await Dispatcher(ctx).handle(inbound("/start"))
    sent = await drain(ctx)
    assert len(sent) == 1
    assert sent[0].message.recipient.chat_id == "2002"
    assert "Assalamu alaikum, Aisha" in sent[0].message.plain_text


async def test_a_redelivered_message_is_handled_once(ctx: HandlerContext) -> None:
    """The same platform message id twice (webhook retry) produces one answer."""
    dispatcher = Dispatcher(ctx)
    await dispatcher.handle(inbound("/help", ref="telegram:update:77"))
    await dispatcher.handle(inbound("/help", ref="telegram:update:77"))
    assert len(await drain(ctx)) == 1


async def test_an_unknown_command_gets_a_clear_answer(ctx: HandlerContext) -> None:
    """An unknown /command in a private chat names it and points at /help."""
    await Dispatcher(ctx).handle(inbound("/frobnicate now"))
    (sent,) = await drain(ctx)
    assert sent.message.plain_text == "Unknown command /frobnicate. Send /help for the list."


async def test_an_admin_command_from_a_non_admin_is_refused_and_logged(
    ctx: HandlerContext, caplog: pytest.LogCaptureFixture
) -> None:
    """/status from someone not on the allowlist is refused politely and logged."""
    with caplog.at_level(logging.WARNING):
        await Dispatcher(ctx).handle(inbound("/status", sender="666"))
    (sent,) = await drain(ctx)
    assert sent.message.plain_text == "Sorry, /status is for the forum's admins only."
    assert "Refused admin command /status from telegram:666" in caplog.text


async def test_an_admin_command_from_an_admin_runs(ctx: HandlerContext) -> None:
    """/status from an allowlisted admin answers with the status report."""
    await Dispatcher(ctx).handle(inbound("/status", sender=ADMIN_ID))
    (sent,) = await drain(ctx)
    assert sent.message.plain_text.startswith("Minbar status")
    assert "Outbox: pending 2, sent 5" in sent.message.plain_text


async def test_free_text_in_a_group_is_never_answered(ctx: HandlerContext) -> None:
    """The bot does not speak unprompted in groups: that would be spam."""
    msg = inbound("hello everyone", kind=ChatKind.GROUP, chat="-100200")
    await Dispatcher(ctx).handle(msg)
    assert await drain(ctx) == []


async def test_unknown_command_in_a_group_is_ignored(ctx: HandlerContext) -> None:
    """Another bot's command in a group gets no answer from us."""
    await Dispatcher(ctx).handle(inbound("/otherbot_cmd", kind=ChatKind.GROUP, chat="-100200"))
    assert await drain(ctx) == []


async def test_free_text_in_private_gets_a_pointer_to_help(ctx: HandlerContext) -> None:
    """A private message that matches nothing gets one friendly pointer to /help."""
    await Dispatcher(ctx).handle(inbound("salaam"))
    (sent,) = await drain(ctx)
    assert "Send /help" in sent.message.plain_text


async def test_a_private_message_records_the_last_inbound_time(ctx: HandlerContext) -> None:
    """Every private message stamps the sender's last inbound time (WhatsApp's 24-hour window)."""
    await Dispatcher(ctx).handle(inbound("hi", channel="whatsapp", sender="+2348000000001"))
    subscriber = await ctx.subscribers.get("whatsapp", "+2348000000001")
    assert subscriber is not None
    assert subscriber.last_inbound_at == ctx.clock.now()


async def test_a_failing_handler_does_not_reach_the_adapter(
    ctx: HandlerContext, caplog: pytest.LogCaptureFixture
) -> None:
    """A crash inside a command is logged with its traceback and swallowed."""

    @command("boom", help="explode")
    async def boom(message: InboundMessage, argument: str, c: HandlerContext) -> None:
        raise RuntimeError("kaboom")

    ctx.commands.collect([boom])
    with caplog.at_level(logging.ERROR):
        await Dispatcher(ctx).handle(inbound("/boom"))
    assert "kaboom" in caplog.text


async def test_hostile_long_text_is_cut_before_handlers_see_it(ctx: HandlerContext) -> None:
    """A huge message is truncated to the inbound limit before dispatch."""
    seen: list[str] = []

    async def keyword(message: InboundMessage, c: HandlerContext) -> bool:
        seen.append(message.text)
        return True

    await Dispatcher(ctx, keywords=[keyword]).handle(inbound("<script>" + "ا" * 50_000))
    assert len(seen[0]) == MAX_INBOUND_TEXT


class ButtonlessChannel:
    """A registered channel that shows choices as numbered options (like WhatsApp)."""

    supports_buttons = False
    name = "whatsapp"

    async def start(self) -> None:
        """Nothing to start."""

    async def stop(self) -> None:
        """Nothing to stop."""

    async def send(self, message: object) -> object:
        """Never called in these tests."""
        raise AssertionError("handlers never send directly")


async def test_a_numbered_reply_on_whatsapp_picks_the_offered_choice(ctx: HandlerContext) -> None:
    """Replying "2" (or the option's word) to numbered options acts like pressing that button."""
    from bot.core.messages import Choice

    ctx.channels.add(ButtonlessChannel())  # type: ignore[arg-type]
    picks: list[str] = []

    async def offer(message: InboundMessage, c: HandlerContext) -> bool:
        await c.reply(
            message,
            "Which package?",
            choices=[Choice("Umrah", data="pkg:umrah"), Choice("Hajj", data="pkg:hajj")],
        )
        return True

    async def on_pick(message: InboundMessage, rest: str, c: HandlerContext) -> None:
        picks.append(rest)

    dispatcher = Dispatcher(ctx, keywords=[offer], choices={"pkg": on_pick})
    number = "+2348000000001"
    await dispatcher.handle(inbound("packages", channel="whatsapp", sender=number))
    await dispatcher.handle(inbound(" 2. ", channel="whatsapp", sender=number))
    assert picks == ["hajj"]
    await dispatcher.handle(inbound("umrah", channel="whatsapp", sender=number))  # offered again
    await dispatcher.handle(inbound("UMRAH", channel="whatsapp", sender=number))
    assert picks == ["hajj", "umrah"]


async def test_a_number_on_a_platform_with_buttons_is_plain_text(ctx: HandlerContext) -> None:
    """On Telegram the options were buttons, so a typed "1" is just text."""
    from bot.core.messages import Choice

    picks: list[str] = []
    seen: list[str] = []

    async def offer_or_note(message: InboundMessage, c: HandlerContext) -> bool:
        seen.append(message.text)
        if message.text == "packages":
            await c.reply(message, "Which?", choices=[Choice("Umrah", data="pkg:umrah")])
        return True

    async def on_pick(message: InboundMessage, rest: str, c: HandlerContext) -> None:
        picks.append(rest)

    dispatcher = Dispatcher(ctx, keywords=[offer_or_note], choices={"pkg": on_pick})
    await dispatcher.handle(inbound("packages"))
    await dispatcher.handle(inbound("1"))
    assert picks == []
    assert seen == ["packages", "1"]
