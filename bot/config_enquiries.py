"""[enquiries]: packages customers choose from, the agents who answer, and the reference."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from bot.config_base import E164, PhoneNumber, PositiveId, Section

_KEY = re.compile(r"^[a-z0-9_]{1,32}$")


class EnquiryPackage(Section):
    """One [[enquiries.packages]] entry: what a customer can ask about."""

    key: str
    label: str = Field(min_length=1, max_length=60)
    price: str = ""
    notes: str = ""

    @field_validator("key")
    @classmethod
    def _key(cls, value: str) -> str:
        if not _KEY.match(value):
            raise ValueError("must be 1-32 characters of a-z, 0-9 and _")
        return value


class EnquiryAgent(Section):
    """One [[enquiries.agents]] entry: a travel agent and where their lead cards go."""

    name: str = Field(min_length=1, max_length=60)
    telegram: PositiveId | None = None
    """The agent's Telegram user id (they must have pressed Start in the bot)."""
    whatsapp: PhoneNumber | None = None
    console: str | None = Field(None, min_length=1, max_length=64)
    """A console identity: cards print in the terminal (the sample agent; never a person)."""

    @model_validator(mode="after")
    def _somewhere(self) -> EnquiryAgent:
        if self.telegram is None and self.whatsapp is None and self.console is None:
            raise ValueError("an agent needs a telegram id, a whatsapp number or a console name")
        return self


Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class EnquiryHours(Section):
    """[enquiries.hours]: when agents answer, in the service time zone (Africa/Lagos)."""

    days: tuple[Day, ...] = ("mon", "tue", "wed", "thu", "fri", "sat")
    open: str = "08:00"
    close: str = "18:00"
    jumuah_break: str = "12:30-14:00"
    """Friday's break for Jumu'ah prayer, "HH:MM-HH:MM"; "" for none."""
    escalate_after_minutes: float = Field(15.0, ge=1, le=1440)

    @field_validator("open", "close")
    @classmethod
    def _clock(cls, value: str) -> str:
        if not _CLOCK.match(value):
            raise ValueError('must be a 24-hour time "HH:MM"')
        return value

    @field_validator("jumuah_break")
    @classmethod
    def _break(cls, value: str) -> str:
        start, sep, end = value.partition("-")
        if value and not (sep and _CLOCK.match(start) and _CLOCK.match(end) and start < end):
            raise ValueError('must be "HH:MM-HH:MM" (start before end), or ""')
        return value

    @model_validator(mode="after")
    def _order(self) -> EnquiryHours:
        if self.open >= self.close:
            raise ValueError("open must be before close")
        return self


class EnquirySettings(Section):
    """[enquiries]: the guided enquiry and where its leads go."""

    enabled: bool = False
    reference_prefix: str = "ATQ"
    boards: tuple[PositiveId, ...] = ()
    dialog_ttl_hours: float = Field(24.0, ge=1, le=168)
    max_per_day: int = Field(3, ge=1, le=50)
    retention_days: int = Field(730, ge=30, le=3650)
    agency_whatsapp: str = ""
    """E.164, or "" for none."""
    agency_phone: str = ""
    hours: EnquiryHours = Field(default_factory=EnquiryHours)
    packages: tuple[EnquiryPackage, ...] = ()
    agents: tuple[EnquiryAgent, ...] = ()

    @field_validator("agency_whatsapp")
    @classmethod
    def _whatsapp(cls, value: str) -> str:
        if value and not E164.match(value):
            raise ValueError('must be an E.164 number such as "+2348012345678", or ""')
        return value

    @field_validator("reference_prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Z]{2,5}", value):
            raise ValueError("must be 2-5 capital letters, e.g. ATQ")
        return value

    @model_validator(mode="after")
    def _usable(self) -> EnquirySettings:
        keys = [p.key for p in self.packages]
        if len(set(keys)) != len(keys):
            raise ValueError("package keys must be distinct")
        if self.enabled and not self.packages:
            raise ValueError("enabled enquiries need at least one [[enquiries.packages]]")
        if self.enabled and not self.agents:
            raise ValueError("enabled enquiries need at least one [[enquiries.agents]]")
        return self
