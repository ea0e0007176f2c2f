"""What customers type: travellers, months and seasons, phone numbers, source codes."""

from __future__ import annotations

import pytest

from handlers.enquiries.parse import month_in, phone_in, source_in, travellers_in


@pytest.mark.parametrize(
    ("typed", "count"),
    [
        ("3", 3),
        ("٣", 3),
        ("2 adults and 1 child", 3),
        ("me and my wife", 2),
        ("two adults", 2),
        ("we are 4", 4),
        ("5 people", 5),
        ("51", 51),  # returned, so the step can say the range
        ("hello", None),
        ("Ramadan 2027 please", None),
        ("", None),
    ],
)
def test_travellers_are_read_from_numbers_and_words(typed: str, count: int | None) -> None:
    """Digits of any script and simple English phrases give the number of people."""
    assert travellers_in(typed) == count


@pytest.mark.parametrize(
    ("typed", "language", "month"),
    [
        ("december", "en", "December"),
        ("Dec", "en", "December"),
        ("Disamba", "ha", "December"),
        ("Oṣù Ọ̀pẹ", "yo", "December"),
        ("ديسمبر", "ar", "December"),
        ("Ramadan", "en", "Ramadan"),
        ("hajj season", "en", "Hajj"),
        ("next year", "en", None),
    ],
)
def test_months_and_seasons_are_read_in_the_customers_language(
    typed: str, language: str, month: str | None
) -> None:
    """Month names come from CLDR in the customer's language; the agent reads English."""
    assert month_in(typed, language) == month


@pytest.mark.parametrize(
    ("typed", "e164"),
    [
        ("08031234567", "+2348031234567"),
        ("+234 803 123 4567", "+2348031234567"),
        ("2348031234567", "+2348031234567"),
        ("٠٨٠٣١٢٣٤٥٦٧", "+2348031234567"),
        ("07012345678", "+2347012345678"),
        ("012345678", None),  # a landline
        ("hello", None),
        ("9" * 40, None),
    ],
)
def test_phone_numbers_are_nigerian_mobiles_in_e164(typed: str, e164: str | None) -> None:
    """phonenumbers parses with region NG; only mobile numbers are kept, as E.164."""
    assert phone_in(typed) == e164


@pytest.mark.parametrize(
    ("typed", "source"),
    [
        ("UMRAH T42", "t42"),
        ("/start enq_t42", "t42"),
        ("/enquire promo-2027", "promo-2027"),
        ("UMRAH", None),
        ("UMRAH <b>", None),
        ("Salam, advert", None),  # not after an entry word
        ("umrah t42 please", None),
    ],
)
def test_a_source_code_follows_the_entry_word(typed: str, source: str | None) -> None:
    """Deep links and prefilled wa.me texts carry where the customer came from."""
    assert source_in(typed, frozenset({"UMRAH", "HAJJ"})) == source
