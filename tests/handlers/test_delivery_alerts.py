"""Delivery problems reach the admins: once, grouped, with the fix, on a platform that works."""

from __future__ import annotations

from datetime import timedelta

from bot.core.clock import FrozenClock
from bot.domain.destinations import DestinationSpec
from handlers.context import AdminPolicy, HandlerContext
from handlers.delivery_alerts import alert_delivery_problems
from tests.handlers.conftest import drain

TG_ADMIN = "1001"
WA_ADMIN = "+2348000000009"
CHANNEL = "-1001234567890"


def _both_admins(ctx: HandlerContext) -> HandlerContext:
    ctx.admins = AdminPolicy({"telegram": frozenset({TG_ADMIN}), "whatsapp": frozenset({WA_ADMIN})})
    return ctx


async def _alerts(ctx: HandlerContext) -> list[tuple[str, str]]:
    """Return (channel:chat, text) of every admin alert drained from the outbox."""
    return sorted(
        (c.message.recipient.key, c.message.plain_text)
        for c in await drain(ctx)
        if c.message.kind == "admin_alert"
    )


async def _travel_channel(ctx: HandlerContext) -> None:
    await ctx.repos.destinations.sync_from_config(
        [DestinationSpec("telegram", CHANNEL, "channel", name="Attaqwaa Travel")]
    )


async def test_a_channel_the_bot_cannot_post_in_is_told_once_with_the_fix(
    ctx: HandlerContext, clock: FrozenClock
) -> None:
    """The first refusal switches it off and one alert says how to fix it and how to resume."""
    ctx = _both_admins(ctx)
    await _travel_channel(ctx)
    await ctx.repos.recipients.record_error(
        "telegram",
        CHANNEL,
        "cannot_post",
        "Bad Request: need administrator rights in the channel chat",
        deactivate=True,
        message_kind="topic",
    )
    await alert_delivery_problems(ctx, clock.now())
    alerts = await _alerts(ctx)
    assert [chat for chat, _ in alerts] == [f"telegram:{TG_ADMIN}", f"whatsapp:{WA_ADMIN}"]
    text = alerts[0][1]
    assert "Attaqwaa Travel is switched off" in text
    assert (
        "make the bot an admin of Attaqwaa Travel with 'Post messages', "
        f"then /resume telegram:{CHANNEL}"
    ) in text
    [destination] = await ctx.repos.destinations.all()
    assert destination.state == "off"
    clock.advance(30)
    await alert_delivery_problems(ctx, clock.now())
    assert await _alerts(ctx) == []


async def test_a_burst_of_failures_becomes_one_alert(
    ctx: HandlerContext, clock: FrozenClock
) -> None:
    """Fifty template failures and a broken channel arrive as one message per admin chat."""
    ctx = _both_admins(ctx)
    await _travel_channel(ctx)
    for n in range(50):
        await ctx.repos.recipients.record_error(
            "whatsapp",
            f"+23480000{n:05d}",
            "template_missing",
            "twilio 63027",
            deactivate=False,
            message_kind="broadcast",
        )
    await ctx.repos.recipients.record_error(
        "telegram", CHANNEL, "kicked", "Forbidden: bot was kicked", deactivate=True
    )
    await alert_delivery_problems(ctx, clock.now())
    alerts = await _alerts(ctx)
    assert len(alerts) == 1  # the WhatsApp admin is left out: WhatsApp is what is broken
    chat, text = alerts[0]
    assert chat == f"telegram:{TG_ADMIN}"
    assert "Whatsapp (50 messages: broadcast)" in text
    assert "ContentSid" in text
    assert "Attaqwaa Travel is switched off" in text
    assert "(51 failures in all.)" in text


async def test_a_problem_that_goes_on_is_told_again_only_after_the_throttle(
    ctx: HandlerContext, clock: FrozenClock
) -> None:
    """The same error on the same platform is told at most once per six hours."""
    ctx = _both_admins(ctx)

    async def fail() -> None:
        await ctx.repos.recipients.record_error(
            "whatsapp", "+2348011111111", "invalid_sender", "twilio 63007", deactivate=False
        )
        await alert_delivery_problems(ctx, clock.now())

    await fail()
    assert len(await _alerts(ctx)) == 1
    clock.advance(3600)
    await fail()
    assert await _alerts(ctx) == []
    clock.advance(5 * 3600)
    await fail()
    assert len(await _alerts(ctx)) == 1


async def test_with_no_other_platform_the_broken_one_is_still_tried(
    ctx: HandlerContext, clock: FrozenClock
) -> None:
    """When every admin is on the broken platform, the alert goes to them anyway."""
    ctx.admins = AdminPolicy({"whatsapp": frozenset({WA_ADMIN})})
    await ctx.repos.recipients.record_error(
        "whatsapp", "+2348011111111", "invalid_sender", "twilio 63007", deactivate=False
    )
    await alert_delivery_problems(ctx, clock.now())
    assert [chat for chat, _ in await _alerts(ctx)] == [f"whatsapp:{WA_ADMIN}"]


async def test_an_unreachable_admin_chat_is_told_on_the_other_platform(
    ctx: HandlerContext, clock: FrozenClock
) -> None:
    """An admin who blocked the bot on Telegram is reported to the WhatsApp admins."""
    ctx = _both_admins(ctx)
    await ctx.repos.recipients.record_error(
        "telegram", TG_ADMIN, "blocked", "Forbidden: bot was blocked by the user", deactivate=True
    )
    await alert_delivery_problems(ctx, clock.now())
    alerts = await _alerts(ctx)
    assert [chat for chat, _ in alerts] == [f"whatsapp:{WA_ADMIN}"]
    assert f"telegram:{TG_ADMIN}" in alerts[0][1]


async def test_subscribers_leaving_are_not_alerted(ctx: HandlerContext, clock: FrozenClock) -> None:
    """A subscriber who blocked the bot is churn: marked told, no alert, nothing left over."""
    ctx = _both_admins(ctx)
    await ctx.repos.recipients.record_error(
        "telegram", "555", "blocked", "Forbidden: bot was blocked by the user", deactivate=True
    )
    await alert_delivery_problems(ctx, clock.now())
    assert await _alerts(ctx) == []
    assert await ctx.repos.problems.unalerted() == []


async def test_told_problems_are_pruned_after_a_week(
    ctx: HandlerContext, clock: FrozenClock
) -> None:
    """A run with nothing new deletes problems told more than seven days ago."""
    ctx = _both_admins(ctx)
    await ctx.repos.recipients.record_error(
        "whatsapp", "+2348011111111", "invalid_sender", "twilio 63007", deactivate=False
    )
    await alert_delivery_problems(ctx, clock.now())
    clock.advance(timedelta(days=8).total_seconds())
    await alert_delivery_problems(ctx, clock.now())
    assert await ctx.repos.problems.prune(clock.now()) == 0  # already gone


async def test_refused_credentials_are_told_on_the_other_platform(
    ctx: HandlerContext, clock: FrozenClock
) -> None:
    """A revoked bot token (noted without blaming any chat) reaches the WhatsApp admins."""
    ctx = _both_admins(ctx)
    await ctx.repos.recipients.record_problem(
        "telegram", "-1001", "channel_unavailable", "invalid_token: Telegram answered 401"
    )
    await alert_delivery_problems(ctx, clock.now())
    alerts = await _alerts(ctx)
    assert [chat for chat, _ in alerts] == [f"whatsapp:{WA_ADMIN}"]
    assert "MINBAR_TELEGRAM__TOKEN" in alerts[0][1]


async def test_each_admin_reads_the_alert_and_its_fix_in_their_language(
    ctx: HandlerContext, clock: FrozenClock
) -> None:
    """An admin whose chat chose Hausa reads it in Hausa; the other, who chose none, English."""
    ctx = _both_admins(ctx)
    await ctx.repos.subscribers.set_language("telegram", TG_ADMIN, "private", "ha")
    await _travel_channel(ctx)
    await ctx.repos.recipients.record_error(
        "telegram",
        CHANNEL,
        "cannot_post",
        "Bad Request: need administrator rights in the channel chat",
        deactivate=True,
    )
    await alert_delivery_problems(ctx, clock.now())
    alerts = dict(await _alerts(ctx))
    assert alerts[f"telegram:{TG_ADMIN}"] == (
        "Matsalolin isar da saƙo\n\n"
        "• An kashe Attaqwaa Travel: bot ɗin ba shi da izinin wallafa saƙo a can: sanya bot ɗin "
        "ya zama mai gudanarwa na Attaqwaa Travel da izinin 'Post messages', sannan aika "
        f"/resume telegram:{CHANNEL}. "
        "(cannot_post: Bad Request: need administrator rights in the channel chat)\n"
        "/destinations yana nuna kowane wurin aikawa da halin da yake ciki."
    )
    assert alerts[f"whatsapp:{WA_ADMIN}"] == (
        "Delivery problems\n\n"
        "• Attaqwaa Travel is switched off: the bot may not post there: make the bot an admin "
        f"of Attaqwaa Travel with 'Post messages', then /resume telegram:{CHANNEL}. "
        "(cannot_post: Bad Request: need administrator rights in the channel chat)\n"
        "/destinations lists every destination and its state."
    )
