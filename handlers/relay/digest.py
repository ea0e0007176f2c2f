"""The daily digest: one message per subscriber listing the day's topics."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, datetime, timedelta

from bot.core.ids import TopicId
from bot.core.messages import OutboundMessage, Recipient, Span, bold, plain
from bot.domain.outbox import NewOutboxItem
from bot.domain.subscribers import Subscriber
from bot.domain.topics import TopicRecord
from bot.i18n import Speech
from handlers.context import HandlerContext

logger = logging.getLogger(__name__)

DIGEST_SPAN = timedelta(hours=24)
"""The first digest covers the 24 hours before it; later ones start where the last stopped."""
COVERED_KEY = "digest.covered_until"
"""service_state key: the end of the span the last digest covered."""
MAX_CATCH_UP = timedelta(days=7)
"""After a long outage, a digest reaches back at most this far."""
SKIP_LAG = timedelta(hours=1)
OUTSIDE_WINDOW = "outside_window"
"""The outbox's skip reason for a WhatsApp alert outside the 24-hour window."""
MAX_TITLE = 120
HEADER_ROOM = 200
"""Characters of a message kept for the header and link; the rest holds topic lines."""
MAX_TEXT_BUDGET = 3500
MAX_TEMPLATE_TITLES = 500


async def send_digest(ctx: HandlerContext, now: datetime) -> int:
    """Queue today's digest for every subscriber who has topics waiting; return rows queued."""
    start = await _covered_until(ctx, now)
    day = now.astimezone(ctx.tz).date()
    topics = await ctx.repos.topics.relayed_between(start, now)
    plans: dict[int, tuple[Subscriber, list[TopicRecord]]] = {}
    for sub in await ctx.repos.subscribers.digest_subscribers():
        plans[sub.id] = (sub, [t for t in topics if sub.settings.wants_board(t.board_id)])
    # An alert queued shortly before the last digest may have been skipped just after it.
    await _add_missed_alerts(ctx, plans, topics, start - SKIP_LAG, now)
    items = [
        NewOutboxItem(
            f"digest:{day.isoformat()}:{sub.id}",
            render_digest(
                sub.recipient, chosen, day, ctx.speech_in(sub.settings.language), _budget(ctx, sub)
            ),
            subscriber_id=sub.id,
        )
        for sub, chosen in plans.values()
        if chosen
    ]
    queued = await ctx.outbox.enqueue(items)
    await ctx.repos.state.put(COVERED_KEY, {"until": now.isoformat()})
    logger.info("Digest for %s: %d of %d messages queued", day, queued, len(items))
    return queued


async def _covered_until(ctx: HandlerContext, now: datetime) -> datetime:
    """Start where the last digest stopped, so a late or missed run leaves no gap."""
    state = await ctx.repos.state.get(COVERED_KEY)
    if not state or not state.get("until"):
        return now - DIGEST_SPAN
    last = datetime.fromisoformat(str(state["until"]))
    return min(max(last, now - MAX_CATCH_UP), now)


async def _add_missed_alerts(
    ctx: HandlerContext,
    plans: dict[int, tuple[Subscriber, list[TopicRecord]]],
    topics: Sequence[TopicRecord],
    start: datetime,
    end: datetime,
) -> None:
    """Add the topics whose instant alert could not go out (outside the window) to the digest."""
    missed = await ctx.repos.deliveries.skipped_topic_alerts(OUTSIDE_WINDOW, start, end)
    if not missed:
        return
    known = {t.topic_id: t for t in topics}
    for sub in await ctx.repos.subscribers.by_ids(missed):
        windowed = ctx.capabilities(sub.channel).session_window is not None
        if not windowed or not sub.active or sub.opted_out or not sub.settings.topic_alerts:
            continue
        _, chosen = plans.setdefault(sub.id, (sub, []))
        listed = {t.topic_id for t in chosen}
        for topic_id in missed[sub.id]:
            topic = known.get(TopicId(topic_id)) or await ctx.repos.topics.get(topic_id)
            if topic is not None and topic.was_relayed and topic_id not in listed:
                chosen.append(topic)
                listed.add(TopicId(topic_id))
        chosen.sort(key=_decided)


def render_digest(
    recipient: Recipient,
    topics: Sequence[TopicRecord],
    day: date,
    t: Speech,
    budget: int = MAX_TEXT_BUDGET,
) -> OutboundMessage:
    """Build the digest in ``t``'s language: a dated header and a "• title — link" per topic."""
    lines: list[str] = []
    used = 0
    for topic in topics:
        line = f"\n• {_clip(topic.subject)} — {topic.link}"
        if used + len(line) > budget:
            break
        lines.append(line)
        used += len(line)
    left = len(topics) - len(lines)
    if left:
        more = t.n_("…and {n} more on the forum.", "…and {n} more on the forum.", left)
        lines.append("\n" + more)
    label = t.day(day)
    count = t.n_("{n} new topic", "{n} new topics", len(topics))
    spans: list[Span] = [
        bold(t._("Forum digest, {date}", date=label)),
        plain(f" — {count}"),
        plain("".join(lines)),
    ]
    titles = "; ".join(_clip(t.subject) for t in topics)
    return OutboundMessage(
        recipient=recipient,
        spans=tuple(spans),
        kind="digest",
        template_values=(
            ("date", label),
            ("count", str(len(topics))),
            ("titles", _clip(titles, MAX_TEMPLATE_TITLES)),
        ),
        language=t.code,
    )


def _clip(text: str, limit: int = MAX_TITLE) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _budget(ctx: HandlerContext, sub: Subscriber) -> int:
    """Return the characters of topic lines that fit one message on the subscriber's platform."""
    return min(MAX_TEXT_BUDGET, ctx.capabilities(sub.channel).max_text - HEADER_ROOM)


def _decided(topic: TopicRecord) -> tuple[datetime, int]:
    return (topic.decided_or_seen_at, topic.topic_id)
