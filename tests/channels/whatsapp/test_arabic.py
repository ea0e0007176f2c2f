"""Arabic through the WhatsApp renderer: the link and every number intact."""

from __future__ import annotations

from bot.channels.whatsapp.render import render_whatsapp
from bot.core.ids import ChannelName, ChatId
from bot.core.messages import Recipient
from handlers.relay.alert import render_topic_alert
from tests.channels.arabic_topic import ARABIC, LINK, TOPIC


def test_an_arabic_alert_reaches_whatsapp_with_its_link_and_numbers() -> None:
    """The WhatsApp body keeps the link as typed and every digit of the title and excerpt."""
    message = render_topic_alert(
        TOPIC, Recipient(ChannelName("whatsapp"), ChatId("+2348012345678")), ARABIC, 600
    )
    body = render_whatsapp(message).body
    assert f"اقرأ في المنتدى: {LINK}" in body
    assert "1448" in body
    assert "12 seats left" in body
    assert "0803 123 4567" in body
    assert not render_whatsapp(message).truncated
