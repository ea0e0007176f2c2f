"""Routing: which destinations a topic goes to, by their boards and relay rules.

The precedence itself lives in :mod:`handlers.rule_match`; this module only loads the data.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from bot.forum.source import Topic
from bot.storage.models import Destination, RelayRule
from bot.storage.repositories.rules import RuleRepo, RuleSeedSpec
from handlers.context import HandlerContext
from handlers.rule_match import FILTERS, Rule, RuleFilter, TopicText, decide

logger = logging.getLogger(__name__)


async def select_destinations(topic: Topic, ctx: HandlerContext) -> list[Destination]:
    """Return the active destinations whose boards and rules let ``topic`` through."""
    destinations = [d for d in await ctx.destinations.all() if d.active]
    if not destinations:
        return []
    rules = await ctx.rules.for_destinations(d.id for d in destinations)
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


def as_rule(row: RelayRule) -> Rule:
    """Translate a stored rule into the matcher's view."""
    filter_: RuleFilter = "mute" if row.filter == "mute" else "watch"
    if row.filter not in FILTERS:
        # The repository refuses other values; a hand-edited row must not widen a destination.
        logger.warning("Relay rule %s has unknown filter %r; treated as mute", row.id, row.filter)
        filter_ = "mute"
    return Rule(
        filter=filter_,
        board_id=row.board_id,
        include=tuple(str(w) for w in row.include_keywords or ()),
        exclude=tuple(str(w) for w in row.exclude_keywords or ()),
        rule_id=row.id,
    )


async def seed_rules_from_config(rules: RuleRepo, seeds: Sequence[RuleSeedSpec]) -> None:
    """Replace the config-made relay rules with ``seeds`` (admins' rules stay); call at start."""
    stored = await rules.seed_from_config(seeds)
    logger.info("Relay rules from config: %d", len(stored))
