"""/destinations, /pause and /resume: admins see each destination's state and change it."""

from __future__ import annotations

from bot.core.clock import FrozenClock
from bot.domain.destinations import DestinationSpec
from handlers.context import HandlerContext
from handlers.dispatch import Dispatcher
from handlers.relay.fanout import relay_topic
from tests.handlers.conftest import ADMIN_ID, drain, inbound, texts
from tests.handlers.relay.conftest import with_relay
from tests.handlers.relay.test_fanout import topic

TRAVEL = "-1001234"
NEWS = "-1005678"


async def _two_destinations(ctx: HandlerContext) -> None:
    await ctx.repos.destinations.sync_from_config(
        [
            DestinationSpec("telegram", TRAVEL, "channel", name="Attaqwaa Travel"),
            DestinationSpec("telegram", NEWS, "channel", name="News"),
        ]
    )


async def _say(ctx: HandlerContext, text: str, sender: str = ADMIN_ID) -> list[str]:
    await Dispatcher(ctx).handle(inbound(text, sender=sender))
    return await texts(ctx)


async def test_destinations_lists_each_state_and_the_fix(ctx: HandlerContext) -> None:
    """A switched-off channel shows its error and the fix; a healthy one shows ok."""
    await _two_destinations(ctx)
    await ctx.repos.recipients.record_error(
        "telegram", TRAVEL, "cannot_post", "need administrator rights", deactivate=True
    )
    [text] = await _say(ctx, "/destinations")
    travel, fix, news = text.splitlines()[1:]
    assert travel.startswith(f"• telegram:{TRAVEL} (Attaqwaa Travel): off; last error cannot_post")
    assert fix.strip().startswith("Fix: the bot may not post there: make the bot an admin")
    assert news == f"• telegram:{NEWS} (News): ok"


async def test_pause_stops_new_topics_and_drops_the_queue_until_resume(
    ctx: HandlerContext, clock: FrozenClock
) -> None:
    """A paused channel gets no topic, even after a config sync; /resume brings it back."""
    ctx = with_relay(ctx)
    await _two_destinations(ctx)
    await relay_topic(topic(50), ctx)  # queued for both, not sent yet
    replies = await _say(ctx, "/pause Attaqwaa Travel")
    assert any(
        r.startswith(f"Paused telegram:{TRAVEL} (Attaqwaa Travel)") and "1 queued messages" in r
        for r in replies
    )
    await _two_destinations(ctx)  # a restart syncs the config again
    await relay_topic(topic(51), ctx)
    sent = [c.message.recipient.chat_id for c in await drain(ctx) if c.destination_id]
    assert sent == [NEWS]
    [paused] = [d for d in await ctx.repos.destinations.all() if d.chat_id == TRAVEL]
    assert (paused.state, paused.paused_by) == ("paused", f"telegram:{ADMIN_ID}")

    replies = await _say(ctx, f"/resume telegram:{TRAVEL}")
    assert any(r.startswith(f"Resumed telegram:{TRAVEL}") for r in replies)
    await relay_topic(topic(52), ctx)
    sent = [c.message.recipient.chat_id for c in await drain(ctx) if c.destination_id]
    assert sorted(sent) == sorted([TRAVEL, NEWS])


async def test_resume_switches_an_errored_channel_back_on(ctx: HandlerContext) -> None:
    """/resume after fixing the bot's rights clears the error and sends again."""
    await _two_destinations(ctx)
    await ctx.repos.recipients.record_error(
        "telegram", TRAVEL, "cannot_post", "need administrator rights", deactivate=True
    )
    await _say(ctx, f"/resume {TRAVEL}")
    [travel] = [d for d in await ctx.repos.destinations.all() if d.chat_id == TRAVEL]
    assert (travel.state, travel.error_key) == ("ok", None)


async def test_unknown_or_missing_arguments_get_a_clear_answer(ctx: HandlerContext) -> None:
    """No argument shows usage; an unknown one lists the destinations."""
    await _two_destinations(ctx)
    [usage] = await _say(ctx, "/pause")
    assert usage.startswith("Usage: /pause <destination>. Destinations: telegram:")
    [unknown] = await _say(ctx, "/resume nowhere")
    assert unknown.startswith("'nowhere' is not a destination. Use one of: telegram:")


async def test_only_admins_may_pause(ctx: HandlerContext) -> None:
    """A member's /pause is refused and changes nothing."""
    await _two_destinations(ctx)
    await _say(ctx, f"/pause {TRAVEL}", sender="2002")
    assert all(d.state == "ok" for d in await ctx.repos.destinations.all())
