"""Screening: auto mode relays, review mode and suspected spam are held with a card and a reason."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bot.core.ids import BoardId, ChannelName, ChatId, TopicId
from bot.core.messages import ChatKind, Recipient
from bot.domain.destinations import DestinationSpec
from bot.domain.topics import Topic
from bot.forum.smf_parse import parse_feed
from handlers.context import HandlerContext
from handlers.relay.poll import relay_new_topics
from handlers.relay.screen import Verdict, screen_topic
from handlers.settings import SpamPolicy
from tests.handlers.conftest import ADMIN_ID, drain
from tests.handlers.relay.conftest import privately, with_screening
from tests.handlers.relay.test_spam import SMF, needs_smf, spam_reply_topic

LEGIT = Topic(
    topic_id=TopicId(13),
    board_id=BoardId(2),
    board_name="General News",
    subject="Nigeria & Saudi Arabia Discuss Pilgrim Welfare",
    link="http://127.0.0.1:8181/index.php?topic=13.0",
    posted_at=datetime(2026, 11, 27, 9, 11, 37, tzinfo=UTC),
    author="admin",
    body_html="Officials met this week to review <b>welfare</b> arrangements.",
    guid=None,
)


async def test_auto_mode_relays_a_clean_topic_without_a_card(ctx: HandlerContext) -> None:
    """A clean topic in auto mode is relayed at once with reason "auto"; no card is queued."""
    verdict = await screen_topic(LEGIT, with_screening(ctx, chats=privately(ADMIN_ID)))
    assert verdict == Verdict(hold=False, decision="relayed", reason="auto")
    assert await drain(ctx) == []


async def test_review_mode_holds_every_topic_and_cards_each_admin(ctx: HandlerContext) -> None:
    """Review mode holds a clean topic and sends each review chat (admin) a card with buttons."""
    with_screening(ctx, "review", chats=privately(ADMIN_ID, "1002"))
    verdict = await screen_topic(LEGIT, ctx)
    assert verdict == Verdict(hold=True, decision="pending_review", reason="review mode")
    cards = await drain(ctx)
    assert sorted(c.idempotency_key for c in cards) == ["review:13:1001", "review:13:1002"]
    card = cards[0].message
    assert (card.kind, card.recipient.channel, card.recipient.kind) == (
        "review",
        "telegram",
        ChatKind.PRIVATE,
    )
    assert card.plain_text.startswith("Review: Nigeria & Saudi Arabia Discuss Pilgrim Welfare\n")
    assert "General News · admin · Fri 27 Nov 2026, 10:11" in card.plain_text
    assert "welfare arrangements" in card.plain_text
    assert "Suspected spam" not in card.plain_text
    assert [(c.label, c.data, c.url) for c in card.choices] == [
        ("✅ Approve", "rv:a:13", None),
        ("❌ Reject", "rv:r:13", None),
        ("Open on forum", None, LEGIT.link),
    ]


async def test_cards_go_to_the_review_chats_when_set(ctx: HandlerContext) -> None:
    """Configured review chats (a group here) get the cards, keyed by their chat id."""
    group = Recipient(ChannelName("telegram"), ChatId("-100555"), ChatKind.GROUP)
    await screen_topic(LEGIT, with_screening(ctx, "review", chats=(group,)))
    [card] = await drain(ctx)
    assert card.idempotency_key == "review:13:-100555"
    assert (card.message.recipient.chat_id, card.message.recipient.kind) == (
        "-100555",
        ChatKind.GROUP,
    )


async def test_screening_twice_queues_each_card_once(ctx: HandlerContext) -> None:
    """A poll that crashed before recording the topic screens it again without a second card."""
    with_screening(ctx, "review", chats=privately(ADMIN_ID))
    await screen_topic(LEGIT, ctx)
    await screen_topic(LEGIT, ctx)
    assert [c.idempotency_key for c in await drain(ctx)] == ["review:13:1001"]


async def test_a_held_topic_without_reviewers_is_still_held(ctx: HandlerContext) -> None:
    """No review chat (no Telegram admin either): the topic waits for /review, nothing is sent."""
    verdict = await screen_topic(LEGIT, with_screening(ctx, "review", chats=()))
    assert verdict == Verdict(hold=True, decision="pending_review", reason="review mode")
    assert await drain(ctx) == []


@needs_smf
@pytest.mark.parametrize("mode", ["auto", "review"])
async def test_spam_is_held_as_spam_in_both_modes_with_its_reasons(
    ctx: HandlerContext, mode: str
) -> None:
    """Suspected spam is held as "spam" (not just pending) and the card lists the reasons."""
    with_screening(ctx, "review" if mode == "review" else "auto", chats=privately(ADMIN_ID))
    verdict = await screen_topic(spam_reply_topic(), ctx)
    assert (verdict.hold, verdict.decision) == (True, "spam")
    assert verdict.reason.startswith("spam: repeated run 'сайт'")
    [card] = await drain(ctx)
    assert "⚠️ Suspected spam: repeated run 'сайт'" in card.message.plain_text
    assert "unexpected scripts (cyrillic)" in card.message.plain_text


@needs_smf
async def test_a_disabled_filter_relays_spam_in_auto_mode(ctx: HandlerContext) -> None:
    """With [relay.spam] enabled = false nothing is scored."""
    with_screening(ctx, chats=privately(ADMIN_ID), spam=SpamPolicy(enabled=False))
    verdict = await screen_topic(spam_reply_topic(), ctx)
    assert verdict == Verdict(hold=False, decision="relayed", reason="auto")
    assert await drain(ctx) == []


async def test_blocked_words_from_the_policy_hold_a_topic(ctx: HandlerContext) -> None:
    """The configured blocked words reach the score."""
    with_screening(ctx, spam=SpamPolicy(blocked_words=("welfare",)))
    verdict = await screen_topic(LEGIT, ctx)
    assert (verdict.decision, verdict.reason) == ("spam", "spam: blocked word 'welfare'")


class SpamInjectingSource:
    """Serves a captured feed with the captured spam added as the newest topic."""

    def __init__(self, feed: str, *, with_spam: bool) -> None:
        self.feed = feed
        self.with_spam = with_spam

    async def fetch_topics(self, limit: int) -> list[Topic]:
        """Return the feed's topics, newest first, spam on top when asked."""
        topics = parse_feed((SMF / self.feed).read_bytes())
        if self.with_spam:
            topics.insert(0, replace(spam_reply_topic(14), subject="Продвижение сайтов"))
        return topics[:limit]

    async def aclose(self) -> None:
        """Nothing to release."""


@needs_smf
async def test_a_poll_in_auto_mode_holds_the_spam_and_relays_the_rest(
    ctx: HandlerContext,
) -> None:
    """End to end: the spam topic is stored as "spam" with reasons; topics 11 and 13 go out."""
    await ctx.repos.destinations.sync_from_config(
        [DestinationSpec("telegram", "@attaqwaa", "channel", None, "main", ())]
    )
    with_screening(ctx, chats=privately(ADMIN_ID), limit=50, backfill=0)
    await relay_new_topics(
        SpamInjectingSource("before/feed_news_rss2_limit50.xml", with_spam=False), ctx
    )
    report = await relay_new_topics(
        SpamInjectingSource("after/feed_news_rss2_limit50.xml", with_spam=True), ctx
    )
    assert sorted(report.relayed) == [11, 13]
    assert report.held == [14]
    row = await ctx.repos.topics.get(14)
    assert row is not None
    assert (row.decision, row.decided_by) == ("spam", "auto")
    assert row.decision_reason is not None
    assert row.decision_reason.startswith("spam: repeated run 'сайт'")
    relayed = await ctx.repos.topics.get(13)
    assert relayed is not None
    assert (relayed.decision, relayed.decision_reason) == ("relayed", "auto")
    keys = sorted(c.idempotency_key for c in await drain(ctx))
    assert keys == ["review:14:1001", "topic:11:dest:1", "topic:13:dest:1"]
