"""The features' knobs, as plain data: ``bot.app`` fills them from config.toml.

Features read these instead of the configuration object, so they stay free of the config
loader and its validation library, and tests build them in one line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from typing import Literal
from zoneinfo import ZoneInfo

from bot.core.messages import Recipient

LAGOS = ZoneInfo("Africa/Lagos")


@dataclass(frozen=True, slots=True)
class SpamPolicy:
    """The spam filter's knobs (``[relay.spam]``)."""

    enabled: bool = True
    threshold: float = 1.0
    blocked_words: tuple[str, ...] = ()
    allowed_scripts: tuple[str, ...] = ("latin", "arabic")
    max_links: int = 3


@dataclass(frozen=True, slots=True)
class ScreeningSettings:
    """``[relay] mode``, ``review_chats`` and ``[relay.spam]``."""

    mode: Literal["auto", "review"] = "auto"
    spam: SpamPolicy = field(default_factory=SpamPolicy)
    review_chats: tuple[Recipient, ...] = ()
    """Chats that get review cards (config's ``review_chats``, else each Telegram admin)."""


@dataclass(frozen=True, slots=True)
class RelaySettings:
    """The relay's knobs from ``[forum]`` and ``[relay]``."""

    limit: int = 50
    backfill: int = 5
    excerpt_chars: int = 600
    fetch_full_text: bool = False
    """Replace the feed's 255-character teaser with the print view's full first post."""
    poll_interval: float = 60.0
    late_approval_days: int = 14
    """Topics approved up to this many days after they were posted are still relayed; 0 = off."""
    failure_alert_after: int = 3
    """Consecutive failed polls before the admins hear that the feed is down."""
    digest_time: str = "20:00"
    """Local ``HH:MM`` of the daily digest."""
    screening: ScreeningSettings = field(default_factory=ScreeningSettings)


@dataclass(frozen=True, slots=True)
class Package:
    """Something a customer can enquire about (``[[enquiries.packages]]``)."""

    key: str
    label: str
    price: str = ""
    notes: str = ""


@dataclass(frozen=True, slots=True)
class Agent:
    """A travel agent and the chats their lead cards go to (``[[enquiries.agents]]``)."""

    name: str
    chats: tuple[Recipient, ...]


@dataclass(frozen=True, slots=True)
class BusinessHours:
    """When agents answer (``[enquiries.hours]``), in the service's time zone."""

    days: frozenset[int] = frozenset(range(6))
    """Weekdays open, Monday = 0."""
    open: time = time(8, 0)
    close: time = time(18, 0)
    friday_break: tuple[time, time] | None = (time(12, 30), time(14, 0))
    escalate_after_minutes: float = 15.0


@dataclass(frozen=True, slots=True)
class EnquirySettings:
    """The enquiry dialog's knobs (``[enquiries]``)."""

    enabled: bool = False
    reference_prefix: str = "ATQ"
    boards: tuple[int, ...] = ()
    dialog_ttl_hours: float = 24.0
    max_per_day: int = 3
    retention_days: int = 730
    agency_whatsapp: str | None = None
    agency_phone: str = ""
    hours: BusinessHours = field(default_factory=BusinessHours)
    packages: tuple[Package, ...] = ()
    agents: tuple[Agent, ...] = ()
    telegram_username: str = ""
    """The bot's @username (for t.me deep links); "" when not configured."""
    whatsapp_number: str = ""
    """The WhatsApp sender in E.164 (for wa.me links); "" when WhatsApp is off."""

    def agent_of(self, channel: str, user_id: str) -> Agent | None:
        """Return the agent writing from ``channel``/``user_id``, or None."""
        for agent in self.agents:
            if any(c.channel == channel and c.chat_id == user_id for c in agent.chats):
                return agent
        return None

    def package(self, key: str) -> Package | None:
        """Return the package called ``key``, or None."""
        return next((p for p in self.packages if p.key == key), None)


@dataclass(frozen=True, slots=True)
class FeatureSettings:
    """Everything the features are told by the configuration."""

    bot_name: str = "Minbar"
    tz: ZoneInfo = LAGOS
    relay: RelaySettings = field(default_factory=RelaySettings)
    enquiries: EnquirySettings = field(default_factory=EnquirySettings)
    default_language: str = "en"
    """The language of a chat that has not chosen one (``[display] default_language``)."""
    inbound_per_minute: int = 20
    """Messages a private chat may send in a minute before it is paused (told once)."""
    ask_language: bool = True
    """Offer the language menu to a new private chat before anything else."""
    hijri_dates: bool = False
    hijri_offset_days: int = 0
    destination_languages: Mapping[str, str] = field(default_factory=dict)
    """Language of a destination's alerts by its ref (``channel:chat_id[/thread]``)."""
