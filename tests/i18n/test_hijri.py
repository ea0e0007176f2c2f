"""The Hijri helper: Umm al-Qura dates, the local sighting offset, and its limits."""

from __future__ import annotations

from datetime import date

import pytest

from bot.i18n.hijri import HijriDate, from_hijri, to_hijri


@pytest.mark.parametrize(
    ("gregorian", "hijri"),
    [
        (date(2026, 2, 18), HijriDate(1447, 9, 1)),  # 1 Ramadan 1447 in Umm al-Qura
        (date(2026, 3, 6), HijriDate(1447, 9, 17)),
        (date(2026, 3, 20), HijriDate(1447, 10, 1)),  # 1 Shawwal 1447, Eid al-Fitr
        (date(2025, 6, 26), HijriDate(1447, 1, 1)),  # 1 Muharram 1447, the new year
    ],
)
def test_known_days_convert_both_ways(gregorian: date, hijri: HijriDate) -> None:
    """Known Umm al-Qura days convert to Hijri and back to the same Gregorian day."""
    assert to_hijri(gregorian) == hijri
    assert from_hijri(hijri) == gregorian


def test_the_offset_follows_a_later_local_sighting() -> None:
    """With +1 the month starts a day later: 18 Feb is still 29 Shaban, 19 Feb is 1 Ramadan."""
    assert to_hijri(date(2026, 2, 18), 1) == HijriDate(1447, 8, 29)
    assert to_hijri(date(2026, 2, 19), 1) == HijriDate(1447, 9, 1)
    assert from_hijri(HijriDate(1447, 9, 1), 1) == date(2026, 2, 19)
    assert from_hijri(HijriDate(1447, 9, 1), -1) == date(2026, 2, 17)


def test_days_outside_the_tables_have_no_hijri_date() -> None:
    """Umm al-Qura covers 1924-2077; outside it there is no date rather than a wrong one."""
    assert to_hijri(date(1900, 1, 1)) is None
    assert from_hijri(HijriDate(1600, 1, 1)) is None


def test_an_offset_beyond_two_days_is_refused() -> None:
    """More than two days from Umm al-Qura is a configuration mistake, not a sighting."""
    with pytest.raises(ValueError, match="within ±2"):
        to_hijri(date(2026, 1, 1), 3)
