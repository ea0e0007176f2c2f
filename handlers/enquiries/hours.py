"""Business hours: whether agents answer now, when they next do, and minutes open in between.

Computed in the service's time zone, minute by minute of each day's opening (less Friday's
Jumu'ah break), so an escalation clock started on Thursday evening runs from Friday morning.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from handlers.settings import BusinessHours

MAX_DAYS = 14
"""How far ahead the next opening is looked for (a week of closed days is a config mistake)."""


def open_spans(day: date, hours: BusinessHours, tz: ZoneInfo) -> list[tuple[datetime, datetime]]:
    """Return the open periods of one local day (none on a closed day)."""
    if day.weekday() not in hours.days:
        return []
    start = datetime.combine(day, hours.open, tz)
    end = datetime.combine(day, hours.close, tz)
    if day.weekday() == 4 and hours.friday_break is not None:
        pause, resume = (datetime.combine(day, t, tz) for t in hours.friday_break)
        spans = [(start, min(end, pause)), (max(start, resume), end)]
        return [(a, b) for a, b in spans if a < b]
    return [(start, end)]


def is_open(moment: datetime, hours: BusinessHours, tz: ZoneInfo) -> bool:
    """Return whether agents answer at ``moment``."""
    local = moment.astimezone(tz)
    return any(a <= local < b for a, b in open_spans(local.date(), hours, tz))


def next_open(moment: datetime, hours: BusinessHours, tz: ZoneInfo) -> datetime | None:
    """Return when agents next answer (``moment`` itself when open), or None."""
    local = moment.astimezone(tz)
    for offset in range(MAX_DAYS):
        for start, end in open_spans(local.date() + timedelta(days=offset), hours, tz):
            if local < end:
                return max(start, local)
    return None


def open_minutes(start: datetime, end: datetime, hours: BusinessHours, tz: ZoneInfo) -> float:
    """Return the minutes between ``start`` and ``end`` that fall in business hours."""
    if end <= start:
        return 0.0
    total = 0.0
    day = start.astimezone(tz).date()
    last = end.astimezone(tz).date()
    while day <= last:
        for a, b in open_spans(day, hours, tz):
            overlap = (min(b, end) - max(a, start)).total_seconds()
            total += max(overlap, 0.0) / 60
        day += timedelta(days=1)
    return total
