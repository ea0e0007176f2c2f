"""Subscriptions on Telegram (commands, buttons) and WhatsApp (keywords, numbered menus)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bot.core.errors import TransientError
from bot.core.ids import BoardId, ChannelName, TopicId
from bot.core.messages import ChatKind, DeliveryResult, InboundMessage, OutboundMessage
from bot.forum.source import Topic
from bot.storage.repositories.subscribers import SubscriberSettings
from handlers import subscriptions
from handlers.context import HandlerContext
from handlers.dispatch import Dispatcher
from handlers.subscription_menus import STOPPED, keyword_of
from tests.handlers.conftest import ADMIN_ID, START, drain, inbound

GROUP = "-100555"
GROUP_ADMIN = "3003"


class FakeGroupChannel:
    """A channel that knows its group admins, shows buttons and records sends."""

    def __init__(self, name: str, admins: dict[str, set[str]], *, buttons: bool = True) -> None:
        self._name = ChannelName(name)
        self.admins = admins
        self.supports_buttons = buttons
        self.asked: list[tuple[str, str]] = []
        self.fail: Exception | None = None

    @property
    def name(self) -> ChannelName:
        """Return the registry name."""
        return self._name

    async def start(self) -> None:
        """Nothing to start."""

    async def stop(self) -> None:
        """Nothing to stop."""

    async def send(self, message: OutboundMessage) -> DeliveryResult:
        """Accept everything (these tests read the outbox instead)."""
        return DeliveryResult()

    async def is_chat_admin(self, chat_id: str, user_id: str) -> bool:
        """Answer from the configured admin lists."""
        self.asked.append((chat_id, user_id))
        if self.fail is not None:
            raise self.fail
        return user_id in self.admins.get(chat_id, set())


def dispatcher(ctx: HandlerContext) -> Dispatcher:
    """Build a dispatcher with the subscriptions feature, as handlers/__init__ will."""
    if ctx.commands.get("subscribe") is None:
        ctx.commands.collect_module(subscriptions)
    feature = subscriptions.FEATURE
    return Dispatcher(
        ctx,
        priority_keywords=feature.priority_keywords,
        keywords=feature.keywords,
        flows=feature.flows,
        choices=feature.choices,
    )


def wa(text: str, number: str = "+2348011111111") -> InboundMessage:
    """Build a WhatsApp message from ``number``."""
    return inbound(text, sender=number, channel="whatsapp")


def press(
    data: str, *, sender: str = "2002", chat: str | None = None, kind: ChatKind = ChatKind.PRIVATE
) -> InboundMessage:
    """Build a Telegram button press carrying ``data``."""
    return replace(inbound("", sender=sender, chat=chat, kind=kind), choice_data=data)


async def texts(ctx: HandlerContext) -> list[str]:
    """Return the plain text of everything queued since the last call."""
    return [item.message.plain_text for item in await drain(ctx)]


async def seed_boards(ctx: HandlerContext) -> None:
    """Record topics from two boards so the board menus have something to list."""
    for topic_id, board_id, name in [(1, 4, "Umrah & Hajj Travel"), (2, 2, "General News")]:
        topic = Topic(
            topic_id=TopicId(topic_id),
            board_id=BoardId(board_id),
            board_name=name,
            subject=f"Topic {topic_id}",
            link=f"https://forum.example/index.php?topic={topic_id}.0",
            posted_at=datetime(2026, 11, 27, 8, 0, tzinfo=UTC),
            author="admin",
            body_html="",
            guid=None,
        )
        await ctx.topics.record(topic, decision="relayed")


async def prefs_of(ctx: HandlerContext, channel: str, chat: str) -> SubscriberSettings:
    """Return a chat's stored settings."""
    row = await ctx.subscribers.get(channel, chat)
    assert row is not None
    return SubscriberSettings.from_json(row.settings)


# --- Telegram commands -------------------------------------------------------------------


async def test_telegram_subscribe_and_unsubscribe_in_private(ctx: HandlerContext) -> None:
    """/subscribe records the opt-in time and source; /unsubscribe switches the chat off."""
    d = dispatcher(ctx)
    await d.handle(inbound("/subscribe"))
    row = await ctx.subscribers.get("telegram", "2002")
    assert row is not None
    assert (row.active, row.opt_in_source, row.opt_in_at) == (True, "telegram:/subscribe", START)
    assert "Subscribed" in (await texts(ctx))[0]
    await d.handle(inbound("/unsubscribe"))
    row = await ctx.subscribers.get("telegram", "2002")
    assert row is not None
    assert (row.active, row.inactive_reason) == (False, "unsubscribed")
    assert "Unsubscribed" in (await texts(ctx))[0]
    await d.handle(inbound("/unsubscribe"))
    assert "not subscribed" in (await texts(ctx))[0]


async def test_group_admin_subscribes_the_group(ctx: HandlerContext) -> None:
    """A group's admin (as the platform reports) subscribes the group, with its chat kind."""
    channel = FakeGroupChannel("telegram", {GROUP: {GROUP_ADMIN}})
    ctx.channels.add(channel)
    await dispatcher(ctx).handle(
        inbound("/subscribe@AttaqwaaBot", sender=GROUP_ADMIN, chat=GROUP, kind=ChatKind.GROUP)
    )
    row = await ctx.subscribers.get("telegram", GROUP)
    assert row is not None
    assert (row.active, row.chat_kind) == (True, "group")
    assert channel.asked == [(GROUP, GROUP_ADMIN)]
    (sent,) = await drain(ctx)
    assert sent.message.recipient.chat_id == GROUP


async def test_group_member_cannot_subscribe_or_unsubscribe(ctx: HandlerContext) -> None:
    """A member who is not a group admin is refused and nothing changes."""
    ctx.channels.add(FakeGroupChannel("telegram", {GROUP: {GROUP_ADMIN}}))
    d = dispatcher(ctx)
    await d.handle(inbound("/subscribe", sender="4004", chat=GROUP, kind=ChatKind.GROUP))
    assert await ctx.subscribers.get("telegram", GROUP) is None
    assert await texts(ctx) == []  # refused silently: anyone could flood the group otherwise
    await ctx.subscribers.subscribe("telegram", GROUP, "group", "test", START)
    await d.handle(inbound("/unsubscribe", sender="4004", chat=GROUP, kind=ChatKind.GROUP))
    row = await ctx.subscribers.get("telegram", GROUP)
    assert row is not None
    assert row.active


async def test_group_admin_check_failure_refuses(ctx: HandlerContext) -> None:
    """When the platform cannot say who the admins are, the group is not subscribed."""
    channel = FakeGroupChannel("telegram", {GROUP: {GROUP_ADMIN}})
    channel.fail = TransientError("network", "timeout")
    ctx.channels.add(channel)
    await dispatcher(ctx).handle(
        inbound("/subscribe", sender=GROUP_ADMIN, chat=GROUP, kind=ChatKind.GROUP)
    )
    assert await ctx.subscribers.get("telegram", GROUP) is None


@pytest.mark.parametrize(
    ("sender", "allowed"),
    [pytest.param(ADMIN_ID, True, id="bot-admin"), pytest.param("4004", False, id="member")],
)
async def test_group_without_admin_lookup_allows_bot_admins_only(
    ctx: HandlerContext, sender: str, allowed: bool
) -> None:
    """Where the channel cannot list group admins, only the bot's own admins subscribe a group."""
    await dispatcher(ctx).handle(
        inbound("/subscribe", sender=sender, chat=GROUP, kind=ChatKind.GROUP)
    )
    row = await ctx.subscribers.get("telegram", GROUP)
    assert (row is not None and row.active) is allowed


# --- Telegram buttons --------------------------------------------------------------------


async def test_boards_buttons_toggle_boards(ctx: HandlerContext) -> None:
    """/boards shows one button per board plus "all"; presses toggle and show the new state."""
    await seed_boards(ctx)
    d = dispatcher(ctx)
    await d.handle(inbound("/subscribe"))
    await drain(ctx)
    await d.handle(inbound("/boards"))
    (menu,) = await drain(ctx)
    assert [(c.label, c.data) for c in menu.message.choices] == [
        ("✅ All boards", "sb:all"),
        ("▫️ General News", "sb:2"),
        ("▫️ Umrah & Hajj Travel", "sb:4"),
    ]
    assert all(len((c.data or "").encode()) <= 64 for c in menu.message.choices)
    await d.handle(press("sb:4"))
    assert (await prefs_of(ctx, "telegram", "2002")).boards == (4,)
    (answer,) = await drain(ctx)
    assert answer.message.plain_text == "You hear about: Umrah & Hajj Travel."
    assert [c.label for c in answer.message.choices][2] == "✅ Umrah & Hajj Travel"
    await d.handle(press("sb:2"))
    assert (await prefs_of(ctx, "telegram", "2002")).boards == (2, 4)
    await d.handle(press("sb:all"))
    assert (await prefs_of(ctx, "telegram", "2002")).boards == ()


async def test_board_button_from_group_member_is_refused(ctx: HandlerContext) -> None:
    """In a group only an admin's board press changes the group's boards."""
    ctx.channels.add(FakeGroupChannel("telegram", {GROUP: {GROUP_ADMIN}}))
    await seed_boards(ctx)
    await ctx.subscribers.subscribe("telegram", GROUP, "group", "test", START)
    d = dispatcher(ctx)
    await d.handle(press("sb:4", sender="4004", chat=GROUP, kind=ChatKind.GROUP))
    assert (await prefs_of(ctx, "telegram", GROUP)).boards == ()
    await d.handle(press("sb:4", sender=GROUP_ADMIN, chat=GROUP, kind=ChatKind.GROUP))
    assert (await prefs_of(ctx, "telegram", GROUP)).boards == (4,)


async def test_settings_buttons_toggle_each_setting(ctx: HandlerContext) -> None:
    """/settings shows the defaults; each button flips one setting and answers the new state."""
    d = dispatcher(ctx)
    await d.handle(inbound("/subscribe"))
    await drain(ctx)
    await d.handle(inbound("/settings"))
    (shown,) = await drain(ctx)
    assert [(c.label, c.data) for c in shown.message.choices] == [
        ("Topic alerts: on", "st:alerts"),
        ("Promotions: on", "st:promos"),
        ("Delivery: instant", "st:mode"),
    ]
    for data in ("st:alerts", "st:promos", "st:mode"):
        await d.handle(press(data))
    prefs = await prefs_of(ctx, "telegram", "2002")
    assert (prefs.topic_alerts, prefs.promotions, prefs.delivery) == (False, False, "digest")
    answers = await drain(ctx)
    assert [c.label for c in answers[-1].message.choices] == [
        "Topic alerts: off",
        "Promotions: off",
        "Delivery: daily digest",
    ]
    await d.handle(press("st:mode"))
    assert (await prefs_of(ctx, "telegram", "2002")).delivery == "instant"


async def test_unknown_buttons_change_nothing(ctx: HandlerContext) -> None:
    """Malformed board or settings data is ignored without an answer."""
    d = dispatcher(ctx)
    await d.handle(inbound("/subscribe"))
    await drain(ctx)
    await d.handle(press("sb:drop table"))
    await d.handle(press("st:everything"))
    assert await drain(ctx) == []
    assert await prefs_of(ctx, "telegram", "2002") == SubscriberSettings()


# --- WhatsApp keywords -------------------------------------------------------------------


@pytest.mark.parametrize("word", ["JOIN", "join", " Subscribe! ", "subscribe."])
async def test_whatsapp_join_subscribes(ctx: HandlerContext, word: str) -> None:
    """JOIN or SUBSCRIBE in any case, with stray spaces or punctuation, subscribes the number."""
    await dispatcher(ctx).handle(wa(word))
    row = await ctx.subscribers.get("whatsapp", "+2348011111111")
    assert row is not None
    assert (row.active, row.opt_in_source, row.opt_in_at) == (True, "whatsapp:JOIN", START)
    assert "Subscribed" in (await texts(ctx))[0]


@pytest.mark.parametrize(
    "word",
    [
        "STOP",
        "stop",
        "Stop.",
        "STOP.",
        "stopall",
        "STOP ALL",
        "UNSUBSCRIBE",
        "cancel",
        "End",
        "quit",
        "OPTOUT",
        "opt-out",
        "  stop!  ",
    ],
)
async def test_whatsapp_stop_variants_opt_out_and_confirm(ctx: HandlerContext, word: str) -> None:
    """Every STOP variant opts the number out at once and sends exactly one confirmation."""
    d = dispatcher(ctx)
    await d.handle(wa("JOIN"))
    await drain(ctx)
    await d.handle(wa(word))
    row = await ctx.subscribers.get("whatsapp", "+2348011111111")
    assert row is not None
    assert (row.active, row.opted_out_at, row.inactive_reason) == (False, START, "opted_out")
    assert await ctx.subscribers.active_for("whatsapp") == []
    (sent,) = await drain(ctx)
    assert (sent.message.plain_text, sent.message.kind) == (STOPPED, "reply")


async def test_stop_from_a_stranger_is_recorded(ctx: HandlerContext) -> None:
    """STOP from a number that never joined still marks it opted out."""
    await dispatcher(ctx).handle(wa("STOP", "+2349099999999"))
    row = await ctx.subscribers.get("whatsapp", "+2349099999999")
    assert row is not None
    assert row.opted_out_at == START


async def test_start_after_stop_resumes_the_subscription(ctx: HandlerContext) -> None:
    """START lifts the opt-out and, for someone who had joined, resumes their alerts."""
    d = dispatcher(ctx)
    for text in ("JOIN", "STOP", "start"):
        await d.handle(wa(text))
    row = await ctx.subscribers.get("whatsapp", "+2348011111111")
    assert row is not None
    assert (row.active, row.opted_out_at, row.opt_in_source) == (True, None, "whatsapp:START")
    assert (await texts(ctx))[-1] == "Welcome back: forum alerts will come here again."


async def test_start_without_joining_only_lifts_the_opt_out(ctx: HandlerContext) -> None:
    """START from someone who never joined allows messages again but subscribes nobody."""
    d = dispatcher(ctx)
    await d.handle(wa("STOP"))
    await d.handle(wa("START"))
    row = await ctx.subscribers.get("whatsapp", "+2348011111111")
    assert row is not None
    assert (row.active, row.opted_out_at) == (False, None)
    assert "Send JOIN" in (await texts(ctx))[-1]


async def test_join_after_stop_lifts_the_opt_out(ctx: HandlerContext) -> None:
    """JOIN is an explicit ask, so it also ends an earlier STOP."""
    d = dispatcher(ctx)
    await d.handle(wa("STOP"))
    await d.handle(wa("JOIN"))
    assert [s.chat_id for s in await ctx.subscribers.active_for("whatsapp")] == ["+2348011111111"]


async def test_keywords_are_ordinary_text_on_telegram(ctx: HandlerContext) -> None:
    """On Telegram "STOP" and "JOIN" change nothing and get the polite fallback."""
    d = dispatcher(ctx)
    await d.handle(inbound("/subscribe"))
    await d.handle(inbound("STOP"))
    await d.handle(inbound("JOIN"))
    row = await ctx.subscribers.get("telegram", "2002")
    assert row is not None
    assert (row.active, row.opted_out_at) == (True, None)
    answers = (await texts(ctx))[1:]
    assert len(answers) == 2
    assert all("Send /help" in t for t in answers)


async def test_help_lists_the_keywords(ctx: HandlerContext) -> None:
    """HELP answers with every keyword."""
    await dispatcher(ctx).handle(wa("help"))
    text = (await texts(ctx))[0]
    for word in ("JOIN", "STOP", "START", "BOARDS", "DIGEST"):
        assert word in text


async def test_whatsapp_settings_words(ctx: HandlerContext) -> None:
    """DIGEST, INSTANT and PROMOS OFF change the settings and answer them."""
    d = dispatcher(ctx)
    await d.handle(wa("JOIN"))
    await d.handle(wa("digest"))
    await d.handle(wa("Promos off"))
    prefs = await prefs_of(ctx, "whatsapp", "+2348011111111")
    assert (prefs.delivery, prefs.promotions) == ("digest", False)
    assert "Delivery: one daily digest" in (await texts(ctx))[1]
    await d.handle(wa("INSTANT"))
    assert (await prefs_of(ctx, "whatsapp", "+2348011111111")).delivery == "instant"


# --- WhatsApp numbered board menu ----------------------------------------------------------


async def test_boards_numbered_menu_toggles_and_closes(ctx: HandlerContext) -> None:
    """BOARDS opens a numbered menu; numbers toggle boards, 0 means all, DONE closes it."""
    await seed_boards(ctx)
    d = dispatcher(ctx)
    await d.handle(wa("JOIN"))
    await drain(ctx)
    await d.handle(wa("Boards"))
    menu = (await texts(ctx))[0]
    assert menu.splitlines()[1:] == [
        "0. ✅ All boards",
        "1. ▫️ General News",
        "2. ▫️ Umrah & Hajj Travel",
    ]
    dialog = await ctx.dialogs.get("whatsapp", "+2348011111111")
    assert dialog is not None
    assert (dialog.flow, dialog.data) == ("boards", {"options": [2, 4]})
    await d.handle(wa("2"))
    assert (await prefs_of(ctx, "whatsapp", "+2348011111111")).boards == (4,)
    assert "2. ✅ Umrah & Hajj Travel" in (await texts(ctx))[0]
    await d.handle(wa("1, 2"))
    assert (await prefs_of(ctx, "whatsapp", "+2348011111111")).boards == (2,)
    await drain(ctx)
    await d.handle(wa("7"))
    assert (await texts(ctx))[0] == "There is no number 7. Choose from 0 to 2."
    await d.handle(wa("0"))
    assert (await prefs_of(ctx, "whatsapp", "+2348011111111")).boards == ()
    await drain(ctx)
    await d.handle(wa("done"))
    assert (await texts(ctx))[0].startswith("Saved. You hear about: all boards.")
    assert await ctx.dialogs.get("whatsapp", "+2348011111111") is None


async def test_stop_works_inside_the_board_menu(ctx: HandlerContext) -> None:
    """STOP in the middle of the board menu still opts out at once."""
    await seed_boards(ctx)
    d = dispatcher(ctx)
    await d.handle(wa("JOIN"))
    await d.handle(wa("BOARDS"))
    await drain(ctx)
    await d.handle(wa("Stop"))
    row = await ctx.subscribers.get("whatsapp", "+2348011111111")
    assert row is not None
    assert row.opted_out_at == START
    assert await texts(ctx) == [STOPPED]
    assert await ctx.dialogs.get("whatsapp", "+2348011111111") is None


async def test_boards_without_known_boards(ctx: HandlerContext) -> None:
    """Before any topic was seen the board menu explains that every topic comes through."""
    await dispatcher(ctx).handle(wa("BOARDS"))
    assert "No forum boards are known yet" in (await texts(ctx))[0]
    assert await ctx.dialogs.get("whatsapp", "+2348011111111") is None


def test_keyword_of_ignores_case_spaces_and_punctuation() -> None:
    """Keywords compare letters and digits only, upper-cased."""
    assert [keyword_of(t) for t in ("stop.", " Opt-Out ", "Stop all!", "قف")] == [
        "STOP",
        "OPTOUT",
        "STOPALL",
        "قف",
    ]


async def test_stop_works_in_the_middle_of_another_features_dialog(ctx: HandlerContext) -> None:
    """An open dialog of any feature cannot swallow STOP: the opt-out is checked first."""
    from handlers.dispatch import Dispatcher, Flow

    swallowed: list[str] = []

    async def enquiry_step(
        message: InboundMessage, step: str, data: dict[str, object], c: HandlerContext
    ) -> None:
        swallowed.append(message.text)

    now = ctx.clock.now()
    await ctx.subscribers.subscribe("whatsapp", "+2348000000001", "private", "test", now)
    await ctx.dialogs.save("whatsapp", "+2348000000001", "enquiry", "dates", {}, 600)
    dispatcher = Dispatcher(
        ctx,
        priority_keywords=subscriptions.FEATURE.priority_keywords,
        keywords=subscriptions.FEATURE.keywords,
        flows=[Flow("enquiry", enquiry_step)],
    )
    await dispatcher.handle(inbound("10 March", channel="whatsapp", sender="+2348000000001"))
    await dispatcher.handle(inbound("Stop.", channel="whatsapp", sender="+2348000000001"))
    row = await ctx.subscribers.get("whatsapp", "+2348000000001")
    assert row is not None
    assert row.opted_out_at == now
    assert swallowed == ["10 March"]


async def test_start_after_stop_records_when_and_how_they_opted_in(ctx: HandlerContext) -> None:
    """START lifts the opt-out and stores its time and source (WhatsApp's opt-in record)."""
    d = dispatcher(ctx)
    await d.handle(wa("STOP"))
    await d.handle(wa("start"))
    row = await ctx.subscribers.get("whatsapp", "+2348011111111")
    assert row is not None
    assert (row.opted_out_at, row.opt_in_at, row.opt_in_source) == (None, START, "whatsapp:START")


async def test_a_superscript_digit_in_the_board_menu_is_not_a_crash(ctx: HandlerContext) -> None:
    """ "²" looks like a digit but is not a number: the menu answers instead of failing."""
    d = dispatcher(ctx)
    await d.handle(wa("JOIN"))
    await d.handle(wa("BOARDS"))
    await drain(ctx)
    await d.handle(wa("²"))
    answers = [c.message.plain_text for c in await drain(ctx)]
    assert len(answers) == 1
