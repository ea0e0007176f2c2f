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
from bot.i18n import N_, Speech
from handlers.context import HandlerContext
from handlers.feature import ChoiceRoute
from handlers.relay.alert import render_topic_alert
from handlers.relay.fanout import relay_topic
from handlers.relay.spam_reasons import say_reasons

logger = logging.getLogger(__name__)

HELD = HELD_DECISIONS
CARD_EXCERPT_CHARS = 600
"""Excerpt length of a card; fixed, so the decided edit repeats the card's text exactly."""
BUTTON_PREFIX = "rv"
_SPAM_PREFIX = "spam: "
APPROVE_USAGE = "/approve <topic id>"
REJECT_USAGE = "/reject <topic id> [reason]"
"""How the commands are typed: the same in every language, as /help shows them."""


def review_recipients(ctx: HandlerContext) -> list[Recipient]:
    """Return where cards go (``bot.app`` defaults them to each Telegram admin privately)."""
    return list(ctx.settings.relay.screening.review_chats)


def render_review_card(
    topic: Topic, recipient: Recipient, t: Speech, spam_reasons: str | None = None
) -> OutboundMessage:
    """Build the card in ``t``'s language: "Review: <title>", facts, excerpt, spam reasons, buttons.

    ``spam_reasons`` are the English reasons as stored with the topic; the card says them in
    the reader's language.
    """
    alert = render_topic_alert(topic, recipient, t, CARD_EXCERPT_CHARS)
    # Translators: a label before the title of a topic an admin must approve or reject.
    spans: list[Span] = [bold(t._("Review:") + " "), *alert.spans]
    if spam_reasons:
        label = "⚠️ " + _suspected_spam(t) + " "
        spans += [plain("\n\n"), bold(label), plain(say_reasons(spam_reasons, t))]
    command = f"/approve {topic.topic_id}"
    # Translators: the footer of a review card; {command} is "/approve 12", typed as it is.
    footer = t._("Topic {topic_id} · {command}", topic_id=topic.topic_id, command=command)
    spans.append(italic("\n\n" + footer))
    return OutboundMessage(
        recipient=recipient,
        spans=tuple(spans),
        choices=(
            Choice("✅ " + t.p_("button", "Approve"), data=f"{BUTTON_PREFIX}:a:{topic.topic_id}"),
            Choice("❌ " + t.p_("button", "Reject"), data=f"{BUTTON_PREFIX}:r:{topic.topic_id}"),
            Choice(t.p_("button", "Open on forum"), url=topic.link),
        ),
        link=topic.link,
        kind="review",
        language=t.code,
    )


def _suspected_spam(t: Speech) -> str:
    # Translators: a label; the reasons the spam filter found follow it.
    return t._("Suspected spam:")


async def queue_review_cards(
    topic: Topic, ctx: HandlerContext, spam_reasons: str | None = None
) -> int:
    """Queue one card per review chat, in its language (idempotent per topic and chat)."""
    items = [
        NewOutboxItem(
            f"review:{topic.topic_id}:{recipient.chat_id}",
            render_review_card(
                topic,
                recipient,
                await ctx.speech_for(recipient.channel, recipient.chat_id),
                spam_reasons,
            ),
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
    """Apply an admin's decision unless another admin was first; return (won, answer text).

    The answer is in the language of the chat ``message`` came from; each card is edited in
    the language of its own chat.
    """
    t = await ctx.speech(message)
    topics = ctx.repos.topics
    row = await topics.get(topic_id)
    if row is None:
        return False, t._("Topic {topic_id} is not known here.", topic_id=topic_id)
    if row.decision == "approved" and approve:
        # Approving again is harmless (the idempotency keys stop repeats) and repairs a crash
        # between storing the decision and queueing the relay.
        await relay_topic(row.topic, ctx)
        return False, _already(row, t)
    if row.decision not in HELD:
        return False, _already(row, t)
    name = (message.sender_name or message.sender_id)[:30]
    verdict = "approved" if approve else "rejected"
    reason = f"{verdict} by {name}" + (f": {note}" if note else "")
    if row.decision_reason:
        reason += f" (held: {row.decision_reason})"
    by = f"{name} ({message.channel}:{message.sender_id})"
    if not await topics.set_decision(topic_id, verdict, reason, by, only_if=HELD):
        return False, _already(await topics.get(topic_id) or row, t)
    logger.info("Topic %s %s by %s:%s", topic_id, verdict, message.channel, message.sender_id)
    # The decision is stored before relaying, so a concurrent Reject can never follow a relay.
    if approve:
        await relay_topic(row.topic, ctx)
    # Cards still waiting to go out would arrive with live buttons: they are not sent at all.
    await ctx.repos.deliveries.skip_pending("review", topic_id, f"decided: {verdict} by {name}")
    await _update_cards(row, approve, name, ctx)
    if approve:
        answer = "✅ " + t._(
            "Approved by {name}: topic {topic_id} “{title}”.",
            name=name,
            topic_id=topic_id,
            title=row.subject,
        )
    else:
        answer = "❌ " + t._(
            "Rejected by {name}: topic {topic_id} “{title}”.",
            name=name,
            topic_id=topic_id,
            title=row.subject,
        )
    return True, answer


def _mark(approve: bool, name: str, t: Speech) -> str:
    """Return what a decided card says at its end: who approved or rejected it."""
    if approve:
        return "✅ " + t._("Approved by {name}", name=name)
    return "❌ " + t._("Rejected by {name}", name=name)


def _is_topic_id(text: str) -> bool:
    # ASCII only: str.isdigit() also accepts "²"; 18 digits always fit a 64-bit column.
    return text.isascii() and text.isdigit() and len(text) <= 18


def _already(row: TopicRecord, t: Speech) -> str:
    """Return why a topic can no longer be decided, in ``t``'s language."""
    topic_id, who = row.topic_id, row.decided_by or "auto"
    if row.decision == "approved":
        # Translators: {who} is the admin's name and account, e.g. "Aisha (telegram:1001)".
        return t._("Topic {topic_id} was already approved by {who}.", topic_id=topic_id, who=who)
    if row.decision == "rejected":
        # Translators: {who} is the admin's name and account, e.g. "Aisha (telegram:1001)".
        return t._("Topic {topic_id} was already rejected by {who}.", topic_id=topic_id, who=who)
    if row.decision == "relayed":
        return t._("Topic {topic_id} was already relayed: it was never held.", topic_id=topic_id)
    if row.decision == "backfill_skipped":
        return t._(
            "Topic {topic_id} was skipped: it was on the forum before the bot's first poll.",
            topic_id=topic_id,
        )
    # Translators: {decision} is a stored key such as "relayed", shown as it is.
    return t._(
        "Topic {topic_id} is not held for review ({decision}).",
        topic_id=topic_id,
        decision=row.decision,
    )


async def _update_cards(row: TopicRecord, approve: bool, name: str, ctx: HandlerContext) -> int:
    topic = row.topic
    reasons = None
    if row.decision == "spam" and row.decision_reason:
        reasons = row.decision_reason.removeprefix(_SPAM_PREFIX)
    items = []
    for recipient, provider_id in await ctx.repos.deliveries.sent_cards("review", row.topic_id):
        t = await ctx.speech_for(recipient.channel, recipient.chat_id)
        card = render_review_card(topic, recipient, t, reasons)
        edit = OutboundMessage(
            recipient=recipient,
            spans=(*card.spans, plain("\n\n"), bold(_mark(approve, name, t))),
            link=card.link,
            kind="review",
            edit_of=provider_id,
            language=t.code,
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


@command("review", help=N_("List the topics held for review or as suspected spam"), who=ADMINS)
async def review(message: InboundMessage, argument: str, ctx: HandlerContext) -> None:
    """List held topics with their ids and the reason each is held."""
    t = await ctx.speech(message)
    held = await ctx.repos.topics.with_decision(HELD)
    if not held:
        await ctx.reply(message, t._("No topics are waiting for review."))
        return
    # Translators: the title of the /review list; {n} is how many topics wait for a decision.
    spans: list[Span] = [bold(t.n_("Held topic ({n})", "Held topics ({n})", len(held)))]
    for row in held:
        spans += [plain(f"\n\n{row.topic_id} · "), bold(row.subject)]
        spans.append(italic("\n" + _held_because(row, t)))
    # Translators: {approve} and {reject} are how the commands are typed ("/approve <topic id>").
    hint = t._("Decide with {approve} or {reject}.", approve=APPROVE_USAGE, reject=REJECT_USAGE)
    spans.append(plain("\n\n" + hint))
    await ctx.reply(message, spans)


def _held_because(row: TopicRecord, t: Speech) -> str:
    """Return why a topic is held, in ``t``'s language (a reason it cannot read, as stored)."""
    if row.decision == "spam":
        reasons = (row.decision_reason or "").removeprefix(_SPAM_PREFIX)
        return f"{_suspected_spam(t)} {say_reasons(reasons, t)}".rstrip()
    if row.decision == "pending_review":
        # Translators: why a topic waits: the forum holds every new topic for an admin's approval.
        return t._("review mode")
    return t.isolate(row.decision_reason or row.decision)


@command("approve", help=N_("Approve a held topic and relay it"), who=ADMINS, args="<topic id>")
async def approve(message: InboundMessage, argument: str, ctx: HandlerContext) -> None:
    """Approve a held topic, as the card's Approve button does."""
    await _decide_command(message, argument, ctx, approve=True)


@command(
    "reject", help=N_("Reject a held topic (it is never relayed)"), who=ADMINS, args="<topic id>"
)
async def reject(message: InboundMessage, argument: str, ctx: HandlerContext) -> None:
    """Reject a held topic, with an optional reason after the id."""
    await _decide_command(message, argument, ctx, approve=False)


async def _decide_command(
    message: InboundMessage, argument: str, ctx: HandlerContext, *, approve: bool
) -> None:
    raw_id, _, note = argument.strip().partition(" ")
    if not _is_topic_id(raw_id):
        t = await ctx.speech(message)
        usage = APPROVE_USAGE if approve else REJECT_USAGE
        # Translators: {usage} is how the command is typed ("/approve <topic id>"), kept as it is.
        text = t._("Usage: {usage}. Send /review to see the held topics.", usage=usage)
        await ctx.reply(message, text)
        return
    _, answer = await decide(int(raw_id), approve, message, ctx, note.strip()[:200])
    await ctx.reply(message, answer)


# Translators: said as "Sorry, only the forum's admins can approve or reject topics."
REVIEW_BUTTONS = ChoiceRoute(on_review_button, who=ADMINS, what=N_("approve or reject topics"))
