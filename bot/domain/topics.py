"""Forum topics: as the feed announces them, and as Minbar recorded its decision on them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.core.ids import BoardId, TopicId

RELAYED_DECISIONS = frozenset({"relayed", "approved"})
"""Decisions after which a topic has gone (or goes) to its destinations."""
HELD_DECISIONS = ("pending_review", "spam")
"""Decisions an admin can still change with Approve / Reject."""


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
    guid: str | None = None
    """SMF's tag URI ``tag:host,YYYY-MM-DD:topic=T``; stable across approval."""


@dataclass(frozen=True, slots=True)
class TopicRecord:
    """A topic Minbar has seen, with what it decided about it and who decided."""

    topic: Topic
    first_seen_at: datetime
    decision: str
    decision_reason: str | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None

    @property
    def topic_id(self) -> TopicId:
        """Return the SMF topic id."""
        return self.topic.topic_id

    @property
    def subject(self) -> str:
        """Return the topic's title."""
        return self.topic.subject

    @property
    def link(self) -> str:
        """Return the topic's canonical link."""
        return self.topic.link

    @property
    def board_id(self) -> BoardId | None:
        """Return the topic's board id, when the feed numbered it."""
        return self.topic.board_id

    @property
    def is_held(self) -> bool:
        """Return whether an admin may still approve or reject the topic."""
        return self.decision in HELD_DECISIONS

    @property
    def was_relayed(self) -> bool:
        """Return whether the topic went (or goes) to its destinations."""
        return self.decision in RELAYED_DECISIONS

    @property
    def decided_or_seen_at(self) -> datetime:
        """Return when the topic's current decision was taken (first sight when unknown)."""
        return self.decided_at or self.first_seen_at


@dataclass(frozen=True, slots=True)
class TopicGap:
    """A topic id no feed listed although newer ids were: unapproved, deleted or hidden.

    Topic ids are shared by every board, so most gaps are topics a guest will never see; the
    relay keeps looking for each one until it is found or older than the horizon.
    """

    topic_id: TopicId
    noticed_at: datetime
    """When the id was first found missing (close to when the topic was posted)."""
    last_probed_at: datetime | None = None
    probes: int = 0
