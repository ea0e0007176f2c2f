"""Membership changes: blocked or removed stops sending there; coming back resumes it."""

from __future__ import annotations

from dataclasses import replace

import pytest

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
    await ctx.repos.subscribers.subscribe("telegram", "2002", "private", "command", ctx.clock.now())
    await dispatcher.handle(replace(inbound(""), membership=Membership.KICKED))
    paused = await ctx.repos.subscribers.get("telegram", "2002")
    assert paused is not None
    assert (paused.active, paused.inactive_reason) == (False, "blocked")
    await dispatcher.handle(inbound("/start"))
    back = await ctx.repos.subscribers.get("telegram", "2002")
    assert back is not None
    assert (back.active, back.inactive_reason) == (True, None)


async def test_a_group_that_removes_the_bot_stops_receiving_topics(ctx: HandlerContext) -> None:
    """Kicked from a group → its destination is inactive and reported; re-added → active."""
    await ctx.repos.destinations.sync_from_config(
        [DestinationSpec("telegram", "-100900", "group", None, "umrah group", ())]
    )
    dispatcher = build_dispatcher(ctx)
    kicked = replace(inbound("", kind=ChatKind.GROUP, chat="-100900"), membership=Membership.KICKED)
    await dispatcher.handle(kicked)
    assert await ctx.repos.destinations.active() == []
    (unhealthy,) = await ctx.repos.destinations.unhealthy()
    assert unhealthy.error_key == "kicked"
    added = replace(inbound("", kind=ChatKind.GROUP, chat="-100900"), membership=Membership.MEMBER)
    await dispatcher.handle(added)
    assert [d.chat_id for d in await ctx.repos.destinations.active()] == ["-100900"]
    assert await drain(ctx) == []  # membership changes are never answered


async def test_an_unsubscribed_person_is_not_resubscribed_by_writing(ctx: HandlerContext) -> None:
    """Writing to the bot resumes only what an error paused, never an unsubscribe."""
    await ctx.repos.subscribers.subscribe("telegram", "2002", "private", "command", ctx.clock.now())
    await ctx.repos.subscribers.unsubscribe("telegram", "2002", ctx.clock.now())
    await build_dispatcher(ctx).handle(inbound("hello"))
    row = await ctx.repos.subscribers.get("telegram", "2002")
    assert row is not None
    assert (row.active, row.inactive_reason) == (False, "unsubscribed")


@pytest.mark.parametrize(
    ("kind", "chat", "membership", "reason"),
    [
        pytest.param(ChatKind.PRIVATE, "2002", Membership.KICKED, "blocked", id="private-blocked"),
        pytest.param(ChatKind.PRIVATE, "2002", Membership.LEFT, "not_member", id="private-left"),
        pytest.param(ChatKind.GROUP, "-100900", Membership.KICKED, "kicked", id="group-kicked"),
        pytest.param(ChatKind.GROUP, "-100900", Membership.LEFT, "not_member", id="group-left"),
    ],
)
async def test_every_stop_reason_is_one_the_bots_return_resumes(
    ctx: HandlerContext, kind: ChatKind, chat: str, membership: Membership, reason: str
) -> None:
    """Each way of losing a chat pauses it with a reason that "added back" lifts again."""
    await ctx.repos.subscribers.subscribe("telegram", chat, kind.value, "command", ctx.clock.now())
    dispatcher = build_dispatcher(ctx)
    await dispatcher.handle(replace(inbound("", kind=kind, chat=chat), membership=membership))
    paused = await ctx.repos.subscribers.get("telegram", chat)
    assert paused is not None
    assert (paused.active, paused.inactive_reason) == (False, reason)
    await dispatcher.handle(
        replace(inbound("", kind=kind, chat=chat), membership=Membership.MEMBER)
    )
    back = await ctx.repos.subscribers.get("telegram", chat)
    assert back is not None
    assert (back.active, back.inactive_reason) == (True, None)
