"""Reading what customers type: a number of travellers, a month or season, a phone number.

Pure functions, so every odd input has a table test. Digits of any script count ("٣");
English words are understood too ("2 adults and 1 child" → 3), and month names in the
customer's own language come from CLDR through Babel.
"""

from __future__ import annotations

import re
import unicodedata

import phonenumbers
from babel.dates import get_month_names

from bot.core.choices import keyword_of

MAX_TRAVELLERS = 50
SOURCE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
"""What a deep link's payload may carry (Telegram's own rule for ``start`` parameters)."""
_NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "myself": 1, "me": 1, "two": 2, "couple": 2, "three": 3,
    "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12,
}  # fmt: skip
_RELATIVES = frozenset(
    {"wife", "husband", "mother", "mum", "father", "dad", "son", "daughter", "brother", "sister",
     "friend", "mama", "baba"}
)  # fmt: skip
"""Each one person ("me and my wife" is two)."""
_PEOPLE = re.compile(
    r"\b(adults?|child(?:ren)?|kids?|people|persons?|pax|travell?ers?|of us|infants?|babies|baby)\b"
)
_MOBILE = {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}
SEASONS = ("ramadan", "hajj")
"""Seasons a customer may name instead of a month."""


def travellers_in(text: str) -> int | None:
    """Return how many people travel ("3", "2 adults and 1 child", "٣"), or None.

    A count outside 1..50 is returned as it is, for the caller to refuse with the range.
    """
    folded = _digits(text).casefold().strip()
    if not folded:
        return None
    numbers = [int(n) for n in re.findall(r"\d+", folded)]
    if len(numbers) == 1 and folded.strip(" .") == str(numbers[0]):
        return numbers[0]
    words = re.findall(r"[^\W\d_]+", folded)
    counted = numbers + [_NUMBER_WORDS[w] for w in words if w in _NUMBER_WORDS and w != "me"]
    counted += [1 for w in words if w in _RELATIVES]
    if _PEOPLE.search(folded) or ("and" in words and counted):
        if "me" in words and "myself" not in words:
            counted.append(1)
        return sum(counted) if counted else None
    # "3 please", "we are 4": one small number among a few words.
    small = [n for n in numbers if n < 1000]
    return small[0] if len(small) == 1 == len(numbers) and len(words) <= 3 else None


def month_in(text: str, language: str) -> str | None:
    """Return the month or season named in ``text`` ("december", "Dec", "Ramadan"), or None.

    Months are returned in English ("December") for the agent; seasons as "Ramadan" or "Hajj".
    """
    folded = _fold(text)
    for season in SEASONS:
        if season in folded.split() or folded.startswith(season):
            return season.capitalize()
    english = get_month_names("wide", locale="en")
    for code in dict.fromkeys((language, "en")):
        for width in ("wide", "abbreviated"):
            for number, name in get_month_names(width, locale=code).items():
                if _fold(str(name)) in folded.split() or folded == _fold(str(name)):
                    return str(english[number])
    return None


def phone_in(text: str, region: str = "NG") -> str | None:
    """Return a mobile number in E.164 ("08031234567" → "+2348031234567"), or None."""
    candidate = _digits(text).strip()
    if not candidate or len(candidate) > 32:
        return None
    if candidate[0].isdigit() and candidate.startswith("234") and len(candidate) >= 13:
        candidate = "+" + candidate  # typed without the plus
    try:
        parsed = phonenumbers.parse(candidate, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed) or phonenumbers.number_type(parsed) not in _MOBILE:
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def source_in(text: str, entry_words: frozenset[str] = frozenset()) -> str | None:
    """Return the source code after an entry word or command ("UMRAH T42", "/start enq_t42").

    Only right after a command or one of ``entry_words`` (folded): in "I saw your advert"
    the last word is no source.
    """
    parts = text.split()
    if len(parts) != 2:
        return None
    head = parts[0]
    if not head.startswith("/") and keyword_of(head) not in entry_words:
        return None
    code = parts[-1].removeprefix("enq_")
    return code.lower() if SOURCE.match(code) else None


def ad_source(referral: str) -> str:
    """Return the source of a click-to-WhatsApp ad: ``ad_<its id>``, cut to the source rule."""
    kept = re.sub(r"[^A-Za-z0-9_-]", "", referral)[:61]
    return f"ad_{kept}" if kept else "ad"


def _digits(text: str) -> str:
    """Return ``text`` with every decimal digit (Arabic-Indic too) as an ASCII digit."""
    return "".join(str(unicodedata.digit(ch)) if ch.isdecimal() else ch for ch in text)


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    kept = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[^\w\s]", " ", kept).split())
