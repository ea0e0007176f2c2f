"""Arabic through the Telegram renderer and the fake Bot API: title, link and numbers intact."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.channels.telegram.adapter import TelegramChannel
from bot.channels.telegram.render import utf16_len
from bot.core.ids import BoardId, TopicId
from bot.domain.topics import Topic
from bot.i18n.catalog import shared_catalogs
from bot.i18n.speech import FSI, PDI, speech_in
from handlers.relay.alert import render_topic_alert
from handlers.settings import LAGOS
from tests.channels.telegram.helpers import USER, to
from tests.fakes.telegram_api import FakeTelegramApi

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


async def test_an_arabic_alert_reaches_telegram_with_its_title_link_and_numbers(
    live: TelegramChannel, server: FakeTelegramApi
) -> None:
    """The fake parses the HTML: the bold entity is exactly the title, numbers and link whole."""
    message = render_topic_alert(TOPIC, to(str(USER)), ARABIC, excerpt_chars=600)
    await live.send(message)
    assert server.rejected == []
    [sent] = server.sent
    assert sent.text.startswith(TOPIC.subject)
    assert sent.entities[0] == {"type": "bold", "offset": 0, "length": utf16_len(TOPIC.subject)}
    assert "0803 123 4567" in sent.text
    assert "20/03/2026" in sent.text
    # Latin facts are isolated inside the Arabic line; the date is Lagos time, Hijri beside.
    assert f"{FSI}Umrah & Hajj Travel{PDI}" in sent.text
    assert "الجمعة 6 مارس 2026، 17:05 · 17 رمضان 1447" in sent.text
    assert sent.reply_markup == {"inline_keyboard": [[{"text": "اقرأ في المنتدى", "url": LINK}]]}
