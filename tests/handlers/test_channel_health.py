"""Admins hear once when a channel cannot start, once when it is back, on the other platforms."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from bot.core.clock import FrozenClock
from bot.core.status import ChannelOutage
from handlers.admin import render_status
from handlers.channel_health import channel_down, channel_up
from handlers.context import AdminPolicy, HandlerContext, StatusSnapshot
from tests.handlers.conftest import ADMIN_ID, EN, START, drain

WA_ADMIN = "+2348030000011"
OUTAGE = ChannelOutage("telegram", since=START, error_key="network", attempts=1)


def _with_admins(ctx: HandlerContext) -> HandlerContext:
    ctx.admins = AdminPolicy({"telegram": frozenset({ADMIN_ID}), "whatsapp": frozenset({WA_ADMIN})})
    return ctx


async def test_an_outage_alerts_the_other_platforms_once_even_across_restarts(
    ctx: HandlerContext,
) -> None:
    """Down twice (a restart) queues one alert, to WhatsApp only, naming since when."""
    _with_admins(ctx)
    assert await channel_down(ctx, OUTAGE)
    later = replace(OUTAGE, since=START + timedelta(minutes=5))
    assert not await channel_down(ctx, later)  # a restarted process finds it already told
    [row] = await drain(ctx)
    assert (row.message.recipient.channel, row.message.recipient.chat_id) == ("whatsapp", WA_ADMIN)
    assert row.message.plain_text == (
        "Telegram is unreachable\nTelegram is unreachable since Fri 27 Nov 2026, 10:00 (network). "
        "Minbar keeps trying; messages for it wait and go out once it is back."
    )


async def test_recovery_is_told_once_and_only_after_an_outage(ctx: HandlerContext) -> None:
    """Up without an open outage says nothing; after one, one notice; a second up, none."""
    _with_admins(ctx)
    assert not await channel_up(ctx, "telegram")
    await channel_down(ctx, OUTAGE)
    await drain(ctx)
    assert await channel_up(ctx, "telegram")
    assert not await channel_up(ctx, "telegram")
    [row] = await drain(ctx)
    assert row.message.recipient.chat_id == WA_ADMIN
    assert row.message.plain_text == (
        "Telegram is back\nTelegram works again (unreachable since Fri 27 Nov 2026, 10:00); "
        "waiting messages are going out."
    )


async def test_an_admin_who_chose_hausa_reads_the_outage_and_recovery_in_hausa(
    ctx: HandlerContext,
) -> None:
    """Each admin reads the alert in their chat's language, the date in its words too."""
    _with_admins(ctx)
    await ctx.repos.subscribers.set_language("whatsapp", WA_ADMIN, "private", "ha")
    since = ctx.speech_in("ha").moment(START)
    await channel_down(ctx, OUTAGE)
    [down] = await drain(ctx)
    assert down.message.recipient.chat_id == WA_ADMIN
    assert down.message.plain_text == (
        "Ba a iya isa ga Telegram\n"
        f"Ba a iya isa ga Telegram tun {since} (network). Minbar na ci gaba da ƙoƙari; "
        "saƙonnin da za su tafi can suna jira, kuma za a tura su da zarar ya dawo."
    )
    await channel_up(ctx, "telegram")
    [up] = await drain(ctx)
    assert up.message.plain_text == (
        "Telegram ya dawo\n"
        f"Telegram ya dawo aiki (ba a iya isa gare shi ba tun {since}); "
        "ana tura saƙonnin da ke jira."
    )


async def test_a_second_outage_is_alerted_again(ctx: HandlerContext) -> None:
    """Each outage has its own keys: after a recovery the next one is told too."""
    _with_admins(ctx)
    for _ in range(2):
        assert await channel_down(ctx, OUTAGE)
        assert await channel_up(ctx, "telegram")
    assert len(await drain(ctx)) == 4


def test_status_names_a_channel_that_could_not_start_and_since_when(clock: FrozenClock) -> None:
    """/status adds a line per channel that is down: since when, for how long, and why."""
    outage = replace(OUTAGE, attempts=7)
    snap = StatusSnapshot(
        started_at=START,
        database_ok=True,
        channels={"telegram": False, "whatsapp": True},
        outbox_depth={},
        last_poll=None,
        channel_outages={"telegram": outage},
    )
    lines = render_status(snap, START + timedelta(minutes=12), EN).splitlines()
    assert lines[3:5] == [
        "Channels: telegram DOWN, whatsapp up",
        "telegram unreachable since Fri 27 Nov 2026, 10:00 (12m): network, 7 failed starts, "
        "retrying",
    ]
