"""Relay rule matching: the one place that decides whether a topic goes to a destination.

Precedence, for one topic and one active destination (table-tested in
``tests/handlers/relay/test_match.py``):

1. **Boards.** The destination's own ``boards`` list from the configuration (empty = every
   board) is the first gate, *unless the destination has watch rules*: then the watch rules
   alone define what it gets, so a watch rule can reach beyond the configured boards.
2. **Mute wins.** Any matching mute rule keeps the topic out, whatever else matches.
3. **Watch.** If the destination has watch rules, at least one of them must match;
   a destination without watch rules takes every topic that passed 1 and 2.

A rule matches a topic when all of these hold:

- its board matches (a rule without a board matches every board; a board rule never matches
  a topic whose feed gave no board id);
- it has no include words, or at least one include word occurs;
- none of its exclude words occurs.

Words are plain text, never patterns: a word (or a phrase of several words, which must appear
as adjacent words) occurs when its words appear as whole words in the topic's subject or its
plain teaser. Both sides are normalised the same way: NFKD, combining marks dropped (accents,
Yoruba tone marks, Arabic harakat U+064B..U+065F and the dagger alef U+0670), case folded,
Arabic alef variants (U+0622, U+0623, U+0625, U+0671) folded to the bare alef U+0627, ta
marbuta U+0629 to heh U+0647, alef maksura U+0649 to yeh U+064A, tatweel U+0640 dropped.
A word with no letters or digits matches nothing.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from bot.domain.rules import FILTERS, RuleFilter
from bot.domain.topics import Topic
from bot.forum.excerpt import plain_excerpt

__all__ = ["FILTERS", "Decision", "Reason", "Rule", "RuleFilter", "TopicText", "decide"]

# Our own fixed pattern; user text is tokenised with it, never compiled.
_WORD = re.compile(r"\w+")
_FOLD = str.maketrans(
    {
        # Alef with madda or hamza (U+0622, U+0623, U+0625) needs no entry: NFKD splits off
        # the mark, which is dropped as combining.
        "\u0671": "\u0627",  # alef wasla has no decomposition
        "\u0629": "\u0647",  # writers swap ta marbuta and heh at word ends
        "\u0649": "\u064a",  # and alef maksura and yeh
        "\u0640": None,  # tatweel only stretches a word
    }
)
TEASER_CHARS = 2000
"""Enough for SMF's 255-character BBCode cut once rendered; rules see the whole teaser."""


def normalise(text: str) -> str:
    """Return ``text`` folded for matching: no case, no accents or harakat, one alef."""
    # Decompose on both sides of casefold: compatibility forms can hide capitals (ᴬ → A)
    # and casefolding can produce new combining marks (İ → i + dot above).
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
    return "".join(c for c in folded if not unicodedata.combining(c)).translate(_FOLD)


def words_of(text: str) -> tuple[str, ...]:
    """Return the normalised whole words of ``text``."""
    return tuple(_WORD.findall(normalise(text)))


@dataclass(frozen=True, slots=True)
class Rule:
    """A relay rule as matching sees it (the stored row is translated at the edge)."""

    filter: RuleFilter
    board_id: int | None = None
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    rule_id: int | None = None


@dataclass(frozen=True, slots=True)
class TopicText:
    """What rules look at in a topic, normalised once for all destinations."""

    board_id: int | None
    board_name: str
    passages: tuple[tuple[str, ...], ...]
    """Word sequences of the subject and of the teaser; a phrase never spans the two."""

    @classmethod
    def of(cls, topic: Topic) -> TopicText:
        """Return the matching view of a forum topic."""
        teaser = plain_excerpt(topic.body_html, TEASER_CHARS) if topic.body_html else ""
        return cls.from_parts(topic.board_id, topic.board_name, topic.subject, teaser)

    @classmethod
    def from_parts(
        cls, board_id: int | None, board_name: str, subject: str, teaser: str = ""
    ) -> TopicText:
        """Return the matching view of a topic given as plain parts."""
        return cls(board_id, board_name, (words_of(subject), words_of(teaser)))

    def contains(self, phrase: str) -> bool:
        """Tell whether ``phrase``'s words occur adjacent, in order, as whole words."""
        wanted = words_of(phrase)
        if not wanted:
            return False
        size = len(wanted)
        return any(
            passage[i : i + size] == wanted
            for passage in self.passages
            for i in range(len(passage) - size + 1)
        )


class Reason(StrEnum):
    """Why a topic was relayed to a destination or not."""

    BOARD_NOT_LISTED = "board not listed"
    MUTED = "muted"
    NO_WATCH_MATCHED = "no watch rule matched"
    WATCHED = "watched"
    ACCEPTED = "no watch rules, board accepted"


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome for one destination, with the rule that decided it (if any)."""

    relay: bool
    reason: Reason
    rule_id: int | None = None


def rule_matches(rule: Rule, topic: TopicText) -> bool:
    """Tell whether one rule's board, include and exclude words all fit the topic."""
    if rule.board_id is not None and rule.board_id != topic.board_id:
        return False
    if rule.include and not any(topic.contains(w) for w in rule.include):
        return False
    return not any(topic.contains(w) for w in rule.exclude)


def lists_board(boards: Iterable[int | str], board_id: int | None, board_name: str) -> bool:
    """Tell whether a boards list (ids, or names for feeds without ids) names the topic's board."""
    name = board_name.casefold()
    for entry in boards:
        if isinstance(entry, str):
            if name and entry.casefold() == name:
                return True
        elif board_id is not None and entry == board_id:
            return True
    return False


def decide(topic: TopicText, boards: Sequence[int | str], rules: Sequence[Rule]) -> Decision:
    """Apply the precedence above to one destination's boards and rules."""
    watches = [r for r in rules if r.filter == "watch"]
    if not watches and boards and not lists_board(boards, topic.board_id, topic.board_name):
        return Decision(False, Reason.BOARD_NOT_LISTED)
    for rule in rules:
        if rule.filter == "mute" and rule_matches(rule, topic):
            return Decision(False, Reason.MUTED, rule.rule_id)
    if not watches:
        return Decision(True, Reason.ACCEPTED)
    for rule in watches:
        if rule_matches(rule, topic):
            return Decision(True, Reason.WATCHED, rule.rule_id)
    return Decision(False, Reason.NO_WATCH_MATCHED)
