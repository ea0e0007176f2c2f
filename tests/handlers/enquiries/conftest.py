"""Enquiry tests share one configuration (four packages, a Telegram and a WhatsApp agent),
its handler context, and the six answers of a confirmed enquiry."""

from __future__ import annotations

import pytest

from bot.core.clock import FrozenClock
from bot.core.ids import ChannelName, ChatId
from bot.core.messages import Recipient
from bot.storage.db import Database
from handlers.context import HandlerContext
from handlers.dispatch import Dispatcher
from handlers.settings import Agent, EnquirySettings, FeatureSettings, Package
from tests.handlers.conftest import WA_NUMBER, make_context, wa

AGENT_TG = "3001"
AGENT_WA = "+2348099999999"
ENQUIRIES = EnquirySettings(
    enabled=True,
    agency_whatsapp="+2348011112222",
    agency_phone="0801 111 2222",
    packages=(
        Package("umrah", "Umrah", price="from ₦4.5m"),
        Package("ramadan_umrah", "Ramadan Umrah"),
        Package("hajj", "Hajj"),
        Package("other", "Other"),
    ),
    agents=(
        Agent("Amina", (Recipient(ChannelName("telegram"), ChatId(AGENT_TG)),)),
        Agent("Musa", (Recipient(ChannelName("whatsapp"), ChatId(AGENT_WA)),)),
    ),
)
SETTINGS = FeatureSettings(bot_name="Attaqwaa", enquiries=ENQUIRIES)


@pytest.fixture
def ctx(db: Database, clock: FrozenClock) -> HandlerContext:
    """A context with enquiries on: four packages, a Telegram and a WhatsApp agent."""
    return make_context(db, clock, settings=SETTINGS)


ANSWERS = ("december", "2", "Aisha Bello", "1", "no", "1")
"""Month, travellers, name, "use this number", no note, Confirm: a whole WhatsApp enquiry."""


async def confirm_enquiry(
    router: Dispatcher, entry: str = "UMRAH", number: str = WA_NUMBER, name: str = "Aisha Bello"
) -> None:
    """Have a WhatsApp customer open the enquiry with ``entry`` and confirm it."""
    await router.handle(wa(entry, number=number))
    for text in ANSWERS:
        await router.handle(wa(name if text == "Aisha Bello" else text, number=number))
