"""RepeatedLog: an error that repeats is logged at once, then once a minute with a count."""

from __future__ import annotations

import logging

import pytest

from bot.core.repeats import RepeatedLog

LOGGER = "tests.repeats"


class Ticker:
    """A monotonic clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def ticker() -> Ticker:
    """Return a monotonic clock at 1000 s."""
    return Ticker()


@pytest.fixture
def repeated(ticker: Ticker) -> RepeatedLog:
    """Return a RepeatedLog on the test logger with the default one-minute interval."""
    return RepeatedLog(logging.getLogger(LOGGER), monotonic=ticker)


def lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Return the messages logged on the test logger."""
    return [r.getMessage() for r in caplog.records if r.name == LOGGER]


def test_the_first_occurrence_is_logged_at_once(
    repeated: RepeatedLog, caplog: pytest.LogCaptureFixture
) -> None:
    """A new problem is logged immediately, at the level asked for, with its arguments."""
    with caplog.at_level(logging.DEBUG, LOGGER):
        assert repeated.log(logging.WARNING, "poll", "Polling failed: %s", "timeout")
    assert lines(caplog) == ["Polling failed: timeout"]
    assert caplog.records[0].levelno == logging.WARNING


def test_repeats_within_the_minute_are_counted_not_logged(
    repeated: RepeatedLog, ticker: Ticker, caplog: pytest.LogCaptureFixture
) -> None:
    """Repeats inside the interval write nothing; the first line after it carries the count."""
    with caplog.at_level(logging.DEBUG, LOGGER):
        repeated.log(logging.WARNING, "poll", "Polling failed: %s", "timeout")
        suppressed = []
        for _ in range(5):
            ticker.now += 10
            suppressed.append(repeated.log(logging.WARNING, "poll", "Polling failed: %s", "x"))
        ticker.now += 10  # 60 s after the first line
        assert repeated.log(logging.WARNING, "poll", "Polling failed: %s", "timeout")
    assert suppressed == [False] * 5
    assert lines(caplog) == [
        "Polling failed: timeout",
        "Polling failed: timeout (repeated 5 more times in the last 60 s)",
    ]


def test_the_count_covers_the_time_since_the_last_line(
    repeated: RepeatedLog, ticker: Ticker, caplog: pytest.LogCaptureFixture
) -> None:
    """Repeats spread over ten minutes are reported as ten minutes' worth, not one."""
    with caplog.at_level(logging.DEBUG, LOGGER):
        repeated.log(logging.ERROR, "claim", "Claim failed")
        ticker.now += 30
        repeated.log(logging.ERROR, "claim", "Claim failed")
        ticker.now += 570
        repeated.log(logging.ERROR, "claim", "Claim failed")
    assert lines(caplog)[-1] == "Claim failed (repeated 1 more times in the last 600 s)"


def test_a_quiet_minute_starts_over_without_a_count(
    repeated: RepeatedLog, ticker: Ticker, caplog: pytest.LogCaptureFixture
) -> None:
    """A problem that comes back after a quiet interval is logged plainly again."""
    with caplog.at_level(logging.DEBUG, LOGGER):
        repeated.log(logging.WARNING, "poll", "Polling failed")
        ticker.now += 61
        repeated.log(logging.WARNING, "poll", "Polling failed")
    assert lines(caplog) == ["Polling failed", "Polling failed"]


def test_distinct_keys_are_counted_apart(
    repeated: RepeatedLog, ticker: Ticker, caplog: pytest.LogCaptureFixture
) -> None:
    """Each key has its own minute: a second problem is logged while the first is suppressed."""
    with caplog.at_level(logging.DEBUG, LOGGER):
        repeated.log(logging.WARNING, "poll", "Polling failed")
        ticker.now += 1
        assert not repeated.log(logging.WARNING, "poll", "Polling failed")
        assert repeated.log(logging.WARNING, "store", "Storing failed")
    assert lines(caplog) == ["Polling failed", "Storing failed"]


def test_clear_says_how_often_the_problem_repeated_unlogged(
    repeated: RepeatedLog, ticker: Ticker, caplog: pytest.LogCaptureFixture
) -> None:
    """Clearing a key reports its unlogged repeats; the next occurrence is logged at once."""
    with caplog.at_level(logging.DEBUG, LOGGER):
        repeated.log(logging.WARNING, "poll", "Polling failed")
        for _ in range(3):
            ticker.now += 1
            repeated.log(logging.WARNING, "poll", "Polling failed")
        repeated.clear("poll")
        ticker.now += 1
        assert repeated.log(logging.WARNING, "poll", "Polling failed")
    assert lines(caplog) == [
        "Polling failed",
        "poll: repeated 3 more times before it stopped",
        "Polling failed",
    ]


def test_clear_is_silent_when_nothing_was_suppressed(
    repeated: RepeatedLog, caplog: pytest.LogCaptureFixture
) -> None:
    """Clearing a key logged once, or never seen, writes nothing."""
    with caplog.at_level(logging.DEBUG, LOGGER):
        repeated.log(logging.WARNING, "poll", "Polling failed")
        repeated.clear("poll")
        repeated.clear("never-seen")
    assert lines(caplog) == ["Polling failed"]


def test_the_interval_is_configurable(ticker: Ticker, caplog: pytest.LogCaptureFixture) -> None:
    """With a ten-second interval the count comes after ten seconds."""
    repeated = RepeatedLog(logging.getLogger(LOGGER), interval=10.0, monotonic=ticker)
    with caplog.at_level(logging.DEBUG, LOGGER):
        repeated.log(logging.INFO, "k", "Busy")
        ticker.now += 5
        repeated.log(logging.INFO, "k", "Busy")
        ticker.now += 5
        repeated.log(logging.INFO, "k", "Busy")
    assert lines(caplog) == ["Busy", "Busy (repeated 1 more times in the last 10 s)"]
