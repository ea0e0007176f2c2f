"""Speech: translated texts with named placeholders, CLDR plurals, isolates, local dates."""

from __future__ import annotations

import io
import logging
from datetime import UTC, date, datetime

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.support import Translations

from bot.i18n.catalog import shared_catalogs
from bot.i18n.speech import FSI, PDI, Speech, speech_in
from handlers.settings import LAGOS


def speech(code: str, *, hijri: bool = False, offset: int = 0) -> Speech:
    """Return the speech of ``code`` from the shipped catalogues, in Lagos time."""
    return speech_in(
        code,
        shared_catalogs().translations(code),
        LAGOS,
        hijri_dates=hijri,
        hijri_offset_days=offset,
    )


def test_a_translation_is_filled_with_named_values() -> None:
    """Hausa fills its own sentence with the values by name."""
    t = speech("ha")
    assert t._("Language: {language}.", language="Hausa") == "Harshe: Hausa."
    assert speech("en")._("Language: {language}.", language="Hausa") == "Language: Hausa."


def test_a_translation_that_breaks_a_placeholder_falls_back_to_english(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A catalogue naming an unknown placeholder gives the English text and logs the catalogue."""
    catalog = Catalog(locale="ha")
    catalog.add("Hello {name}", "Sannu {suna}")
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    t = speech_in("ha", Translations(buffer), LAGOS)
    with caplog.at_level(logging.ERROR):
        assert t._("Hello {name}", name="Musa") == "Hello Musa"
    assert "breaks the placeholders" in caplog.text


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (0, "لا مواضيع جديدة"),
        (1, "موضوع جديد واحد"),
        (2, "موضوعان جديدان"),
        (5, "5 مواضيع جديدة"),
        (11, "11 موضوعًا جديدًا"),
        (100, "100 موضوع جديد"),
    ],
)
def test_arabic_has_six_plural_forms(n: int, expected: str) -> None:
    """Arabic picks zero, one, two, few, many and other by CLDR's rules."""
    assert speech("ar").n_("{n} new topic", "{n} new topics", n) == expected


def test_yoruba_has_one_form_and_english_two() -> None:
    """Yoruba says a count the same way for every number; English singular is one."""
    yo = speech("yo")
    assert yo.n_("{n} new topic", "{n} new topics", 1) == "àkòrí tuntun 1"
    assert yo.n_("{n} new topic", "{n} new topics", 7) == "àkòrí tuntun 7"
    en = speech("en")
    assert en.n_("{n} new topic", "{n} new topics", 1) == "1 new topic"
    assert en.n_("{n} new topic", "{n} new topics", 2) == "2 new topics"


def test_only_a_right_to_left_language_isolates_its_values() -> None:
    """An Arabic sentence isolates a Latin value; English leaves it alone."""
    assert speech("ar")._("Language: {language}.", language="Hausa") == (f"اللغة: {FSI}Hausa{PDI}.")
    assert speech("ar").isolate("العربية") == "العربية"
    assert speech("en").isolate("Hausa") == "Hausa"


def test_dates_are_local_and_in_the_readers_language() -> None:
    """09:05 UTC is 10:05 in Lagos; weekday and month names are the language's."""
    moment = datetime(2026, 3, 6, 9, 5, tzinfo=UTC)
    assert speech("en").moment(moment) == "Fri 6 Mar 2026, 10:05"
    assert speech("ha").moment(moment) == "Jum 6 Mar 2026, 10:05"
    assert speech("yo").day(moment) == "Ẹtì 6 Oṣù Ẹrẹ̀nà 2026"
    assert speech("ar").day(date(2026, 3, 6)) == "الجمعة 6 مارس 2026"


def test_the_hijri_date_is_shown_beside_when_asked() -> None:
    """With hijri_dates the Umm al-Qura date follows, its month named in the language."""
    day = date(2026, 3, 6)
    assert speech("en", hijri=True).day(day) == "Fri 6 Mar 2026 · 17 Ramadan 1447"
    assert speech("ha", hijri=True).day(day) == "Jum 6 Mar 2026 · 17 Ramadan 1447"
    assert speech("ar", hijri=True).day(day).endswith("17 رمضان 1447")
    assert speech("en", hijri=True, offset=1).day(day) == "Fri 6 Mar 2026 · 16 Ramadan 1447"
    assert speech("en").day(day) == "Fri 6 Mar 2026"


def test_a_date_late_in_the_lagos_evening_is_that_day() -> None:
    """23:30 UTC on the 5th is 00:30 on the 6th in Lagos: the day shown is the 6th."""
    assert speech("en").day(datetime(2026, 3, 5, 23, 30, tzinfo=UTC)) == "Fri 6 Mar 2026"


def test_hijri_month_names_are_catalogue_entries_in_hausa_and_yoruba() -> None:
    """No CLDR or Hijri library names the months in Hausa or Yoruba: the catalogues do."""
    day = date(2026, 5, 27)  # 10 Dhu al-Hijjah 1447, Eid al-Adha
    assert speech("en", hijri=True).hijri(day) == "10 Dhu al-Hijjah 1447"
    assert speech("ha", hijri=True).hijri(day) == "10 Zulhajji 1447"
    assert speech("yo", hijri=True).hijri(day) == "10 Dhul Hijjah 1447"
    assert speech("ar", hijri=True).hijri(day) == "10 ذو الحجة 1447"
