"""Decide whether a new topic is relayed at once or held (review mode, suspected spam)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.domain.topics import Topic
from handlers.context import HandlerContext
from handlers.relay.review import queue_review_cards
from handlers.relay.spam import score_topic
from handlers.settings import ScreeningSettings

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Verdict:
    """What to do with a new topic, and why (stored with the topic)."""

    hold: bool
    decision: str
    reason: str


async def screen_topic(topic: Topic, ctx: HandlerContext) -> Verdict:
    """Return whether ``topic`` is relayed now; queue review cards for a held one."""
    settings: ScreeningSettings = ctx.settings.relay.screening
    # Spam is checked in both modes, so its reasons reach the card even in review mode.
    if settings.spam.enabled:
        score = score_topic(topic.subject, topic.body_html, settings.spam)
        if score.is_spam:
            logger.info("Held topic %s as suspected spam: %s", topic.topic_id, score.reason)
            await queue_review_cards(topic, ctx, score.reason)
            return Verdict(hold=True, decision="spam", reason=f"spam: {score.reason}")
    if settings.mode == "review":
        await queue_review_cards(topic, ctx)
        return Verdict(hold=True, decision="pending_review", reason="review mode")
    return Verdict(hold=False, decision="relayed", reason="auto")
