"""Crontab lines as triggers: crontab's weekday count, and always the service's zone."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from scheduler.cron import CrontabError, crontab_trigger, crontab_weekdays

LAGOS = ZoneInfo("Africa/Lagos")
FRIDAY = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


@pytest.fixture
def host_in_utc() -> Iterator[None]:
    """Run the test on a host whose zone is UTC (TZ=UTC), as containers usually are."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    try:
        yield
    finally:
        if before is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = before
        time.tzset()


def _fires(line: str, after: datetime, count: int, tz: ZoneInfo = LAGOS) -> list[datetime]:
    trigger = crontab_trigger(line, tz)
    found: list[datetime] = []
    previous: datetime | None = None
    now = after
    for _ in range(count):
        fire = trigger.get_next_fire_time(previous, now)
        assert fire is not None
        found.append(fire)
        previous, now = fire, fire + timedelta(seconds=1)
    return found


@pytest.mark.usefixtures("host_in_utc")
def test_a_trigger_fires_in_the_service_zone_on_a_utc_host() -> None:
    """With TZ=UTC on the host, a daily 20:00 job fires at 20:00 Lagos (19:00 UTC)."""
    [first, second] = _fires("0 20 * * *", FRIDAY, 2)
    assert first == datetime(2026, 11, 27, 20, 0, tzinfo=LAGOS)
    assert first.astimezone(UTC) == datetime(2026, 11, 27, 19, 0, tzinfo=UTC)
    assert second == datetime(2026, 11, 28, 20, 0, tzinfo=LAGOS)
    assert crontab_trigger("0 20 * * *", LAGOS).timezone == LAGOS


@pytest.mark.usefixtures("host_in_utc")
def test_another_zone_is_honoured_too() -> None:
    """The zone given wins over the host's: 09:00 in Tokyo is 00:00 UTC."""
    [fire] = _fires("0 9 * * *", FRIDAY, 1, ZoneInfo("Asia/Tokyo"))
    assert fire.astimezone(UTC) == datetime(2026, 11, 28, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize("sunday", ["0", "7", "sun"])
def test_sunday_is_zero_or_seven_as_crontab_counts(sunday: str) -> None:
    """Weekday 0 (or 7) is Sunday, not APScheduler's Monday."""
    fires = _fires(f"0 9 * * {sunday}", FRIDAY, 2)
    assert fires == [
        datetime(2026, 11, 29, 9, 0, tzinfo=LAGOS),
        datetime(2026, 12, 6, 9, 0, tzinfo=LAGOS),
    ]
    assert {f.strftime("%A") for f in fires} == {"Sunday"}


def test_weekdays_one_to_five_are_monday_to_friday() -> None:
    """ "1-5" skips the weekend: from Friday 10:00 the next runs are Monday to Friday."""
    fires = _fires("0 9 * * 1-5", FRIDAY, 5)
    assert [f.strftime("%a %d") for f in fires] == [
        "Mon 30",
        "Tue 01",
        "Wed 02",
        "Thu 03",
        "Fri 04",
    ]


@pytest.mark.parametrize(
    ("field", "days"),
    [
        ("*", "*"),
        ("?", "*"),
        ("0", "sun"),
        ("7", "sun"),
        ("1", "mon"),
        ("6", "sat"),
        ("1-5", "mon,tue,wed,thu,fri"),
        ("0,6", "sun,sat"),
        ("5-7", "sun,fri,sat"),
        ("*/2", "sun,tue,thu,sat"),
        ("1/2", "mon,wed,fri"),
        ("1-5/2", "mon,wed,fri"),
        ("SUN,sat", "sun,sat"),
        ("mon-fri", "mon,tue,wed,thu,fri"),
    ],
)
def test_the_weekday_field_becomes_apscheduler_day_names(field: str, days: str) -> None:
    """Crontab weekday numbers (Sunday = 0) become day names APScheduler cannot misread."""
    assert crontab_weekdays(field) == days


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("0 9 * *", "5 fields"),
        ("0 9 * * * *", "5 fields"),
        ("0 9 * * 8", "is not 0-7"),
        ("0 9 * * 5-1", "runs backwards"),
        ("0 9 * * x", "is not a number"),
        ("0 9 * * */0", "at least 1"),
        ("0 9 * * ١", "is not a number"),
        ("61 9 * * *", "61"),
        ("0 25 * * *", "25"),
    ],
)
def test_a_bad_line_is_refused_with_what_is_wrong(line: str, message: str) -> None:
    """A malformed crontab line raises CrontabError naming the line and the problem."""
    with pytest.raises(CrontabError, match=message) as raised:
        crontab_trigger(line, LAGOS)
    assert isinstance(raised.value, ValueError)
    assert repr(line) in str(raised.value)
