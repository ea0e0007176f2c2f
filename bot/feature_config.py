"""The features' knobs from the configuration: plain data, so features never see config.toml."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import time

from bot.config import Config
from bot.config_enquiries import EnquiryHours
from bot.config_schema import Destination as ConfigDestination
from bot.core.ids import ChannelName, ChatId
from bot.core.messages import Recipient
from handlers.settings import (
    Agent,
    BusinessHours,
    EnquirySettings,
    FeatureSettings,
    Package,
    RelaySettings,
    ScreeningSettings,
    SpamPolicy,
)


def feature_settings(config: Config, review_chats: Sequence[Recipient]) -> FeatureSettings:
    """Return the features' knobs from the configuration."""
    spam = config.relay.spam
    return FeatureSettings(
        bot_name=config.service.name,
        tz=config.service.tz,
        default_language=config.display.default_language,
        ask_language=config.display.ask_language,
        inbound_per_minute=config.inbox.per_chat_per_minute,
        hijri_dates=config.display.hijri_dates,
        hijri_offset_days=config.calendar.hijri_offset_days,
        enquiries=enquiry_settings(config),
        destination_languages={
            _destination_ref(d): d.language for d in config.relay.destinations if d.language
        },
        relay=RelaySettings(
            limit=config.forum.limit,
            backfill=config.forum.backfill,
            fetch_full_text=config.forum.fetch_full_text,
            late_approval_days=config.forum.late_approval_days,
            poll_interval=config.forum.poll_interval,
            failure_alert_after=config.forum.failure_alert_after,
            digest_time=config.relay.digest_time,
            screening=ScreeningSettings(
                mode=config.relay.mode,
                review_chats=tuple(review_chats),
                spam=SpamPolicy(
                    enabled=spam.enabled,
                    threshold=spam.threshold,
                    blocked_words=tuple(spam.blocked_words),
                    allowed_scripts=tuple(spam.allowed_scripts),
                    max_links=spam.max_links,
                ),
            ),
        ),
    )


def enquiry_settings(config: Config) -> EnquirySettings:
    """Return the enquiry feature's knobs, each agent's chats as neutral recipients."""
    section = config.enquiries
    agents = []
    for agent in section.agents:
        chats = [
            Recipient(ChannelName(name), ChatId(str(address)))
            for name, address in (
                ("telegram", agent.telegram),
                ("whatsapp", agent.whatsapp),
                ("console", agent.console),
            )
            if address is not None
        ]
        agents.append(Agent(agent.name, tuple(chats)))
    return EnquirySettings(
        enabled=section.enabled,
        reference_prefix=section.reference_prefix,
        boards=tuple(section.boards),
        dialog_ttl_hours=section.dialog_ttl_hours,
        max_per_day=section.max_per_day,
        retention_days=section.retention_days,
        agency_whatsapp=section.agency_whatsapp or None,
        agency_phone=section.agency_phone,
        hours=_hours(section.hours),
        packages=tuple(Package(p.key, p.label, p.price, p.notes) for p in section.packages),
        agents=tuple(agents),
        telegram_username=config.telegram.bot_username,
        whatsapp_number=(
            config.whatsapp.from_number.removeprefix("whatsapp:")
            if config.whatsapp.mode != "off"
            else ""
        ),
    )


def _destination_ref(dest: ConfigDestination) -> str:
    """Return the ref admins and settings name a configured destination by."""
    thread = f"/{dest.thread_id}" if dest.thread_id is not None else ""
    return f"{dest.channel}:{dest.chat_id}{thread}"


_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _hours(section: EnquiryHours) -> BusinessHours:
    """Return the business hours as times and weekday numbers."""
    start, _, end = section.jumuah_break.partition("-")
    return BusinessHours(
        days=frozenset(_DAYS.index(day) for day in section.days),
        open=time.fromisoformat(section.open),
        close=time.fromisoformat(section.close),
        friday_break=(time.fromisoformat(start), time.fromisoformat(end)) if start else None,
        escalate_after_minutes=section.escalate_after_minutes,
    )
