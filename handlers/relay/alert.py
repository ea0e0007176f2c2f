"""The neutral topic alert: bold title, facts line in local time, clean excerpt, forum button."""

from __future__ import annotations

from bot.core.messages import Choice, OutboundMessage, Recipient, Span, bold, italic, plain
from bot.domain.topics import Topic
from bot.forum.excerpt import html_to_spans
from bot.i18n import Speech


def render_topic_alert(
    topic: Topic, recipient: Recipient, t: Speech, excerpt_chars: int, enquire: str | None = None
) -> OutboundMessage:
    """Build the neutral topic alert in ``t``'s language: title, facts, excerpt, forum button.

    The title, board, author and excerpt are forum content and stay as written; the labels
    and the date are the reader's. ``enquire`` is the link into the enquiry (a travel board's
    topic), shown as a second button.
    """
    facts = [topic.board_name or t._("Forum")]
    if topic.author:
        facts.append(topic.author)
    facts.append(t.moment(topic.posted_at))
    # Each fact is isolated in a right-to-left language, so a Latin board name keeps its place.
    spans: list[Span] = [
        bold(topic.subject),
        plain("\n"),
        italic(" · ".join(t.isolate(fact) for fact in facts)),
    ]
    excerpt = html_to_spans(topic.body_html, max_chars=excerpt_chars)
    if excerpt:
        spans.append(plain("\n\n"))
        spans.extend(excerpt)
    return OutboundMessage(
        recipient=recipient,
        spans=tuple(spans),
        choices=(
            Choice(t._("Read on forum"), url=topic.link),
            *((Choice(t._("Enquire"), url=enquire),) if enquire else ()),
        ),
        link=topic.link,
        kind="topic_alert",
        template_values=(("title", topic.subject), ("link", topic.link)),
        language=t.code,
    )
