"""What a forum topic looks like to the rest of Minbar, and the port that supplies them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from bot.core.ids import BoardId, TopicId


@dataclass(frozen=True, slots=True)
class Topic:
    """One forum topic as announced by the feed (its first post's teaser, not the full text)."""

    topic_id: TopicId
    board_id: BoardId | None
    """None when the feed format names the board but does not number it (rss2, atom)."""
    board_name: str
    subject: str
    """Plain text: HTML entities already decoded exactly once."""
    link: str
    """Canonical ``…/index.php?topic=T.0``."""
    posted_at: datetime
    """The first post's time, aware UTC. Late-approved topics keep their original time."""
    author: str | None
    """The starter's display name; rss2 omits it for guests."""
    body_html: str
    """SMF's rendered HTML teaser (cut to ~255 BBCode characters); see ``bot.forum.excerpt``."""
    guid: str | None
    """SMF's tag URI ``tag:host,YYYY-MM-DD:topic=T``; stable across approval."""


@runtime_checkable
class ForumSource(Protocol):
    """Supplies the newest topics of a forum."""

    async def fetch_topics(self, limit: int) -> list[Topic]:
        """Return up to ``limit`` topics, newest first as the feed orders them."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...


@runtime_checkable
class SupportsFullText(Protocol):
    """Capability: the source can fetch a topic's whole first post (SMF's print view)."""

    async def fetch_full_body(self, topic_id: TopicId) -> str:
        """Return the first post's full HTML body."""
        ...
