"""Subscribing: /subscribe and /unsubscribe (who=CHAT_MANAGERS), JOIN, HELP, the setting words."""

from __future__ import annotations

import pytest

from bot.core.clock import FrozenClock
from bot.core.commands import CHAT_MANAGERS
from bot.core.errors import TransientError
from bot.core.messages import ChatKind
from bot.storage.db import Database
from handlers import build_dispatcher
from handlers.context import HandlerContext
from handlers.subscriptions.commands import subscribe, unsubscribe
from handlers.subscriptions.menus import keyword_help
from tests.fakes.channel import whatsapp_like
from tests.handlers.conftest import (
    ADMIN_ID,
    EN,
    START,
    WA_NUMBER,
    GroupChannel,
    NoAdminLookupChannel,
    drain,
    inbound,
    make_context,
    texts,
    wa,
)
from tests.handlers.subscriptions.conftest import GROUP, GROUP_ADMIN, MEMBER, prefs_of


@pytest.fixture
def channel() -> GroupChannel:
    """A Telegram-like channel where 3003 administers the group."""
    return GroupChannel(chat_admins={GROUP: {GROUP_ADMIN}})


@pytest.fixture
def gctx(db: Database, clock: FrozenClock, channel: GroupChannel) -> HandlerContext:
    """A context whose Telegram channel answers group-admin lookups."""
    return make_context(db, clock, channels=(channel, whatsapp_like()))


def test_subscribing_is_for_the_chats_managers(ctx: HandlerContext) -> None:
    """/subscribe, /unsubscribe, /boards and /settings are registered who=CHAT_MANAGERS."""
    handlers = {
        "subscribe": subscribe,
        "unsubscribe": unsubscribe,
        "boards": None,
        "settings": None,
    }
    for name, handler in handlers.items():
        spec = ctx.commands.get(name)
        assert spec is not None
        assert spec.info.who == CHAT_MANAGERS, name
        assert handler is None or spec.run is handler


# --- Commands ----------------------------------------------------------------------------


async def test_subscribe_and_unsubscribe_in_private(ctx: HandlerContext) -> None:
    """/subscribe records the opt-in time and source; /unsubscribe switches the chat off."""
    d = build_dispatcher(ctx)
    await d.handle(inbound("/subscribe"))
    row = await ctx.repos.subscribers.get("telegram", "2002")
    assert row is not None
    assert (row.active, row.opt_in_source, row.opt_in_at) == (True, "telegram:/subscribe", START)
    assert await texts(ctx) == [
        "Subscribed: new forum topics will come here. "
        "/boards chooses boards, /settings changes how, /unsubscribe stops."
    ]
    await d.handle(inbound("/unsubscribe"))
    row = await ctx.repos.subscribers.get("telegram", "2002")
    assert row is not None
    assert (row.active, row.inactive_reason) == (False, "unsubscribed")
    assert await texts(ctx) == [
        "Unsubscribed: no more topic alerts here. /subscribe brings them back."
    ]
    await d.handle(inbound("/unsubscribe"))
    assert await texts(ctx) == ["This chat is not subscribed. Send /subscribe to start."]


async def test_group_admin_subscribes_the_group(
    gctx: HandlerContext, channel: GroupChannel
) -> None:
    """A group's admin (as the platform reports) subscribes the group, with its chat kind."""
    await build_dispatcher(gctx).handle(
        inbound("/subscribe@AttaqwaaBot", sender=GROUP_ADMIN, chat=GROUP, kind=ChatKind.GROUP)
    )
    row = await gctx.repos.subscribers.get("telegram", GROUP)
    assert row is not None
    assert (row.active, row.chat_kind) == (True, ChatKind.GROUP)
    assert channel.asked == [(GROUP, GROUP_ADMIN)]
    (sent,) = await drain(gctx)
    assert sent.message.recipient.chat_id == GROUP


async def test_group_member_cannot_subscribe_or_unsubscribe(gctx: HandlerContext) -> None:
    """A member who is not a group admin is refused silently and nothing changes."""
    d = build_dispatcher(gctx)
    await d.handle(inbound("/subscribe", sender=MEMBER, chat=GROUP, kind=ChatKind.GROUP))
    assert await gctx.repos.subscribers.get("telegram", GROUP) is None
    assert await texts(gctx) == []  # refused silently: anyone could flood the group otherwise
    await gctx.repos.subscribers.subscribe("telegram", GROUP, "group", "test", START)
    await d.handle(inbound("/unsubscribe", sender=MEMBER, chat=GROUP, kind=ChatKind.GROUP))
    row = await gctx.repos.subscribers.get("telegram", GROUP)
    assert row is not None
    assert row.active
    assert await texts(gctx) == []


async def test_group_admin_check_failure_refuses(
    gctx: HandlerContext, channel: GroupChannel
) -> None:
    """When the platform cannot say who the admins are, the group is not subscribed."""
    channel.fail = TransientError("network", "timeout")
    await build_dispatcher(gctx).handle(
        inbound("/subscribe", sender=GROUP_ADMIN, chat=GROUP, kind=ChatKind.GROUP)
    )
    assert await gctx.repos.subscribers.get("telegram", GROUP) is None
    assert await texts(gctx) == []


@pytest.mark.parametrize(
    ("sender", "allowed"),
    [pytest.param(ADMIN_ID, True, id="bot-admin"), pytest.param(MEMBER, False, id="member")],
)
async def test_group_without_admin_lookup_allows_bot_admins_only(
    db: Database, clock: FrozenClock, sender: str, allowed: bool
) -> None:
    """Where the channel cannot list group admins, only the bot's own admins subscribe a group."""
    ctx = make_context(db, clock, channels=(NoAdminLookupChannel(), whatsapp_like()))  # type: ignore[arg-type]
    await build_dispatcher(ctx).handle(
        inbound("/subscribe", sender=sender, chat=GROUP, kind=ChatKind.GROUP)
    )
    row = await ctx.repos.subscribers.get("telegram", GROUP)
    assert (row is not None and row.active) is allowed


# --- Words where people talk in words ---------------------------------------------------


@pytest.mark.parametrize("word", ["JOIN", "join", " Subscribe! ", "subscribe."])
async def test_join_subscribes(ctx: HandlerContext, word: str) -> None:
    """JOIN or SUBSCRIBE in any case, with stray spaces or punctuation, subscribes the number."""
    await build_dispatcher(ctx).handle(wa(word))
    row = await ctx.repos.subscribers.get("whatsapp", WA_NUMBER)
    assert row is not None
    assert (row.active, row.opt_in_source, row.opt_in_at) == (True, "whatsapp:JOIN", START)
    assert await texts(ctx) == [
        "Subscribed: you will get new forum topics here. "
        "Send BOARDS to choose boards, HELP for the options, STOP to opt out."
    ]


async def test_help_lists_the_keywords(ctx: HandlerContext) -> None:
    """HELP answers with every keyword."""
    await build_dispatcher(ctx).handle(wa("help"))
    (text,) = await texts(ctx)
    assert text == keyword_help(EN)
    for word in ("JOIN", "STOP", "START", "BOARDS", "DIGEST", "INSTANT", "PROMOS OFF", "SETTINGS"):
        assert word in text


async def test_setting_words_change_the_settings(ctx: HandlerContext) -> None:
    """DIGEST, PROMOS OFF, INSTANT and PROMOS ON each change one setting and answer them all."""
    d = build_dispatcher(ctx)
    await d.handle(wa("JOIN"))
    await drain(ctx)
    await d.handle(wa("digest"))
    await d.handle(wa("Promos off"))
    prefs = await prefs_of(ctx, "whatsapp", WA_NUMBER)
    assert (prefs.delivery, prefs.promotions) == ("digest", False)
    assert await texts(ctx) == [
        "Topic alerts: on\nPromotions: on\nDelivery: one daily digest",
        "Topic alerts: on\nPromotions: off\nDelivery: one daily digest",
    ]
    await d.handle(wa("INSTANT"))
    await d.handle(wa("promos on"))
    prefs = await prefs_of(ctx, "whatsapp", WA_NUMBER)
    assert (prefs.delivery, prefs.promotions) == ("instant", True)


async def test_a_setting_word_before_joining_saves_and_reminds(ctx: HandlerContext) -> None:
    """A setting word from a number that never joined is kept; the answer says to JOIN."""
    await build_dispatcher(ctx).handle(wa("DIGEST"))
    assert await texts(ctx) == [
        "Topic alerts: on\nPromotions: on\nDelivery: one daily digest\n"
        "You are not subscribed: send JOIN."
    ]
    row = await ctx.repos.subscribers.get("whatsapp", WA_NUMBER)
    assert row is not None
    assert (row.active, row.settings.delivery) == (False, "digest")


async def test_a_setting_word_after_unsubscribing_saves_and_reminds(ctx: HandlerContext) -> None:
    """Someone who left keeps their choices; the answer reminds them they are not subscribed."""
    d = build_dispatcher(ctx)
    await d.handle(wa("JOIN"))
    await ctx.repos.subscribers.unsubscribe("whatsapp", WA_NUMBER, START)
    await drain(ctx)
    await d.handle(wa("digest"))
    assert (await prefs_of(ctx, "whatsapp", WA_NUMBER)).delivery == "digest"
    assert await texts(ctx) == [
        "Topic alerts: on\nPromotions: on\nDelivery: one daily digest\n"
        "You are not subscribed: send JOIN."
    ]


async def test_the_words_are_ordinary_text_on_telegram(ctx: HandlerContext) -> None:
    """On a platform without keywords JOIN, HELP and DIGEST change nothing and get the pointer."""
    d = build_dispatcher(ctx)
    for word in ("JOIN", "HELP", "DIGEST"):
        await d.handle(inbound(word))
    row = await ctx.repos.subscribers.get("telegram", "2002")
    assert row is not None
    assert (row.active, row.settings.delivery) == (False, "instant")
    pointer = "Salaam! I am the Attaqwaa bot. Send /help to see what I can do."
    assert await texts(ctx) == [pointer, pointer, pointer]
