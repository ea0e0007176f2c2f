"""What a feature module contributes to the dispatcher, declared as data."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from handlers.dispatch import ChoiceHandler, Flow, KeywordHandler, MembershipHandler


@dataclass(frozen=True, slots=True)
class Feature:
    """Keywords, dialog flows, button prefixes and membership hooks of one feature.

    Commands are declared with ``@command`` in the same module and collected separately.
    """

    keywords: Sequence[KeywordHandler] = ()
    priority_keywords: Sequence[KeywordHandler] = ()
    """Checked before any open dialog (an opt-out must work in the middle of a menu)."""
    flows: Sequence[Flow] = ()
    choices: Mapping[str, ChoiceHandler] = field(default_factory=dict)
    membership: Sequence[MembershipHandler] = ()
