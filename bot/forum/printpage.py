"""Read a topic from SMF's print page (``action=printpage;topic=T.0``): first post and header.

The print page is what a guest can fetch for any approved topic it may see, however old, so it
is how a topic that left the feeds' 255-topic windows is still found. It names the subject, the
starter, the post time (as text in the forum's format) and the board's *name*, never its id.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

from bot.forum.errors import FeedError

_POSTBODY = re.compile(r"""<div\s+class=["']postbody["']\s*>""", re.IGNORECASE)
_DIV_TAG = re.compile(r"<(/?)div\b[^>]*>", re.IGNORECASE)
_POSTHEADER = re.compile(
    r"""<div\s+class=["']postheader["']\s*>(.*?)</div>""", re.IGNORECASE | re.DOTALL
)
_STRONG = re.compile(r"<strong>(.*?)</strong>", re.IGNORECASE | re.DOTALL)
_LINKTREE = re.compile(r"""<h2\s+id=["']linktree["']\s*>(.*?)</h2>""", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
# SMF 2.1's default time format first ("Nov 25, 2026, 09:08 AM"), then common admin choices.
_TIME_FORMATS = (
    "%b %d, %Y, %I:%M %p",
    "%B %d, %Y, %I:%M %p",
    "%b %d, %Y, %I:%M:%S %p",
    "%B %d, %Y, %I:%M:%S %p",
    "%d %B %Y, %H:%M",
    "%d %b %Y, %H:%M",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d, %H:%M",
)


@dataclass(frozen=True, slots=True)
class PrintedTopic:
    """What one print page tells about its topic (plain text fields already unescaped)."""

    subject: str
    author: str | None
    board_name: str
    posted_at: datetime | None
    """None when the forum's time format is not one this module reads."""
    body_html: str


def parse_printpage(page: str) -> str:
    """Return the body HTML of the first post on an SMF print page.

    Raises:
        FeedError: ``login_page`` when SMF sent its login or error page instead.
    """
    start = _POSTBODY.search(page)
    if start is None:
        raise FeedError(
            "login_page", "no post on the print page: the topic may be missing or hidden"
        )
    # User text is HTML-escaped by SMF, so every "<div" here is real markup and depth is exact.
    depth = 1
    for tag in _DIV_TAG.finditer(page, start.end()):
        depth += -1 if tag.group(1) else 1
        if depth == 0:
            return page[start.end() : tag.start()].strip()
    raise FeedError("malformed", "the print page's post body is not closed")


def parse_printpage_topic(page: str, *, forum_tz: tzinfo = UTC) -> PrintedTopic:
    """Return the first post of a print page with its subject, starter, time and board name.

    ``forum_tz`` is the zone the forum writes times in for guests (its default time zone).

    Raises:
        FeedError: ``login_page`` for SMF's login or error page, ``malformed`` for a page
            without the post header.
    """
    body = parse_printpage(page)
    header = _POSTHEADER.search(page)
    # The labels ("Title:", "Post by:") are translated; the three <strong> values are not.
    values = [_text(v) for v in _STRONG.findall(header.group(1))] if header else []
    if len(values) < 2 or not values[0]:
        raise FeedError("malformed", "the print page has no post header with a title")
    return PrintedTopic(
        subject=values[0],
        author=values[1] or None,
        board_name=_board_name(page),
        posted_at=parse_forum_time(values[2], forum_tz) if len(values) > 2 else None,
        body_html=body,
    )


def parse_forum_time(text: str, forum_tz: tzinfo = UTC) -> datetime | None:
    """Return a time SMF wrote in one of the common formats as aware UTC, else None."""
    cleaned = " ".join(text.split())
    for layout in _TIME_FORMATS:
        try:
            local = datetime.strptime(cleaned, layout)
        except ValueError:
            continue
        return local.replace(tzinfo=forum_tz).astimezone(UTC)
    return None


def _board_name(page: str) -> str:
    # "Category => [Parent board =>] Board => Topic started by: …": the board is next to last.
    # Names are HTML-escaped, so a literal "=>" inside one arrives as "=&gt;".
    match = _LINKTREE.search(page)
    parts = [_text(part) for part in match.group(1).split(" => ")] if match else []
    return parts[-2] if len(parts) >= 3 else ""


def _text(fragment: str) -> str:
    return html.unescape(_TAG.sub("", fragment)).strip()
