"""Decide whether a new topic is relayed at once or held (review mode, suspected spam)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Literal

from bot.forum.source import Topic
from handlers.context import HandlerContext
from handlers.review import queue_review_cards
from handlers.spam import SpamPolicy, score_topic

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ScreeningSettings:
    """``[relay] mode``, ``review_chats`` and ``[relay.spam]``."""

    mode: Literal["auto", "review"] = "auto"
    spam: SpamPolicy = field(default_factory=SpamPolicy)
    review_chats: tuple[str, ...] = ()
    """Telegram chats that get review cards; empty sends one to each Telegram admin."""


@dataclass(frozen=True, slots=True)
class Verdict:
    """What to do with a new topic, and why (stored with the topic)."""

    hold: bool
    decision: str
    reason: str


async def screen_topic(topic: Topic, ctx: HandlerContext, settings: ScreeningSettings) -> Verdict:
    """Return whether ``topic`` is relayed now; queue review cards for a held one."""
    # Spam is checked in both modes, so its reasons reach the card even in review mode.
    if settings.spam.enabled:
        score = score_topic(topic.subject, topic.body_html, settings.spam)
        if score.is_spam:
            logger.info("Held topic %s as suspected spam: %s", topic.topic_id, score.reason)
            await queue_review_cards(topic, ctx, settings.review_chats, score.reason)
            return Verdict(hold=True, decision="spam", reason=f"spam: {score.reason}")
    if settings.mode == "review":
        await queue_review_cards(topic, ctx, settings.review_chats)
        return Verdict(hold=True, decision="pending_review", reason="review mode")
    return Verdict(hold=False, decision="relayed", reason="auto")
