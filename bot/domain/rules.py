"""Relay rules as stored: which topics one destination watches or mutes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from bot.core.errors import ConfigError

RuleFilter = Literal["watch", "mute"]
FILTERS: tuple[RuleFilter, ...] = ("watch", "mute")
CONFIG_AUTHOR = "config"
"""``created_by`` of rules seeded from config.toml; every other value is an admin's id."""


@dataclass(frozen=True, slots=True)
class RelayRule:
    """A stored routing rule (the precedence lives in ``handlers.relay.match``)."""

    id: int
    destination_id: int
    filter: str
    """``watch`` or ``mute``; anything else read from a hand-edited row is treated as mute."""
    board_id: int | None = None
    """None matches every board."""
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    created_by: str = CONFIG_AUTHOR
    created_at: datetime | None = None

    @property
    def from_config(self) -> bool:
        """Return whether config.toml made this rule (it returns at each start)."""
        return self.created_by == CONFIG_AUTHOR


@dataclass(frozen=True, slots=True)
class RuleSeedSpec:
    """One rule as the configuration describes it; the destination is named, not numbered."""

    channel: str
    chat_id: str
    filter: str = "watch"
    board_id: int | None = None
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    @classmethod
    def from_ref(
        cls,
        destination: str,
        filter: str = "watch",
        board_id: int | None = None,
        include: Iterable[str] = (),
        exclude: Iterable[str] = (),
    ) -> RuleSeedSpec:
        """Build a seed from config's ``"<channel>:<chat_id>"`` destination reference."""
        channel, sep, chat_id = destination.partition(":")
        if not sep or not channel or not chat_id:
            raise ConfigError(
                f"relay.rules: destination {destination!r} must read '<channel>:<chat_id>'"
            )
        return cls(channel, chat_id, filter, board_id, tuple(include), tuple(exclude))
