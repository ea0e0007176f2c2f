"""The one Hijri helper: Umm al-Qura dates, moved by the local moon-sighting offset.

Displayed dates and (later) Hijri schedules both call :func:`to_hijri` with the same
``calendar.hijri_offset_days``, so what a person reads and when a job runs never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from hijridate import Gregorian, Hijri

MAX_OFFSET_DAYS = 2
"""Sighting differs from Umm al-Qura by a day, rarely two; more is a configuration mistake."""


@dataclass(frozen=True, slots=True, order=True)
class HijriDate:
    """A day of the Hijri calendar."""

    year: int
    month: int
    """1 = Muharram … 9 = Ramadan … 12 = Dhu al-Hijjah."""
    day: int


def to_hijri(day: date, offset_days: int = 0) -> HijriDate | None:
    """Return the Hijri date of ``day``, or None outside the Umm al-Qura tables (1924-2077).

    ``offset_days`` is added to the Gregorian day first: +1 when the local community started
    the month a day after Umm al-Qura, so the same Gregorian day is one Hijri day earlier —
    that is, the Hijri date shown is that of ``day - offset``.
    """
    _check_offset(offset_days)
    try:
        hijri = Gregorian.fromdate(day - timedelta(days=offset_days)).to_hijri()
    except OverflowError:
        return None
    return HijriDate(hijri.year, hijri.month, hijri.day)


def from_hijri(hijri: HijriDate, offset_days: int = 0) -> date | None:
    """Return the Gregorian day of ``hijri`` as the local community counts it, or None."""
    _check_offset(offset_days)
    try:
        gregorian = Hijri(hijri.year, hijri.month, hijri.day).to_gregorian()
    except (OverflowError, ValueError):
        return None
    return gregorian + timedelta(days=offset_days)


def _check_offset(offset_days: int) -> None:
    if abs(offset_days) > MAX_OFFSET_DAYS:
        raise ValueError(f"hijri offset must be within ±{MAX_OFFSET_DAYS} days, not {offset_days}")
