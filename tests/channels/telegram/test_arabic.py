"""Arabic through the Telegram renderer and the fake Bot API: title, link and numbers intact."""

from __future__ import annotations

from bot.channels.telegram.adapter import TelegramChannel
from bot.channels.telegram.render import utf16_len
from bot.i18n.speech import FSI, PDI
from handlers.relay.alert import render_topic_alert
from tests.channels.arabic_topic import ARABIC, LINK, TOPIC
from tests.channels.telegram.helpers import USER, to
from tests.fakes.telegram_api import FakeTelegramApi


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
