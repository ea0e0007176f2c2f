"""Decide whether a new topic is relayed at once or held (review mode, suspected spam)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.forum.source import Topic
from handlers.context import HandlerContext


@dataclass(frozen=True, slots=True)
class ScreeningSettings:
    """``[relay] mode`` and the spam filter's knobs."""

    mode: str = "auto"


@dataclass(frozen=True, slots=True)
class Verdict:
    """What to do with a new topic, and why (stored with the topic)."""

    hold: bool
    decision: str
    reason: str


async def screen_topic(topic: Topic, ctx: HandlerContext, settings: ScreeningSettings) -> Verdict:
    """Return whether ``topic`` is relayed now (auto mode relays everything for now)."""
    return Verdict(hold=False, decision="relayed", reason="auto")
