"""/destinations, /pause and /resume: admins see each destination's state and change it."""

from __future__ import annotations

from bot.core.clock import FrozenClock
from bot.domain.destinations import DestinationSpec
from handlers.context import HandlerContext
from handlers.dispatch import Dispatcher
from handlers.relay.fanout import relay_topic
from tests.handlers.conftest import ADMIN_ID, START, drain, inbound, texts
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
    title, travel, fix, news = text.splitlines()
    assert title == "Destinations"
    assert travel == (
        f"• telegram:{TRAVEL} (Attaqwaa Travel): off; last error cannot_post at "
        "Fri 27 Nov 2026, 10:00: need administrator rights"
    )
    assert fix == (
        "  Fix: the bot may not post there: make the bot an admin of Attaqwaa Travel with "
        f"'Post messages', then /resume telegram:{TRAVEL}"
    )
    assert news == f"• telegram:{NEWS} (News): ok"


async def test_pause_stops_new_topics_and_drops_the_queue_until_resume(
    ctx: HandlerContext, clock: FrozenClock
) -> None:
    """A paused channel gets no topic, even after a config sync; /resume brings it back."""
    ctx = with_relay(ctx)
    await _two_destinations(ctx)
    await relay_topic(topic(50), ctx)  # queued for both, not sent yet
    replies = await _say(ctx, "/pause Attaqwaa Travel")
    assert (
        f"Paused telegram:{TRAVEL} (Attaqwaa Travel): nothing more is sent there; "
        f"1 queued message dropped. /resume telegram:{TRAVEL} to send again."
    ) in replies
    assert (
        f"Destination paused\ntelegram:{TRAVEL} (Attaqwaa Travel) was paused by "
        f"telegram:{ADMIN_ID}."
    ) in replies
    await _two_destinations(ctx)  # a restart syncs the config again
    await relay_topic(topic(51), ctx)
    sent = [c.message.recipient.chat_id for c in await drain(ctx) if c.destination_id]
    assert sent == [NEWS]
    [paused] = [d for d in await ctx.repos.destinations.all() if d.chat_id == TRAVEL]
    assert (paused.state, paused.paused_by) == ("paused", f"telegram:{ADMIN_ID}")

    replies = await _say(ctx, f"/resume telegram:{TRAVEL}")
    assert f"Resumed telegram:{TRAVEL} (Attaqwaa Travel): the next topic goes there." in replies
    assert (
        f"Destination resumed\ntelegram:{TRAVEL} (Attaqwaa Travel) was resumed by "
        f"telegram:{ADMIN_ID}."
    ) in replies
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
    refs = f"telegram:{TRAVEL}, telegram:{NEWS}"
    [usage] = await _say(ctx, "/pause")
    assert usage == f"Usage: /pause <destination>. Destinations: {refs}"
    [unknown] = await _say(ctx, "/resume nowhere")
    assert unknown == f"'nowhere' is not a destination. Use one of: {refs}"
    [running] = await _say(ctx, f"/resume {NEWS}")
    assert running == f"telegram:{NEWS} was not paused or switched off."


async def test_only_admins_may_pause(ctx: HandlerContext) -> None:
    """A member's /pause is refused and changes nothing."""
    await _two_destinations(ctx)
    await _say(ctx, f"/pause {TRAVEL}", sender="2002")
    assert all(d.state == "ok" for d in await ctx.repos.destinations.all())


async def test_an_admin_who_chose_hausa_pauses_and_lists_in_hausa(ctx: HandlerContext) -> None:
    """The answers and the alert are in the admin's language; refs, codes and commands stay."""
    await ctx.repos.subscribers.set_language("telegram", ADMIN_ID, "private", "ha")
    await _two_destinations(ctx)
    replies = await _say(ctx, f"/pause {NEWS}")
    assert (
        f"An dakatar da telegram:{NEWS} (News): ba za a ƙara aika komai can ba; an zubar da "
        f"saƙonni 0 da ke jira. Aika /resume telegram:{NEWS} don sake aikawa."
    ) in replies
    assert (
        f"An dakatar da wurin aikawa\ntelegram:{ADMIN_ID} ya dakatar da telegram:{NEWS} (News)."
    ) in replies
    await ctx.repos.recipients.record_error(
        "telegram", TRAVEL, "cannot_post", "need administrator rights", deactivate=True
    )
    [text] = await _say(ctx, "/destinations")
    title, travel, fix, news = text.splitlines()
    when = ctx.speech_in("ha").moment(START)
    assert title == "Wuraren aikawa"
    assert travel.endswith(f"; kuskure na ƙarshe cannot_post a {when}: need administrator rights")
    assert fix == (
        "  Gyara: bot ɗin ba shi da izinin wallafa saƙo a can: sanya bot ɗin ya zama mai "
        "gudanarwa na Attaqwaa Travel da izinin 'Post messages', sannan aika "
        f"/resume telegram:{TRAVEL}"
    )
    assert news == f"• telegram:{NEWS} (News): an dakatar tun {when} ta hannun telegram:{ADMIN_ID}"
