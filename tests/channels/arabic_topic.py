"""An Arabic reader's topic alert with Latin text, numbers and a link, for both renderers."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.core.ids import BoardId, TopicId
from bot.domain.topics import Topic
from bot.i18n.catalog import shared_catalogs
from bot.i18n.speech import speech_in
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
