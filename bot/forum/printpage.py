"""Extract a post's full HTML from SMF's print page (``action=printpage;topic=T.0``)."""

from __future__ import annotations

import re

from bot.forum.errors import FeedError

_POSTBODY = re.compile(r"""<div\s+class=["']postbody["']\s*>""", re.IGNORECASE)
_DIV_TAG = re.compile(r"<(/?)div\b[^>]*>", re.IGNORECASE)


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
