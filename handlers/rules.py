"""Routing: which destinations a topic goes to."""

from __future__ import annotations

from bot.forum.source import Topic
from bot.storage.models import Destination
from handlers.context import HandlerContext


async def select_destinations(topic: Topic, ctx: HandlerContext) -> list[Destination]:
    """Return the active destinations whose boards include the topic's board."""
    return await ctx.destinations.active_for_board(topic.board_id)
