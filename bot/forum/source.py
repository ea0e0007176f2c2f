"""What a forum topic looks like to the rest of Minbar, and the port that supplies them."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from bot.core.ids import TopicId
from bot.domain.topics import Topic

__all__ = ["ForumSource", "SupportsFullText", "Topic"]


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
