"""Helpers for the subscription tests: known boards and a chat's stored settings."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.core.ids import BoardId, TopicId
from bot.domain.subscribers import SubscriberSettings
from bot.domain.topics import Topic
from handlers.context import HandlerContext

GROUP = "-100555"
GROUP_ADMIN = "3003"
MEMBER = "4004"

BOARDS = [(4, "Umrah & Hajj Travel"), (2, "General News")]
"""The boards ``seed_boards`` records, as the feed first showed them."""


async def seed_boards(ctx: HandlerContext) -> None:
    """Record topics from two boards so the board menus have something to list."""
    for topic_id, (board_id, name) in enumerate(BOARDS, start=1):
        topic = Topic(
            topic_id=TopicId(topic_id),
            board_id=BoardId(board_id),
            board_name=name,
            subject=f"Topic {topic_id}",
            link=f"https://forum.example/index.php?topic={topic_id}.0",
            posted_at=datetime(2026, 11, 27, 8, 0, tzinfo=UTC),
            author="admin",
            body_html="",
            guid=None,
        )
        await ctx.repos.topics.record(topic, decision="relayed")


async def prefs_of(ctx: HandlerContext, channel: str, chat: str) -> SubscriberSettings:
    """Return a chat's stored settings (the chat must have a subscriber row)."""
    row = await ctx.repos.subscribers.get(channel, chat)
    assert row is not None
    return row.settings
