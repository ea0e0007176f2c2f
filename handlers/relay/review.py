"""Review of held topics: cards with Approve / Reject for the admins, and the decision itself.

A topic is held when the forum runs in review mode or when the spam filter suspects it
(``handlers.relay.screen``). Each review chat, or else each admin privately on a platform
that shows buttons, gets a card.
The first admin to decide wins (one conditional UPDATE); the topic is then relayed or dropped,
and every card that was already sent is edited to show who decided. A card still waiting in
the outbox is left as it is: its buttons then answer "already approved by …".
"""

from __future__ import annotations

import logging

from bot.core.commands import ADMINS, command
from bot.core.messages import (
    Choice,
    InboundMessage,
    OutboundMessage,
    Recipient,
    Span,
    bold,
    italic,
    plain,
)
from bot.domain.outbox import NewOutboxItem
from bot.domain.topics import HELD_DECISIONS, Topic, TopicRecord
from handlers.context import HandlerContext
from handlers.feature import ChoiceRoute
from handlers.relay.alert import render_topic_alert
from handlers.relay.fanout import relay_topic

logger = logging.getLogger(__name__)

HELD = HELD_DECISIONS
CARD_EXCERPT_CHARS = 600
"""Excerpt length of a card; fixed, so the decided edit repeats the card's text exactly."""
BUTTON_PREFIX = "rv"
_SPAM_PREFIX = "spam: "


def review_recipients(ctx: HandlerContext) -> list[Recipient]:
    """Return where cards go (``bot.app`` defaults them to each Telegram admin privately)."""
    return list(ctx.settings.relay.screening.review_chats)


def render_review_card(
    topic: Topic, recipient: Recipient, ctx: HandlerContext, spam_reasons: str | None = None
) -> OutboundMessage:
    """Build the card: bold "Review: <title>", facts, excerpt, spam reasons and the buttons."""
    alert = render_topic_alert(topic, recipient, ctx.tz, CARD_EXCERPT_CHARS)
    spans: list[Span] = [bold("Review: "), *alert.spans]
    if spam_reasons:
        spans += [plain("\n\n"), bold("⚠️ Suspected spam: "), plain(spam_reasons)]
    spans.append(italic(f"\n\nTopic {topic.topic_id} · /approve {topic.topic_id}"))
    return OutboundMessage(
        recipient=recipient,
        spans=tuple(spans),
        choices=(
            Choice("✅ Approve", data=f"{BUTTON_PREFIX}:a:{topic.topic_id}"),
            Choice("❌ Reject", data=f"{BUTTON_PREFIX}:r:{topic.topic_id}"),
            Choice("Open on forum", url=topic.link),
        ),
        link=topic.link,
        kind="review",
    )


async def queue_review_cards(
    topic: Topic, ctx: HandlerContext, spam_reasons: str | None = None
) -> int:
    """Queue one card per review chat (idempotent per topic and chat); return new rows."""
    items = [
        NewOutboxItem(
            f"review:{topic.topic_id}:{recipient.chat_id}",
            render_review_card(topic, recipient, ctx, spam_reasons),
            topic_id=topic.topic_id,
        )
        for recipient in review_recipients(ctx)
    ]
    if not items:
        logger.warning("Topic %s is held but no review chat or admin is set", topic.topic_id)
        return 0
    return await ctx.outbox.enqueue(items)


async def decide(
    topic_id: int, approve: bool, message: InboundMessage, ctx: HandlerContext, note: str = ""
) -> tuple[bool, str]:
    """Apply an admin's decision unless another admin was first; return (won, answer text)."""
    topics = ctx.repos.topics
    row = await topics.get(topic_id)
    if row is None:
        return False, f"Topic {topic_id} is not known here."
    if row.decision == "approved" and approve:
        # Approving again is harmless (the idempotency keys stop repeats) and repairs a crash
        # between storing the decision and queueing the relay.
        await relay_topic(row.topic, ctx)
        return False, _already(row)
    if row.decision not in HELD:
        return False, _already(row)
    name = (message.sender_name or message.sender_id)[:30]
    verdict = "approved" if approve else "rejected"
    reason = f"{verdict} by {name}" + (f": {note}" if note else "")
    if row.decision_reason:
        reason += f" (held: {row.decision_reason})"
    by = f"{name} ({message.channel}:{message.sender_id})"
    if not await topics.set_decision(topic_id, verdict, reason, by, only_if=HELD):
        return False, _already(await topics.get(topic_id) or row)
    logger.info("Topic %s %s by %s:%s", topic_id, verdict, message.channel, message.sender_id)
    # The decision is stored before relaying, so a concurrent Reject can never follow a relay.
    if approve:
        await relay_topic(row.topic, ctx)
    mark = f"✅ Approved by {name}" if approve else f"❌ Rejected by {name}"
    # Cards still waiting to go out would arrive with live buttons: they are not sent at all.
    await ctx.repos.deliveries.skip_pending("review", topic_id, f"decided: {verdict} by {name}")
    await _update_cards(row, mark, ctx)
    return True, f"{mark}: topic {topic_id} “{row.subject}”."


def _is_topic_id(text: str) -> bool:
    # ASCII only: str.isdigit() also accepts "²"; 18 digits always fit a 64-bit column.
    return text.isascii() and text.isdigit() and len(text) <= 18


def _already(row: TopicRecord) -> str:
    return f"Topic {row.topic_id} was already {row.decision} by {row.decided_by or 'auto'}."


async def _update_cards(row: TopicRecord, mark: str, ctx: HandlerContext) -> int:
    topic = row.topic
    reasons = None
    if row.decision == "spam" and row.decision_reason:
        reasons = row.decision_reason.removeprefix(_SPAM_PREFIX)
    items = []
    for recipient, provider_id in await ctx.repos.deliveries.sent_cards("review", row.topic_id):
        card = render_review_card(topic, recipient, ctx, reasons)
        edit = OutboundMessage(
            recipient=recipient,
            spans=(*card.spans, plain("\n\n"), bold(mark)),
            link=card.link,
            kind="review",
            edit_of=provider_id,
        )
        key = f"review:{row.topic_id}:{recipient.chat_id}:decided"
        items.append(NewOutboxItem(key, edit, topic_id=row.topic_id))
    return await ctx.outbox.enqueue(items)


async def on_review_button(message: InboundMessage, rest: str, ctx: HandlerContext) -> None:
    """Handle Approve ("a:<id>") or Reject ("r:<id>") pressed on a review card."""
    action, _, raw_id = rest.partition(":")
    if action not in ("a", "r") or not _is_topic_id(raw_id):
        logger.info("Ignored a malformed review button %r", rest[:64])
        return
    won, answer = await decide(int(raw_id), action == "a", message, ctx)
    if not won:
        await ctx.reply(message, answer)  # the winner sees the decision on the edited card


@command("review", help="List the topics held for review or as suspected spam", who=ADMINS)
async def review(message: InboundMessage, argument: str, ctx: HandlerContext) -> None:
    """List held topics with their ids and the reason each is held."""
    held = await ctx.repos.topics.with_decision(HELD)
    if not held:
        await ctx.reply(message, "No topics are waiting for review.")
        return
    spans: list[Span] = [bold(f"Held topics ({len(held)})")]
    for row in held:
        spans += [plain(f"\n\n{row.topic_id} · "), bold(row.subject)]
        spans.append(italic(f"\n{row.decision_reason or row.decision}"))
    spans.append(plain("\n\nDecide with /approve <topic id> or /reject <topic id> [reason]."))
    await ctx.reply(message, spans)


@command("approve", help="Approve a held topic and relay it", who=ADMINS, args="<topic id>")
async def approve(message: InboundMessage, argument: str, ctx: HandlerContext) -> None:
    """Approve a held topic, as the card's Approve button does."""
    await _decide_command(message, argument, ctx, approve=True)


@command("reject", help="Reject a held topic (it is never relayed)", who=ADMINS, args="<topic id>")
async def reject(message: InboundMessage, argument: str, ctx: HandlerContext) -> None:
    """Reject a held topic, with an optional reason after the id."""
    await _decide_command(message, argument, ctx, approve=False)


async def _decide_command(
    message: InboundMessage, argument: str, ctx: HandlerContext, *, approve: bool
) -> None:
    raw_id, _, note = argument.strip().partition(" ")
    if not _is_topic_id(raw_id):
        usage = "/approve <topic id>" if approve else "/reject <topic id> [reason]"
        await ctx.reply(message, f"Usage: {usage}. Send /review to see the held topics.")
        return
    _, answer = await decide(int(raw_id), approve, message, ctx, note.strip()[:200])
    await ctx.reply(message, answer)


REVIEW_BUTTONS = ChoiceRoute(on_review_button, who=ADMINS, what="approve or reject topics")
