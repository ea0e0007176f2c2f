"""Routing: which destinations a topic goes to, by their boards and relay rules.

The precedence itself lives in :mod:`handlers.relay.match`; this module only loads the data.
"""

from __future__ import annotations

import logging

from bot.domain.destinations import Destination
from bot.domain.rules import FILTERS, RelayRule
from bot.domain.topics import Topic
from handlers.context import HandlerContext
from handlers.relay.match import Rule, RuleFilter, TopicText, decide

logger = logging.getLogger(__name__)


async def select_destinations(topic: Topic, ctx: HandlerContext) -> list[Destination]:
    """Return the active destinations whose boards and rules let ``topic`` through."""
    destinations = await ctx.repos.destinations.active()
    if not destinations:
        return []
    rules = await ctx.repos.rules.for_destinations(d.id for d in destinations)
    text = TopicText.of(topic)
    chosen = []
    for dest in destinations:
        decision = decide(text, dest.boards, [as_rule(r) for r in rules.get(dest.id, [])])
        if decision.relay:
            chosen.append(dest)
        elif decision.rule_id is not None:
            logger.debug(
                "Topic %s muted for %s by rule %s", topic.topic_id, dest.id, decision.rule_id
            )
    return chosen


def as_rule(stored: RelayRule) -> Rule:
    """Translate a stored rule into the matcher's view."""
    filter_: RuleFilter = "mute" if stored.filter == "mute" else "watch"
    if stored.filter not in FILTERS:
        # The repository refuses other values; a hand-edited row must not widen a destination.
        logger.warning(
            "Relay rule %s has unknown filter %r; treated as mute", stored.id, stored.filter
        )
        filter_ = "mute"
    return Rule(
        filter=filter_,
        board_id=stored.board_id,
        include=stored.include,
        exclude=stored.exclude,
        rule_id=stored.id,
    )
