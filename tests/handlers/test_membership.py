"""Membership changes: blocked or removed stops sending there; coming back resumes it."""

from __future__ import annotations

from dataclasses import replace

from bot.core.messages import ChatKind, Membership
from bot.storage.repositories.destinations import DestinationSpec
from handlers import build_dispatcher
from handlers.context import HandlerContext
from tests.handlers.conftest import drain, inbound


async def test_a_person_who_blocks_the_bot_is_paused_until_they_write_again(
    ctx: HandlerContext,
) -> None:
    """Blocked → subscriber inactive (reason blocked); their next message resumes alerts."""
    dispatcher = build_dispatcher(ctx)
    await ctx.subscribers.subscribe("telegram", "2002", "private", "command", ctx.clock.now())
    await dispatcher.handle(replace(inbound(""), membership=Membership.KICKED))
    paused = await ctx.subscribers.get("telegram", "2002")
    assert paused is not None
    assert (paused.active, paused.inactive_reason) == (False, "blocked")
    await dispatcher.handle(inbound("/start"))
    back = await ctx.subscribers.get("telegram", "2002")
    assert back is not None
    assert (back.active, back.inactive_reason) == (True, None)


async def test_a_group_that_removes_the_bot_stops_receiving_topics(ctx: HandlerContext) -> None:
    """Kicked from a group → its destination is inactive and reported; re-added → active."""
    await ctx.destinations.sync_from_config(
        [DestinationSpec("telegram", "-100900", "group", None, "umrah group", ())]
    )
    dispatcher = build_dispatcher(ctx)
    kicked = replace(inbound("", kind=ChatKind.GROUP, chat="-100900"), membership=Membership.KICKED)
    await dispatcher.handle(kicked)
    assert await ctx.destinations.active_for_board(2) == []
    (unhealthy,) = await ctx.destinations.unhealthy()
    assert unhealthy.error_key == "kicked"
    added = replace(inbound("", kind=ChatKind.GROUP, chat="-100900"), membership=Membership.MEMBER)
    await dispatcher.handle(added)
    assert [d.chat_id for d in await ctx.destinations.active_for_board(2)] == ["-100900"]
    assert await drain(ctx) == []  # membership changes are never answered


async def test_an_unsubscribed_person_is_not_resubscribed_by_writing(ctx: HandlerContext) -> None:
    """Writing to the bot resumes only what an error paused, never an unsubscribe."""
    await ctx.subscribers.subscribe("telegram", "2002", "private", "command", ctx.clock.now())
    await ctx.subscribers.unsubscribe("telegram", "2002", ctx.clock.now())
    await build_dispatcher(ctx).handle(inbound("hello"))
    row = await ctx.subscribers.get("telegram", "2002")
    assert row is not None
    assert (row.active, row.inactive_reason) == (False, "unsubscribed")
