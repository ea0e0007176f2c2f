"""Arabic through the WhatsApp renderer: the link and every number intact."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.channels.whatsapp.render import render_whatsapp
from bot.core.ids import BoardId, ChannelName, ChatId, TopicId
from bot.core.messages import Recipient
from bot.domain.topics import Topic
from bot.i18n.catalog import shared_catalogs
from bot.i18n.speech import speech_in
from handlers.relay.alert import render_topic_alert
from handlers.settings import LAGOS

ARABIC = speech_in("ar", shared_catalogs().translations("ar"), LAGOS, hijri_dates=True)
LINK = "https://forum.example/index.php?topic=1448.0"
TOPIC = Topic(
    topic_id=TopicId(1448),
    board_id=BoardId(4),
    board_name="Umrah & Hajj Travel",
    subject="Umrah 1448: 12 seats left, ₦4,500,000",
    link=LINK,
    posted_at=datetime(2026, 3, 6, 16, 5, tzinfo=UTC),
    author="Al-Hikmah Travels",
    body_html="Departure 20/03/2026 — <b>3 nights</b> in Madinah. Call 0803 123 4567.",
    guid=None,
)


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
