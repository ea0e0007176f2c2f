"""The neutral topic alert: bold title, facts line in local time, clean excerpt, forum button."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.core.messages import Choice, OutboundMessage, Recipient, Span, bold, italic, plain
from bot.domain.topics import Topic
from bot.forum.excerpt import html_to_spans


def render_topic_alert(
    topic: Topic, recipient: Recipient, tz: ZoneInfo, excerpt_chars: int
) -> OutboundMessage:
    """Build the neutral topic alert: title, facts line, clean excerpt, forum button."""
    facts = [topic.board_name or "Forum"]
    if topic.author:
        facts.append(topic.author)
    facts.append(_local_time(topic.posted_at, tz))
    spans: list[Span] = [bold(topic.subject), plain("\n"), italic(" · ".join(facts))]
    excerpt = html_to_spans(topic.body_html, max_chars=excerpt_chars)
    if excerpt:
        spans.append(plain("\n\n"))
        spans.extend(excerpt)
    return OutboundMessage(
        recipient=recipient,
        spans=tuple(spans),
        choices=(Choice("Read on forum", url=topic.link),),
        link=topic.link,
        kind="topic_alert",
        template_values=(("title", topic.subject), ("link", topic.link)),
    )


def _local_time(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%d %b %Y, %H:%M")
