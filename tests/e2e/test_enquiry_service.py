"""An enquiry end to end: a WhatsApp customer, a Telegram agent, the fake platforms between."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.domain.leads import LeadStatus
from tests.e2e.conftest import TOKEN, eventually, running_service
from tests.fakes.telegram_api import FakeTelegramApi, RateLimits
from tests.fakes.twilio_api import FakeTwilioApi

SID = "AC" + "7a" * 16
AUTH = "c" * 32
SECRETS = {"MINBAR_TWILIO__ACCOUNT_SID": SID, "MINBAR_TWILIO__AUTH_TOKEN": AUTH}
AGENT = 701
CUSTOMER = "+2348077700001"
ENQUIRIES = {
    "enabled": True,
    "agency_whatsapp": "+2348011112222",
    "packages": [{"key": "umrah", "label": "Umrah"}, {"key": "hajj", "label": "Hajj"}],
    "agents": [{"name": "Amina", "telegram": AGENT}],
}


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegramApi]:
    """A fake Bot API where the agent has started the bot."""
    limits = RateLimits(group_rate=20.0, group_burst=20.0)
    async with FakeTelegramApi.running(TOKEN, limits=limits, long_poll_cap=0.5) as api:
        api.add_private_chat(AGENT, "Amina")
        yield api


async def test_a_whatsapp_enquiry_reaches_the_telegram_agent_who_claims_it(
    tmp_path: Path, telegram: FakeTelegramApi
) -> None:
    """UMRAH T42 through signed webhooks; the card on Telegram; Claim; the customer is told."""
    async with (
        FakeTwilioApi.running(SID, AUTH) as twilio,
        running_service(
            tmp_path, telegram=telegram, twilio=twilio, environ=SECRETS, enquiries=ENQUIRIES
        ) as h,
    ):

        async def say(text: str, count: int) -> None:
            answer = await twilio.send_inbound(h.inbound_url, CUSTOMER, text)
            assert answer.status_code == 200
            await eventually(lambda: len(h.twilio_to(CUSTOMER)) >= count, what=f"{count} replies")

        await say("UMRAH T42", 1)
        for n, text in enumerate(("1", "2", "Aisha Bello", "1", "no", "1"), start=2):
            await say(text, n)
        await eventually(lambda: bool(h.sent_to(AGENT)), what="the lead card on Telegram")
        [card] = h.sent_to(AGENT)
        buttons = [b for row in (card.reply_markup or {})["inline_keyboard"] for b in row]
        telegram.push_callback(AGENT, AGENT, buttons[0]["callback_data"], card.message_id)
        await eventually(lambda: len(h.twilio_to(CUSTOMER)) >= 8, what="the customer told")
        await eventually(lambda: "claimed by Amina" in h.sent_to(AGENT)[0].text, what="edit")
        lead = await h.service.ctx.repos.leads.get("ATQ-" + card.text.split("ATQ-")[1][:9])
    bodies = [m["Body"] for m in h.twilio_to(CUSTOMER)]
    assert bodies[0].startswith("When would you like to travel?")
    assert bodies[6].startswith("Thank you, Aisha Bello. Your reference is ATQ-")
    assert "WhatsApp: https://wa.me/2348011112222" in bodies[6]
    assert bodies[7].startswith("Amina will contact you about your enquiry ATQ-")
    assert card.text.startswith("New enquiry ATQ-")
    assert f"WhatsApp: https://wa.me/{CUSTOMER.removeprefix('+')}" in card.text
    assert buttons[0]["text"] == "🙋 Claim"
    assert (lead.status, lead.owner, lead.source, lead.travellers) == (
        LeadStatus.CLAIMED,
        "Amina",
        "t42",
        2,
    )
    assert [r for r in telegram.rejected if r.method != "getUpdates"] == []
