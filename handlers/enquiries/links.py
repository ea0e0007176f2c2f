"""Links into the enquiry: a t.me deep link and a wa.me link with the entry word prefilled."""

from __future__ import annotations

from urllib.parse import quote

from handlers.enquiries.parse import SOURCE
from handlers.settings import EnquirySettings

ENTRY_WORD = "UMRAH"
"""What a wa.me link types for the customer (then the source: ``UMRAH t42``)."""


def telegram_link(settings: EnquirySettings, source: str) -> str | None:
    """Return ``https://t.me/<bot>?start=enq_<source>``, or None without a bot username."""
    _check(source)
    if not settings.telegram_username:
        return None
    return f"https://t.me/{settings.telegram_username}?start=enq_{source}"


def whatsapp_link(settings: EnquirySettings, source: str) -> str | None:
    """Return ``https://wa.me/<sender>?text=UMRAH%20<source>``, or None without WhatsApp."""
    _check(source)
    if not settings.whatsapp_number:
        return None
    text = quote(f"{ENTRY_WORD} {source}")
    return f"https://wa.me/{settings.whatsapp_number.removeprefix('+')}?text={text}"


def link_for(settings: EnquirySettings, talks_in_words: bool, source: str) -> str | None:
    """Return the enquiry link for a reader: where people talk in words (WhatsApp), the
    wa.me link that types the entry word for them; elsewhere the deep link."""
    if talks_in_words:
        return whatsapp_link(settings, source)
    return telegram_link(settings, source)


def _check(source: str) -> None:
    if not SOURCE.match(source):
        raise ValueError(f"a source is 1-64 characters of A-Z a-z 0-9 _ -, not {source!r}")
