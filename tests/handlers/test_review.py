"""Review flow: held topics, cards, one winning admin decision, edited cards, commands."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from bot.core.clock import FrozenClock
from bot.core.ids import ChannelName, ChatId
from bot.core.messages import ChatKind, InboundMessage, OutboundMessage, Recipient
from bot.forum.smf_parse import parse_feed
from bot.forum.source import Topic
from bot.storage.db import Database
from bot.storage.repositories.destinations import DestinationSpec
from bot.storage.repositories.outbox import ClaimedItem, NewOutboxItem, OutboxRepo, Sent
from bot.storage.repositories.topics import TopicRepo
from handlers import review
from handlers.context import AdminPolicy, HandlerContext
from handlers.dispatch import Dispatcher
from handlers.relay import RelaySettings, relay_new_topics
from handlers.relay_gate import ScreeningSettings
from handlers.review import decide, queue_review_cards
from tests.dbfixtures import BACKENDS, database_for
from tests.handlers.conftest import ADMIN_ID, drain, inbound
from tests.handlers.test_spam import SMF, needs_smf, spam_reply_topic

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
    """Build a dispatcher with the review feature, as handlers/__init__ will."""
    if ctx.commands.get("review") is None:  # once the lead registers the module, it is there
        ctx.commands.collect_module(review)
    return Dispatcher(ctx, choices=review.FEATURE.choices)


def press(data: str, sender: str, name: str = "Aisha", chat: str | None = None) -> InboundMessage:
    """Return a button press from ``sender`` (in their private chat unless ``chat``)."""
    kind = ChatKind.PRIVATE if chat is None else ChatKind.GROUP
    message = inbound("", sender=sender, chat=chat, kind=kind)
    return replace(message, choice_data=data, sender_name=name)


@pytest.fixture
async def held(ctx: HandlerContext) -> HandlerContext:
    """Review mode after one poll: topics 11 and 13 held, their 4 cards sent to 2 admins."""
    ctx.admins = AdminPolicy(
        {"telegram": frozenset({ADMIN_ID, ADMIN_B}), "whatsapp": frozenset({WA_ADMIN})}
    )
    await ctx.destinations.sync_from_config(
        [DestinationSpec("telegram", "@attaqwaa", "channel", None, "main", ())]
    )
    settings = RelaySettings(limit=5, backfill=0, screening=ScreeningSettings(mode="review"))
    source = FeedSource("before/feed_news_smf.xml")
    await relay_new_topics(source, ctx, settings)
    source.feed = "after/feed_news_smf.xml"
    report = await relay_new_topics(source, ctx, settings)
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
    card_ids = dict(await ctx.outbox.sent_cards("review", 13))
    assert sorted(r.chat_id for r in card_ids) == ["1001", "1002"]
    router = dispatcher(ctx)
    await router.handle(press("rv:a:13", ADMIN_ID, "Aisha"))
    topic = await ctx.topics.get(13)
    assert topic is not None
    assert topic.decision == "approved"
    assert topic.decided_by == "Aisha (telegram:1001)"
    assert topic.decision_reason == "approved by Aisha (held: review mode)"
    sent = await drain(ctx)
    by_key = {i.idempotency_key: i for i in sent}
    assert sorted(by_key) == ["review:13:1001:decided", "review:13:1002:decided", "topic:13:dest:1"]
    for recipient, provider_id in card_ids.items():
        edit = by_key[f"review:13:{recipient.chat_id}:decided"]
        row = await ctx.outbox.get(edit.id)
        assert row is not None
        assert row.payload["edit_of"] == provider_id
        assert edit.message.plain_text.startswith("Review: ")
        assert edit.message.plain_text.endswith("\n\n✅ Approved by Aisha")
        assert edit.message.choices == ()
    assert "Nigeria & Saudi Arabia" in by_key["topic:13:dest:1"].message.plain_text
    await router.handle(press("rv:r:13", ADMIN_B, "Musa"))
    [refusal] = await replies(await drain(ctx))
    assert refusal == "Topic 13 was already approved by Aisha (telegram:1001)."
    after = await ctx.topics.get(13)
    assert after is not None
    assert after.decision == "approved"
    other = await ctx.topics.get(11)
    assert other is not None
    assert other.decision == "pending_review"


async def test_a_non_admin_press_is_refused_and_changes_nothing(
    held: HandlerContext, caplog: pytest.LogCaptureFixture
) -> None:
    """A non-admin's press in a group changes nothing and is only logged: no reply to flood it."""
    with caplog.at_level("INFO"):
        await dispatcher(held).handle(press("rv:a:11", "3003", "Stranger", chat="-100555"))
    assert await drain(held) == []
    row = await held.topics.get(11)
    assert row is not None
    assert row.decision == "pending_review"
    assert "Refused a review decision on topic 11 from telegram:3003" in caplog.text
    assert "Refused telegram:3003 in -100555 silently" in caplog.text


async def test_a_non_admin_press_in_private_gets_a_polite_refusal(held: HandlerContext) -> None:
    """In a private chat the refusal is said, so the person knows why nothing happened."""
    await dispatcher(held).handle(press("rv:a:11", "3003", "Stranger"))
    items = await drain(held)
    assert await replies(items) == ["Sorry, only the forum's admins can approve or reject topics."]
    row = await held.topics.get(11)
    assert row is not None
    assert row.decision == "pending_review"


async def test_rejection_stores_the_reason_and_relays_nothing(held: HandlerContext) -> None:
    """/reject with a reason stores it with who decided; cards say "Rejected by"; no topic rows."""
    router = dispatcher(held)
    await router.handle(inbound("/reject 11 duplicate of topic 8", sender=ADMIN_B))
    row = await held.topics.get(11)
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
        ("/approve 10", "Topic 10 was already backfill_skipped by auto."),
    ],
)
async def test_commands_explain_what_they_cannot_do(
    held: HandlerContext, text: str, answer: str
) -> None:
    """Missing or non-numeric ids, unknown topics and topics not held get a clear answer."""
    await dispatcher(held).handle(inbound(text, sender=ADMIN_ID))
    assert await replies(await drain(held)) == [answer]


async def test_review_commands_are_admin_only(held: HandlerContext) -> None:
    """A member cannot approve with the command either."""
    await dispatcher(held).handle(inbound("/approve 11", sender="3003"))
    assert await replies(await drain(held)) == ["Sorry, /approve is for the forum's admins only."]
    row = await held.topics.get(11)
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
    row = await held.topics.get(13)
    assert row is not None
    relayed = [i for i in await drain(held) if i.idempotency_key.startswith("topic:13:")]
    assert (row.decision == "approved") == bool(relayed)


async def test_an_approved_spam_topic_is_relayed_and_its_card_keeps_the_reasons(
    ctx: HandlerContext,
) -> None:
    """Spam held in auto mode can still be approved; the edited card repeats the reasons."""
    await ctx.destinations.sync_from_config(
        [DestinationSpec("telegram", "@attaqwaa", "channel", None, "main", ())]
    )
    topic = spam_reply_topic()
    await ctx.topics.record(topic, decision="spam", reason="spam: repeated run 'сайт' x120")
    await queue_review_cards(topic, ctx, (), "repeated run 'сайт' x120")
    await drain(ctx)
    won, _ = await decide(12, True, press("rv:a:12", ADMIN_ID), ctx)
    assert won
    items = {i.idempotency_key: i for i in await drain(ctx)}
    assert sorted(items) == ["review:12:1001:decided", "topic:12:dest:1"]
    edited = items["review:12:1001:decided"].message.plain_text
    assert "⚠️ Suspected spam: repeated run 'сайт' x120" in edited
    row = await ctx.topics.get(12)
    assert row is not None
    assert row.decision_reason == "approved by Aisha (held: spam: repeated run 'сайт' x120)"


async def test_cards_not_yet_sent_are_never_sent_after_a_decision(ctx: HandlerContext) -> None:
    """A decision before the cards went out skips them: no card arrives with live buttons."""
    topic = spam_reply_topic()
    await ctx.topics.record(topic, decision="pending_review", reason="review mode")
    await queue_review_cards(topic, ctx, ())
    won, _ = await decide(12, False, press("rv:r:12", ADMIN_ID), ctx)
    assert won
    assert await drain(ctx) == []
    depth = await ctx.outbox.depth_by_status()
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
                12, "approved" if i % 2 else "rejected", "r", f"admin{i}", only_if=review.HELD
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
    assert [t.topic_id for t in await repo.with_decision(review.HELD)] == [20, 3]


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
    assert await outbox.sent_cards("review", 7) == [(a, f"m{ids['review:7:a']}")]


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
    assert await ctx.topics.set_decision(
        11, "approved", "approved by Aisha", "Aisha", only_if=review.HELD
    )
    await drain(ctx)
