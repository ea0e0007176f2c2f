"""Crontab lines as APScheduler triggers, in an explicit time zone.

Two traps are handled here once. APScheduler counts weekdays from Monday = 0 where crontab
counts from Sunday = 0 (``CronTrigger.from_crontab`` keeps APScheduler's count), so the weekday
field is translated to day names. And a trigger built by hand takes the host's zone unless
told otherwise, so every trigger gets the service's zone.
"""

from __future__ import annotations

from datetime import tzinfo

from apscheduler.triggers.cron import CronTrigger

_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


class CrontabError(ValueError):
    """A crontab line that cannot be read; the message says what is wrong."""


def crontab_trigger(line: str, tz: tzinfo) -> CronTrigger:
    """Return the trigger of a five-field crontab line (Sunday = 0 or 7) in zone ``tz``."""
    fields = line.split()
    if len(fields) != 5:
        raise CrontabError(f"{line!r}: a crontab line has 5 fields: minute hour day month weekday")
    minute, hour, day, month, weekday = fields
    try:
        return CronTrigger(
            minute=minute,
            hour=hour,
            day=day,
            month=month,
            day_of_week=crontab_weekdays(weekday),
            timezone=tz,
        )
    except ValueError as exc:
        raise CrontabError(f"{line!r}: {exc}") from None


def crontab_weekdays(field: str) -> str:
    """Translate crontab's weekday field to APScheduler day names ("1-5" → "mon,…,fri")."""
    if field in ("*", "?"):
        return "*"
    days: set[int] = set()
    for part in field.lower().split(","):
        base, _, step_text = part.partition("/")
        step = _number(step_text, "step") if step_text else 1
        if step < 1:
            raise CrontabError(f"weekday step {step_text!r} must be at least 1")
        if base == "*":
            first, last = 0, 6
        elif "-" in base:
            low, _, high = base.partition("-")
            first, last = _day(low), _day(high)
        else:
            first = last = _day(base)
            if step_text:
                last = 6
        if last < first:
            raise CrontabError(f"weekday range {base!r} runs backwards")
        days.update(d % 7 for d in range(first, last + 1, step))
    return ",".join(_DAYS[d] for d in sorted(days))


def _day(token: str) -> int:
    token = token.strip()
    if token in _DAYS:
        return _DAYS.index(token)
    value = _number(token, "weekday")
    if not 0 <= value <= 7:
        raise CrontabError(f"weekday {token!r} is not 0-7 (Sunday is 0 or 7)")
    return value


def _number(token: str, what: str) -> int:
    if not token.isascii() or not token.isdigit():
        raise CrontabError(f"{what} {token!r} is not a number")
    return int(token)
