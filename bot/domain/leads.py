"""Enquiry leads: what a customer asked for, where they came from, and who answers them."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from bot.core.ids import ChannelName, ChatId


class LeadStatus(enum.StrEnum):
    """Where a lead is: new → claimed → contacted → booked or lost."""

    NEW = "new"
    CLAIMED = "claimed"
    CONTACTED = "contacted"
    BOOKED = "booked"
    LOST = "lost"


@dataclass(frozen=True, slots=True)
class NewLead:
    """A confirmed enquiry before it has a reference."""

    channel: ChannelName
    chat_id: ChatId
    language: str
    source: str | None
    package: str
    travel_month: str
    travellers: int
    full_name: str
    phone: str
    """E.164."""
    note: str = ""


@dataclass(frozen=True, slots=True)
class Lead:
    """A stored lead with its reference and status."""

    id: int
    ref: str
    status: LeadStatus
    channel: ChannelName
    chat_id: ChatId
    language: str
    source: str | None
    package: str
    travel_month: str
    travellers: int
    full_name: str
    phone: str
    note: str
    owner: str | None
    lost_reason: str | None
    created_at: datetime
    updated_at: datetime
    escalation: int = 0
    escalated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class LeadEvent:
    """One change of a lead, with who made it and when."""

    kind: str
    by: str
    detail: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Claim:
    """The outcome of a claim: whether this agent won, and the lead as it now stands."""

    won: bool
    lead: Lead
