"""Templates per language: the person's language picks the Content SID, else the fallback."""

from __future__ import annotations

import logging
from dataclasses import replace

import pytest

from bot.channels.whatsapp.adapter import WhatsAppChannel
from bot.channels.whatsapp.render import WhatsAppTemplate
from bot.core.ids import ChannelName, ChatId
from bot.core.messages import InboundMessage, OutboundMessage, Recipient, plain
from tests.fakes.twilio_api import DEFAULT_SENDER, FakeTwilioApi

SID = "AC" + "c3" * 16
TOKEN = "e" * 32
ENGLISH = "HX" + "e1" * 16
HAUSA = "HX" + "a1" * 16
ARABIC = "HX" + "b1" * 16
TOPIC_ALERT = WhatsAppTemplate(
    ENGLISH, ("title", "link"), language="en", by_language={"ha": HAUSA, "ar": ARABIC}
)
TO = Recipient(ChannelName("whatsapp"), ChatId("+2348012345678"))


def alert(language: str | None) -> OutboundMessage:
    """Return a topic alert in ``language`` that must go as a template (outside 24 hours)."""
    return OutboundMessage(
        TO,
        (plain("ignored"),),
        kind="topic_alert",
        template_values=(("title", "Umrah 1448"), ("link", "https://forum.example/t/9")),
        use_template=True,
        language=language,
    )


async def _discard(message: InboundMessage) -> None:
    """Inbound messages are not part of these tests."""


@pytest.mark.parametrize(
    ("language", "sid", "fell_back"),
    [
        ("ha", HAUSA, False),
        ("ar", ARABIC, False),
        ("en", ENGLISH, False),
        ("yo", ENGLISH, True),  # no Yoruba version approved: the English one goes
        (None, ENGLISH, False),
    ],
)
async def test_the_template_of_the_persons_language_is_sent(
    language: str | None, sid: str, fell_back: bool, caplog: pytest.LogCaptureFixture
) -> None:
    """The fake accepts the chosen Content SID; a fallback is logged with both languages."""
    caplog.set_level(logging.INFO, logger="bot.channels.whatsapp.adapter")
    templates = {ENGLISH: 2, HAUSA: 2, ARABIC: 2}
    async with FakeTwilioApi.running(SID, TOKEN, templates=templates) as fake:
        channel = WhatsAppChannel(
            SID,
            TOKEN,
            DEFAULT_SENDER,
            _discard,
            api_base_url=fake.base_url,
            templates={"topic_alert": TOPIC_ALERT},
        )
        await channel.start()
        try:
            await channel.send(alert(language))
        finally:
            await channel.stop()
    [stored] = fake.messages
    assert stored.params["ContentSid"] == sid
    fallback_logged = "no yo version, sending the en one" in caplog.text
    assert fallback_logged is fell_back


def test_the_choice_itself_prefers_the_language_then_the_fallback() -> None:
    """choose() returns the SID and the language it is really in."""
    assert TOPIC_ALERT.choose("ha") == (HAUSA, "ha")
    assert TOPIC_ALERT.choose("yo") == (ENGLISH, "en")
    assert replace(TOPIC_ALERT, language="ha").choose("ha") == (ENGLISH, "ha")
