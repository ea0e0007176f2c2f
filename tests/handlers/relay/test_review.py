"""Review flow: held topics, cards, one winning admin decision, edited cards, commands."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bot.app import build_service
from bot.core.clock import FrozenClock
from bot.core.commands import ADMINS
from bot.core.ids import ChannelName, ChatId
from bot.core.messages import ChatKind, InboundMessage, OutboundMessage, Recipient
from bot.domain.destinations import DestinationSpec
from bot.domain.outbox import ClaimedItem, NewOutboxItem, Sent
from bot.domain.topics import Topic
from bot.forum.smf_parse import parse_feed
from bot.storage.db import Database
from bot.storage.repositories.outbox import OutboxRepo
from bot.storage.repositories.outbox_reports import OutboxReports
from bot.storage.repositories.topics import TopicRepo
from handlers import build_dispatcher
from handlers.context import AdminPolicy, HandlerContext
from handlers.dispatch import Dispatcher
from handlers.permissions import refusal
from handlers.relay import FEATURE
from handlers.relay.poll import relay_new_topics
from handlers.relay.review import (
    BUTTON_PREFIX,
    HELD,
    REVIEW_BUTTONS,
    decide,
    queue_review_cards,
    review_recipients,
)
from handlers.settings import FeatureSettings, RelaySettings, ScreeningSettings
from tests.dbfixtures import BACKENDS, database_for
from tests.fakes.channel import FakeChannel
from tests.handlers.conftest import ADMIN_ID, EN, drain, inbound, make_context, outbox_of
from tests.handlers.relay.conftest import privately
from tests.handlers.relay.test_spam import SMF, needs_smf, spam_reply_topic
from tests.service_config import service_config

ADMIN_B = "1002"
WA_ADMIN = "+2348030000001"
pytestmark = needs_smf


class FeedSource:
    """Serves one captured feed; ``feed`` can be switched between polls."""

    def __init__(self, feed: str) -> None:
        self.feed = feed

    async def fetch_topics(self, limit: int) -> list[Topic]:
        """Return the capture's topics, newest first."""
        return parse_feed((SMF / self.feed).read_bytes())[:limit]

    async def aclose(self) -> None:
        """Nothing to release."""


def dispatcher(ctx: HandlerContext) -> Dispatcher:
    """Build the dispatcher of every feature, the review buttons and commands among them."""
    return build_dispatcher(ctx)


def screening(mode: str = "auto", *chats: Recipient) -> FeatureSettings:
    """Return settings with the relay's screening ``mode`` and cards going to ``chats``."""
    rules = ScreeningSettings(mode=mode, review_chats=chats)  # type: ignore[arg-type]
    return FeatureSettings(
        bot_name="Attaqwaa", relay=RelaySettings(limit=5, backfill=0, screening=rules)
    )


@pytest.fixture
def one_admin(db: Database, clock: FrozenClock) -> HandlerContext:
    """Auto mode, with cards going to the one Telegram admin privately."""
    return make_context(db, clock, settings=screening("auto", *privately(ADMIN_ID)))


def press(data: str, sender: str, name: str = "Aisha", chat: str | None = None) -> InboundMessage:
    """Return a button press from ``sender`` (in their private chat unless ``chat``)."""
    kind = ChatKind.PRIVATE if chat is None else ChatKind.GROUP
    message = inbound("", sender=sender, chat=chat, kind=kind)
    return replace(message, choice_data=data, sender_name=name)


@pytest.fixture
async def held(db: Database, clock: FrozenClock) -> HandlerContext:
    """Review mode after one poll: topics 11 and 13 held, their 4 cards sent to 2 admins."""
    ctx = make_context(db, clock, settings=screening("review", *privately(ADMIN_ID, ADMIN_B)))
    ctx.admins = AdminPolicy(
        {"telegram": frozenset({ADMIN_ID, ADMIN_B}), "whatsapp": frozenset({WA_ADMIN})}
    )
    await ctx.repos.destinations.sync_from_config(
        [DestinationSpec("telegram", "@attaqwaa", "channel", None, "main", ())]
    )
    source = FeedSource("before/feed_news_smf.xml")
    await relay_new_topics(source, ctx)
    source.feed = "after/feed_news_smf.xml"
    report = await relay_new_topics(source, ctx)
    assert (sorted(report.held), report.relayed) == ([11, 13], [])
    cards = await drain(ctx)
    assert sorted(c.idempotency_key for c in cards) == [
        "review:11:1001",
        "review:11:1002",
        "review:13:1001",
        "review:13:1002",
    ]
    return ctx


async def replies(items: list[ClaimedItem]) -> list[str]:
    """Return the plain text of the replies among drained rows."""
    return [i.message.plain_text for i in items if i.message.kind == "reply"]


async def test_review_mode_end_to_end_one_admin_approves_for_all(held: HandlerContext) -> None:
    """A approves → relayed rows, both cards edited with "Approved by"; B's later press refused."""
    ctx = held
    card_ids = dict(await ctx.repos.deliveries.sent_cards("review", 13))
    assert sorted(r.chat_id for r in card_ids) == ["1001", "1002"]
    router = dispatcher(ctx)
    await router.handle(press("rv:a:13", ADMIN_ID, "Aisha"))
    topic = await ctx.repos.topics.get(13)
    assert topic is not None
    assert topic.decision == "approved"
    assert topic.decided_by == "Aisha (telegram:1001)"
    assert topic.decision_reason == "approved by Aisha (held: review mode)"
    sent = await drain(ctx)
    by_key = {i.idempotency_key: i for i in sent}
    assert sorted(by_key) == ["review:13:1001:decided", "review:13:1002:decided", "topic:13:dest:1"]
    for recipient, provider_id in card_ids.items():
        edit = by_key[f"review:13:{recipient.chat_id}:decided"]
        row = await outbox_of(ctx).get(edit.id)
        assert row is not None
        assert row.payload["edit_of"] == provider_id
        assert edit.message.plain_text.startswith("Review: ")
        assert edit.message.plain_text.endswith("\n\n✅ Approved by Aisha")
        assert edit.message.choices == ()
    assert "Nigeria & Saudi Arabia" in by_key["topic:13:dest:1"].message.plain_text
    await router.handle(press("rv:r:13", ADMIN_B, "Musa"))
    [refusal] = await replies(await drain(ctx))
    assert refusal == "Topic 13 was already approved by Aisha (telegram:1001)."
    after = await ctx.repos.topics.get(13)
    assert after is not None
    assert after.decision == "approved"
    other = await ctx.repos.topics.get(11)
    assert other is not None
    assert other.decision == "pending_review"


async def test_a_non_admin_press_is_refused_and_changes_nothing(
    held: HandlerContext, caplog: pytest.LogCaptureFixture
) -> None:
    """A non-admin's press in a group changes nothing and is only logged: no reply to flood it."""
    with caplog.at_level("INFO"):
        await dispatcher(held).handle(press("rv:a:11", "3003", "Stranger", chat="-100555"))
    assert await drain(held) == []
    row = await held.repos.topics.get(11)
    assert row is not None
    assert row.decision == "pending_review"
    assert "Refused button rv from telegram:3003" in caplog.text
    assert "Refused telegram:3003 in -100555 silently" in caplog.text


async def test_a_non_admin_press_in_private_gets_a_polite_refusal(held: HandlerContext) -> None:
    """In a private chat the refusal is said, so the person knows why nothing happened."""
    await dispatcher(held).handle(press("rv:a:11", "3003", "Stranger"))
    items = await drain(held)
    assert await replies(items) == ["Sorry, only the forum's admins can approve or reject topics."]
    row = await held.repos.topics.get(11)
    assert row is not None
    assert row.decision == "pending_review"


def test_review_buttons_are_declared_for_admins_only() -> None:
    """The relay routes the "rv" buttons to the review handler, for the bot's admins only."""
    assert FEATURE.choices[BUTTON_PREFIX] is REVIEW_BUTTONS
    assert REVIEW_BUTTONS.who == ADMINS
    assert REVIEW_BUTTONS.what == "approve or reject topics"


async def test_a_non_admin_press_is_refused_with_the_permissions_text(
    held: HandlerContext,
) -> None:
    """Approve or Reject pressed privately by a non-admin gets the permissions refusal only."""
    before = await held.repos.topics.get(13)
    router = dispatcher(held)
    await router.handle(press("rv:a:13", "3003", "Stranger"))
    await router.handle(press("rv:r:13", "3003", "Stranger"))
    expected = refusal(REVIEW_BUTTONS.who, REVIEW_BUTTONS.what, EN)
    assert expected == "Sorry, only the forum's admins can approve or reject topics."
    items = await drain(held)
    assert await replies(items) == [expected, expected]
    assert [i.message.recipient.chat_id for i in items] == ["3003", "3003"]
    after = await held.repos.topics.get(13)
    assert after is not None
    assert after == before
    assert after.decision == "pending_review"


async def test_a_group_admin_who_is_no_forum_admin_cannot_decide(
    held: HandlerContext, caplog: pytest.LogCaptureFixture
) -> None:
    """Administering the group a card is in does not make someone a forum admin."""
    telegram = held.channels.get("telegram")
    assert isinstance(telegram, FakeChannel)
    telegram.chat_admins["-100555"] = {"3003"}
    with caplog.at_level("INFO"):
        await dispatcher(held).handle(press("rv:a:11", "3003", "Group Admin", chat="-100555"))
    assert await drain(held) == []
    row = await held.repos.topics.get(11)
    assert row is not None
    assert row.decision == "pending_review"
    assert "Refused button rv from telegram:3003" in caplog.text


async def test_cards_go_to_the_configured_review_chats(db: Database, clock: FrozenClock) -> None:
    """review_recipients are the settings' review chats, and each gets one card per topic."""
    group = Recipient(ChannelName("telegram"), ChatId("-100999"), ChatKind.GROUP)
    ctx = make_context(db, clock, settings=screening("review", group))
    assert review_recipients(ctx) == [group]
    topic = spam_reply_topic()
    assert await queue_review_cards(topic, ctx) == 1
    assert await queue_review_cards(topic, ctx) == 0  # idempotent per topic and chat
    [card] = await drain(ctx)
    assert card.idempotency_key == "review:12:-100999"
    assert card.message.recipient == group
    assert [c.data for c in card.message.choices] == ["rv:a:12", "rv:r:12", None]


@pytest.mark.parametrize(
    ("sections", "expected"),
    [
        pytest.param(
            {"admins": {"telegram": [1002, 1001], "whatsapp": [WA_ADMIN]}},
            [("1001", ChatKind.PRIVATE), ("1002", ChatKind.PRIVATE)],
            id="each-telegram-admin-privately",
        ),
        pytest.param(
            {"admins": {"telegram": [1001]}, "relay": {"review_chats": ["-100555", "@mods"]}},
            [("-100555", ChatKind.GROUP), ("@mods", ChatKind.CHANNEL)],
            id="configured-review-chats-replace-the-admins",
        ),
        pytest.param({"admins": {"whatsapp": [WA_ADMIN]}}, [], id="whatsapp-admins-get-no-cards"),
    ],
)
async def test_bot_app_defaults_the_review_chats_to_the_telegram_admins(
    tmp_path: Path, sections: dict[str, Any], expected: list[tuple[str, ChatKind]]
) -> None:
    """Built from config, review chats are config's, else each Telegram admin privately."""
    service = build_service(service_config(tmp_path, **sections))
    try:
        chats = review_recipients(service.ctx)
    finally:
        if service.ctx.forum is not None:
            await service.ctx.forum.aclose()
        await service.db.dispose()
    assert [(r.chat_id, r.kind) for r in chats] == expected
    assert {r.channel for r in chats} <= {"telegram"}


async def test_without_review_chats_no_card_is_queued(
    db: Database, clock: FrozenClock, caplog: pytest.LogCaptureFixture
) -> None:
    """With no review chat set, a held topic queues nothing and says so in the log."""
    ctx = make_context(db, clock, settings=screening("review"))
    with caplog.at_level("WARNING"):
        assert await queue_review_cards(spam_reply_topic(), ctx) == 0
    assert await drain(ctx) == []
    assert "Topic 12 is held but no review chat or admin is set" in caplog.text


async def test_rejection_stores_the_reason_and_relays_nothing(held: HandlerContext) -> None:
    """/reject with a reason stores it with who decided; cards say "Rejected by"; no topic rows."""
    router = dispatcher(held)
    await router.handle(inbound("/reject 11 duplicate of topic 8", sender=ADMIN_B))
    row = await held.repos.topics.get(11)
    assert row is not None
    assert (row.decision, row.decided_by) == ("rejected", "Aisha (telegram:1002)")
    assert row.decision_reason == "rejected by Aisha: duplicate of topic 8 (held: review mode)"
    items = await drain(held)
    assert sorted(i.idempotency_key for i in items if i.message.kind == "review") == [
        "review:11:1001:decided",
        "review:11:1002:decided",
    ]
    assert not [i for i in items if i.idempotency_key.startswith("topic:")]
    assert all(
        i.message.plain_text.endswith("❌ Rejected by Aisha")
        for i in items
        if i.message.kind == "review"
    )
    assert await replies(items) == [
        "❌ Rejected by Aisha: topic 11 “December Umrah Promo: 10 Nights Makkah & Madinah, "
        "Visa + Flight + 4★ Hotel from ₦3.2m”."
    ]


async def test_a_whatsapp_admin_approves_with_a_command(held: HandlerContext) -> None:
    """/approve works from WhatsApp: the topic is relayed and the Telegram cards are edited."""
    message = inbound("/approve 11", sender=WA_ADMIN, channel="whatsapp")
    await dispatcher(held).handle(message)
    items = await drain(held)
    keys = sorted(i.idempotency_key for i in items if i.message.kind != "reply")
    assert keys == ["review:11:1001:decided", "review:11:1002:decided", "topic:11:dest:1"]
    [answer] = [i for i in items if i.message.kind == "reply"]
    assert answer.message.recipient.channel == "whatsapp"
    assert answer.message.plain_text.startswith("✅ Approved by Aisha: topic 11 “December Umrah")


async def test_review_lists_held_topics_with_ids_and_reasons(held: HandlerContext) -> None:
    """/review shows each held topic's id, title and reason, oldest first."""
    await dispatcher(held).handle(inbound("/review", sender=ADMIN_ID))
    [text] = await replies(await drain(held))
    assert text.startswith("Held topics (2)")
    assert text.index("11 · December Umrah Promo") < text.index("13 · Nigeria & Saudi Arabia")
    assert text.count("review mode") == 2
    assert "/approve <topic id>" in text


async def test_review_says_when_nothing_is_held(ctx: HandlerContext) -> None:
    """With nothing held, /review says so."""
    await dispatcher(ctx).handle(inbound("/review", sender=ADMIN_ID))
    assert await replies(await drain(ctx)) == ["No topics are waiting for review."]


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("/approve", "Usage: /approve <topic id>. Send /review to see the held topics."),
        ("/reject abc", "Usage: /reject <topic id> [reason]. Send /review to see the held topics."),
        ("/approve ²", "Usage: /approve <topic id>. Send /review to see the held topics."),
        ("/approve 999", "Topic 999 is not known here."),
        (
            "/approve 10",
            "Topic 10 was skipped: it was on the forum before the bot's first poll.",
        ),
    ],
)
async def test_commands_explain_what_they_cannot_do(
    held: HandlerContext, text: str, answer: str
) -> None:
    """Missing or non-numeric ids, unknown topics and topics not held get a clear answer."""
    await dispatcher(held).handle(inbound(text, sender=ADMIN_ID))
    assert await replies(await drain(held)) == [answer]


async def test_a_topic_relayed_without_review_cannot_be_decided(held: HandlerContext) -> None:
    """/approve of a topic relayed in auto mode says it was never held."""
    await held.repos.topics.record(spam_reply_topic(14), decision="relayed", reason="auto")
    await dispatcher(held).handle(inbound("/approve 14", sender=ADMIN_ID))
    assert await replies(await drain(held)) == ["Topic 14 was already relayed: it was never held."]


async def test_review_counts_a_single_held_topic_in_the_singular(held: HandlerContext) -> None:
    """With one topic left, the title of /review reads "Held topic (1)"."""
    await dispatcher(held).handle(inbound("/approve 13", sender=ADMIN_ID))
    await drain(held)
    await dispatcher(held).handle(inbound("/review", sender=ADMIN_ID))
    [text] = await replies(await drain(held))
    assert text.startswith("Held topic (1)\n\n11 · December Umrah Promo")
    assert text.endswith(
        "\nreview mode\n\nDecide with /approve <topic id> or /reject <topic id> [reason]."
    )


async def test_review_commands_are_admin_only(held: HandlerContext) -> None:
    """A member cannot approve with the command either."""
    await dispatcher(held).handle(inbound("/approve 11", sender="3003"))
    assert await replies(await drain(held)) == ["Sorry, only the forum's admins can use /approve."]
    row = await held.repos.topics.get(11)
    assert row is not None
    assert row.decision == "pending_review"


async def test_malformed_button_data_is_ignored(held: HandlerContext) -> None:
    """Forged or stale data ("rv:x:1", "rv:a:abc") does nothing and answers nothing."""
    router = dispatcher(held)
    for data in ("rv:x:11", "rv:a:abc", "rv:a:", "rv:a:99999999999999999999"):
        await router.handle(press(data, ADMIN_ID))
    assert await drain(held) == []


async def test_two_admins_pressing_at_once_give_exactly_one_decision(held: HandlerContext) -> None:
    """Approve and Reject racing: one wins, the other is told; the topic is relayed or not."""
    results = await asyncio.gather(
        decide(13, True, press("rv:a:13", ADMIN_ID, "Aisha"), held),
        decide(13, False, press("rv:r:13", ADMIN_B, "Musa"), held),
    )
    assert sorted(won for won, _ in results) == [False, True]
    [(_, loser_text)] = [r for r in results if not r[0]]
    assert "was already" in loser_text
    row = await held.repos.topics.get(13)
    assert row is not None
    relayed = [i for i in await drain(held) if i.idempotency_key.startswith("topic:13:")]
    assert (row.decision == "approved") == bool(relayed)


async def test_an_approved_spam_topic_is_relayed_and_its_card_keeps_the_reasons(
    one_admin: HandlerContext,
) -> None:
    """Spam held in auto mode can still be approved; the edited card repeats the reasons."""
    ctx = one_admin
    await ctx.repos.destinations.sync_from_config(
        [DestinationSpec("telegram", "@attaqwaa", "channel", None, "main", ())]
    )
    topic = spam_reply_topic()
    await ctx.repos.topics.record(topic, decision="spam", reason="spam: repeated run 'сайт' x120")
    await queue_review_cards(topic, ctx, "repeated run 'сайт' x120")
    await drain(ctx)
    won, _ = await decide(12, True, press("rv:a:12", ADMIN_ID), ctx)
    assert won
    items = {i.idempotency_key: i for i in await drain(ctx)}
    assert sorted(items) == ["review:12:1001:decided", "topic:12:dest:1"]
    edited = items["review:12:1001:decided"].message.plain_text
    assert "⚠️ Suspected spam: repeated run 'сайт' x120" in edited
    row = await ctx.repos.topics.get(12)
    assert row is not None
    assert row.decision_reason == "approved by Aisha (held: spam: repeated run 'сайт' x120)"


async def test_cards_not_yet_sent_are_never_sent_after_a_decision(
    one_admin: HandlerContext,
) -> None:
    """A decision before the cards went out skips them: no card arrives with live buttons."""
    ctx = one_admin
    topic = spam_reply_topic()
    await ctx.repos.topics.record(topic, decision="pending_review", reason="review mode")
    await queue_review_cards(topic, ctx)
    won, _ = await decide(12, False, press("rv:r:12", ADMIN_ID), ctx)
    assert won
    assert await drain(ctx) == []
    depth = await ctx.repos.deliveries.depth_by_status()
    assert depth["skipped"] == 1


# -- repository support, on SQLite and PostgreSQL ------------------------------------------


@pytest.fixture(params=BACKENDS)
async def backend_db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated database on each backend."""
    async with database_for(request.param, tmp_path) as database:
        yield database


async def test_set_decision_only_if_lets_exactly_one_of_many_win(
    backend_db: Database, clock: FrozenClock
) -> None:
    """Ten concurrent conditional decisions on one held topic: exactly one changes it."""
    repo = TopicRepo(backend_db, clock)
    await repo.record(spam_reply_topic(), decision="spam", reason="spam: x")
    results = await asyncio.gather(
        *(
            repo.set_decision(
                12, "approved" if i % 2 else "rejected", "r", f"admin{i}", only_if=HELD
            )
            for i in range(10)
        )
    )
    assert results.count(True) == 1
    assert not await repo.set_decision(12, "approved", "r", "late", only_if="spam")
    assert await repo.set_decision(12, "approved", "forced", "lead")  # unconditional still works
    assert not await repo.set_decision(999, "approved", "r", "x", only_if="spam")


async def test_with_decision_lists_held_topics_oldest_first(
    backend_db: Database, clock: FrozenClock
) -> None:
    """Only topics with one of the given decisions are listed, in the order they were seen."""
    repo = TopicRepo(backend_db, clock)
    await repo.record(spam_reply_topic(20), decision="pending_review")
    await repo.record(spam_reply_topic(5), decision="relayed")
    clock.advance(60)
    await repo.record(spam_reply_topic(3), decision="spam")
    assert [t.topic_id for t in await repo.with_decision(HELD)] == [20, 3]


async def test_sent_cards_returns_only_sent_cards_not_their_edits(
    backend_db: Database, clock: FrozenClock
) -> None:
    """Pending cards, other kinds, other topics and edit rows are left out."""
    outbox = OutboxRepo(backend_db, clock)
    a = Recipient(ChannelName("telegram"), ChatId("1001"))
    b = Recipient(ChannelName("telegram"), ChatId("-100555"), ChatKind.GROUP)

    def msg(to: Recipient, kind: str, edit_of: str | None = None) -> OutboundMessage:
        return replace(OutboundMessage(to, ()), kind=kind, edit_of=edit_of)

    await outbox.enqueue(
        [
            NewOutboxItem("review:7:a", msg(a, "review"), topic_id=7),
            NewOutboxItem("review:7:b", msg(b, "review"), topic_id=7),
            NewOutboxItem("review:8:a", msg(a, "review"), topic_id=8),
            NewOutboxItem("topic:7:dest:1", msg(a, "topic_alert"), topic_id=7),
        ]
    )
    claimed = await outbox.claim_due("w", 10, 60)
    sent_keys = {"review:7:a", "review:8:a", "topic:7:dest:1"}
    await outbox.record_outcomes(
        "w", [Sent(c.id, f"m{c.id}") for c in claimed if c.idempotency_key in sent_keys]
    )
    await outbox.enqueue([NewOutboxItem("review:7:a:decided", msg(a, "review", "m1"), topic_id=7)])
    for item in await outbox.claim_due("w", 10, 60):
        if item.idempotency_key.endswith(":decided"):
            await outbox.record_outcomes("w", [Sent(item.id, "m1")])
    ids = {c.idempotency_key: c.id for c in claimed}
    assert await OutboxReports(backend_db, clock).sent_cards("review", 7) == [
        (a, f"m{ids['review:7:a']}")
    ]


async def test_approving_again_repairs_a_relay_lost_in_a_crash(held: HandlerContext) -> None:
    """If the relay rows were never queued after the decision, a second approve queues them once."""
    await ctx_approve_without_relay(held)
    message = inbound("/approve 11", sender=WA_ADMIN, channel="whatsapp")
    await dispatcher(held).handle(message)
    items = await drain(held)
    assert [i.idempotency_key for i in items if i.message.kind == "topic_alert"] == [
        "topic:11:dest:1"
    ]
    assert any(
        "already approved" in i.message.plain_text for i in items if i.message.kind == "reply"
    )
    await dispatcher(held).handle(inbound("/approve 11", sender=WA_ADMIN, channel="whatsapp"))
    assert [i for i in await drain(held) if i.message.kind == "topic_alert"] == []


async def ctx_approve_without_relay(ctx: HandlerContext) -> None:
    """Store an approval as a process would just before dying, with nothing queued."""
    assert await ctx.repos.topics.set_decision(
        11, "approved", "approved by Aisha", "Aisha", only_if=HELD
    )
    await drain(ctx)


# -- each review chat in its own language -----------------------------------------------------


async def test_each_review_chat_gets_its_card_in_its_own_language(
    db: Database, clock: FrozenClock
) -> None:
    """A chat that chose Hausa gets a Hausa card; a chat that chose nothing gets English."""
    ctx = make_context(db, clock, settings=screening("review", *privately(ADMIN_ID, ADMIN_B)))
    await ctx.repos.subscribers.set_language("telegram", ADMIN_ID, "private", "ha")
    topic = spam_reply_topic()
    await queue_review_cards(topic, ctx, "repeated run 'сайт' x120")
    cards = {c.message.recipient.chat_id: c.message for c in await drain(ctx)}
    assert (cards[ADMIN_ID].language, cards[ADMIN_B].language) == ("ha", "en")
    english = cards[ADMIN_B]
    assert english.plain_text.startswith(f"Review: {topic.subject}\n")
    assert "\n\n⚠️ Suspected spam: repeated run 'сайт' x120\n\n" in english.plain_text
    assert english.plain_text.endswith("\n\nTopic 12 · /approve 12")
    assert [(c.label, c.data, c.url) for c in english.choices] == [
        ("✅ Approve", "rv:a:12", None),
        ("❌ Reject", "rv:r:12", None),
        ("Open on forum", None, topic.link),
    ]


async def test_a_hausa_admin_gets_the_card_and_its_decision_in_hausa(
    held: HandlerContext,
) -> None:
    """A Hausa admin's card is in Hausa, and so is its edit when an English admin decides."""
    ctx = held
    await ctx.repos.subscribers.set_language("telegram", ADMIN_ID, "private", "ha")
    topic = spam_reply_topic(12)
    await ctx.repos.topics.record(topic, decision="pending_review", reason="review mode")
    await queue_review_cards(topic, ctx)
    [card] = [c.message for c in await drain(ctx) if c.message.recipient.chat_id == ADMIN_ID]
    assert card.plain_text.startswith(f"Dubawa: {topic.subject}\n")
    assert card.plain_text.endswith("\n\nBatu 12 · /approve 12")
    assert [c.label for c in card.choices] == ["✅ Amince", "❌ Ƙi", "Buɗe a dandali"]
    won, answer = await decide(12, True, press("rv:a:12", ADMIN_B, "Musa"), ctx)
    assert won
    assert answer == f"✅ Approved by Musa: topic 12 “{topic.subject}”."
    edits = {i.message.recipient.chat_id: i.message for i in await drain(ctx)}
    assert edits[ADMIN_ID].plain_text.endswith("\n\n✅ An amince ta hannun Musa")
    assert edits[ADMIN_B].plain_text.endswith("\n\n✅ Approved by Musa")


async def test_review_answers_a_hausa_admin_in_hausa(ctx: HandlerContext) -> None:
    """/review in a chat that chose Hausa says in Hausa that nothing is waiting."""
    await ctx.repos.subscribers.set_language("telegram", ADMIN_ID, "private", "ha")
    await dispatcher(ctx).handle(inbound("/review", sender=ADMIN_ID))
    assert await replies(await drain(ctx)) == ["Babu batun da ke jiran dubawa."]
