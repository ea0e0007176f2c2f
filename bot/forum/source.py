"""What a forum topic looks like to the rest of Minbar, and the port that supplies them."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from bot.core.ids import BoardId, TopicId
from bot.domain.topics import Topic

__all__ = [
    "MAX_FEED_WINDOW",
    "ForumSource",
    "SupportsBoardFeeds",
    "SupportsFullText",
    "SupportsTopicLookup",
    "Topic",
]

MAX_FEED_WINDOW = 255
"""The most topics one feed request returns (SMF caps ``limit`` here and has no paging)."""


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


@runtime_checkable
class SupportsBoardFeeds(Protocol):
    """Capability: the source can list one board's newest topics, with a window of its own."""

    async def fetch_board_topics(self, board_id: BoardId, limit: int) -> list[Topic]:
        """Return up to ``limit`` topics of one board, newest first.

        Raises:
            ForumError: when the board cannot be read (gone, or hidden from the reader).
        """
        ...


@runtime_checkable
class SupportsTopicLookup(Protocol):
    """Capability: the source can look one topic up by id, whatever its age."""

    async def fetch_topic(self, topic_id: TopicId) -> Topic | None:
        """Return the topic if the reader may see it now; None when missing, hidden or unapproved.

        The topic may lack what only a feed tells (``board_id`` above all).

        Raises:
            ForumError: when the forum could not be asked (timeouts, server errors).
        """
        ...
