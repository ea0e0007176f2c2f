"""Roles: who may run a command, press a button or use a flow, checked once by the dispatcher."""

from __future__ import annotations

import logging

import pytest

from bot.core.clock import FrozenClock
from bot.core.commands import ADMINS, CHAT_MANAGERS, EVERYONE, Role, command
from bot.core.errors import TransientError
from bot.core.messages import ChatKind, InboundMessage
from bot.storage.db import Database
from handlers.context import HandlerContext
from handlers.dispatch import Dispatcher
from handlers.feature import ChoiceRoute, Feature
from handlers.permissions import may, refusal, roles_of
from tests.fakes.channel import whatsapp_like
from tests.handlers.conftest import (
    ADMIN_ID,
    EN,
    GroupChannel,
    NoAdminLookupChannel,
    drain,
    inbound,
    make_context,
    press,
    texts,
)

GROUP = "-100555"
GROUP_ADMIN = "3003"
MEMBER = "4004"


def in_group(sender: str, text: str = "x") -> InboundMessage:
    """Build a Telegram group message from ``sender``."""
    return inbound(text, sender=sender, chat=GROUP, kind=ChatKind.GROUP)


@pytest.fixture
def channel() -> GroupChannel:
    """A Telegram-like channel where 3003 administers the group."""
    return GroupChannel(chat_admins={GROUP: {GROUP_ADMIN}})


@pytest.fixture
def gctx(db: Database, clock: FrozenClock, channel: GroupChannel) -> HandlerContext:
    """A context whose Telegram channel answers group-admin lookups."""
    return make_context(db, clock, channels=(channel, whatsapp_like()))


def test_refusals_name_who_may() -> None:
    """A chat-manager refusal names the group's admins, any other the forum's admins."""
    assert (
        refusal(CHAT_MANAGERS, "change this", EN)
        == "Sorry, only this group's admins can change this."
    )
    assert refusal(ADMINS, "use /status", EN) == "Sorry, only the forum's admins can use /status."


async def test_everyone_may_use_what_members_may(gctx: HandlerContext) -> None:
    """``EVERYONE`` lets anyone through without asking the platform."""
    assert await may(EVERYONE, in_group(MEMBER), gctx)


async def test_only_allowlisted_admins_hold_the_admin_role(gctx: HandlerContext) -> None:
    """``ADMINS`` allows the configured ids of that channel only."""
    assert await may(ADMINS, inbound("x", sender=ADMIN_ID), gctx)
    assert not await may(ADMINS, inbound("x", sender=MEMBER), gctx)
    assert not await may(ADMINS, inbound("x", sender=ADMIN_ID, channel="whatsapp"), gctx)


async def test_everyone_manages_their_own_private_chat(
    gctx: HandlerContext, channel: GroupChannel
) -> None:
    """In a private chat the person is its manager, and the platform is not asked."""
    assert await may(CHAT_MANAGERS, inbound("x", sender=MEMBER), gctx)
    assert channel.asked == []


async def test_a_groups_managers_are_asked_of_the_platform(
    gctx: HandlerContext, channel: GroupChannel
) -> None:
    """In a group only the admins the platform names manage it; it is asked each time."""
    assert await may(CHAT_MANAGERS, in_group(GROUP_ADMIN), gctx)
    assert not await may(CHAT_MANAGERS, in_group(MEMBER), gctx)
    assert channel.asked == [(GROUP, GROUP_ADMIN), (GROUP, MEMBER)]


async def test_a_failed_admin_lookup_refuses(
    gctx: HandlerContext, channel: GroupChannel, caplog: pytest.LogCaptureFixture
) -> None:
    """When the platform cannot say who the admins are, nobody manages the group."""
    channel.fail = TransientError("network", "timeout")
    with caplog.at_level(logging.WARNING):
        assert not await may(CHAT_MANAGERS, in_group(GROUP_ADMIN), gctx)
    assert f"Could not check the admins of {GROUP}" in caplog.text


@pytest.mark.parametrize(
    ("sender", "allowed"),
    [pytest.param(ADMIN_ID, True, id="bot-admin"), pytest.param(MEMBER, False, id="member")],
)
async def test_without_an_admin_lookup_only_bot_admins_manage_groups(
    db: Database, clock: FrozenClock, sender: str, allowed: bool
) -> None:
    """Where the channel cannot list group admins, only the bot's own admins manage a group."""
    ctx = make_context(db, clock, channels=(NoAdminLookupChannel(), whatsapp_like()))  # type: ignore[arg-type]
    assert await may(CHAT_MANAGERS, in_group(sender), ctx) is allowed


async def test_roles_of_lists_every_role_held(gctx: HandlerContext) -> None:
    """A group admin, a member, an allowlisted admin in private: each gets exactly their roles."""
    assert await roles_of(in_group(GROUP_ADMIN), gctx) == {Role.MEMBER, Role.GROUP_ADMIN}
    assert await roles_of(in_group(MEMBER), gctx) == {Role.MEMBER}
    assert await roles_of(inbound("x", sender=ADMIN_ID), gctx) == {
        Role.MEMBER,
        Role.GROUP_ADMIN,
        Role.ADMIN,
    }


# --- Commands --------------------------------------------------------------------------


@command("purge", help="Forget everything", who=ADMINS)
async def purge(message: InboundMessage, argument: str, ctx: HandlerContext) -> None:
    """An admins-only command that answers when it runs."""
    await ctx.reply(message, f"Purged {argument}.")


async def test_an_admin_command_is_refused_in_private_with_the_refusal_text(
    ctx: HandlerContext, caplog: pytest.LogCaptureFixture
) -> None:
    """A who=ADMINS command from anyone else is refused politely in private, and logged."""
    ctx.commands.collect([purge])
    with caplog.at_level(logging.WARNING):
        await Dispatcher(ctx).handle(inbound("/purge all", sender="666"))
    assert await texts(ctx) == [refusal(ADMINS, "use /purge", EN)]
    assert "Refused /purge from telegram:666" in caplog.text


async def test_an_admin_command_is_refused_silently_in_a_group(
    ctx: HandlerContext, caplog: pytest.LogCaptureFixture
) -> None:
    """In a group the refusal is only logged: anyone could make the bot flood the group."""
    ctx.commands.collect([purge])
    with caplog.at_level(logging.INFO):
        await Dispatcher(ctx).handle(in_group("666", "/purge all"))
    assert await drain(ctx) == []
    assert "Refused /purge from telegram:666" in caplog.text
    assert f"Refused telegram:666 in {GROUP} silently" in caplog.text


async def test_an_admin_command_runs_for_an_admin_anywhere(ctx: HandlerContext) -> None:
    """The allowlisted admin runs a who=ADMINS command in private and in a group."""
    ctx.commands.collect([purge])
    dispatcher = Dispatcher(ctx)
    await dispatcher.handle(inbound("/purge cache", sender=ADMIN_ID))
    await dispatcher.handle(in_group(ADMIN_ID, "/purge logs"))
    assert await texts(ctx) == ["Purged cache.", "Purged logs."]


async def test_status_is_refused_to_non_admins(ctx: HandlerContext) -> None:
    """The built-in /status is declared for admins and refused with the standard text."""
    await Dispatcher(ctx).handle(inbound("/status", sender="666"))
    assert await texts(ctx) == ["Sorry, only the forum's admins can use /status."]


# --- Buttons ---------------------------------------------------------------------------


def review_feature(pressed: list[str]) -> Feature:
    """A feature with an admins-only ``rv`` button route."""

    async def on_review(message: InboundMessage, rest: str, ctx: HandlerContext) -> None:
        pressed.append(rest)

    route = ChoiceRoute(on_review, who=ADMINS, what="approve or reject topics")
    return Feature(name="review", choices={"rv": route})


async def test_a_button_route_refuses_others_in_private(ctx: HandlerContext) -> None:
    """An admins-only button pressed by a member is refused with the route's wording."""
    pressed: list[str] = []
    await Dispatcher(ctx, [review_feature(pressed)]).handle(press("rv:a:11", sender="666"))
    assert pressed == []
    assert await texts(ctx) == ["Sorry, only the forum's admins can approve or reject topics."]


async def test_a_button_route_refuses_silently_in_a_group(ctx: HandlerContext) -> None:
    """The same press in a group is refused without a word; the admin's press runs."""
    pressed: list[str] = []
    dispatcher = Dispatcher(ctx, [review_feature(pressed)])
    await dispatcher.handle(press("rv:a:11", sender="666", chat=GROUP, kind=ChatKind.GROUP))
    assert await drain(ctx) == []
    await dispatcher.handle(press("rv:a:11", sender=ADMIN_ID, chat=GROUP, kind=ChatKind.GROUP))
    assert pressed == ["a:11"]
