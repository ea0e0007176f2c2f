"""A log line for an error that repeats: the first at once, then one a minute with a count."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(slots=True)
class _Seen:
    since: float
    suppressed: int = 0


class RepeatedLog:
    """Log each distinct problem once, then at most once per ``interval`` with a count.

    A loop that retries a failing call (a poll, a claim) must not write a line per attempt:
    one bad update once wrote 264,916 tracebacks in ten minutes.
    """

    def __init__(
        self,
        logger: logging.Logger,
        *,
        interval: float = 60.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._logger = logger
        self._interval = interval
        self._monotonic = monotonic
        self._seen: dict[str, _Seen] = {}

    def log(self, level: int, key: str, message: str, *args: object) -> bool:
        """Log ``message`` unless ``key`` was logged less than an interval ago; True if logged."""
        now = self._monotonic()
        seen = self._seen.get(key)
        if seen is not None and now - seen.since < self._interval:
            seen.suppressed += 1
            return False
        suffix = ""
        if seen is not None and seen.suppressed:
            # Since the line that was logged, which may be far longer ago than one interval.
            elapsed = now - seen.since
            suffix = f" (repeated {seen.suppressed} more times in the last {elapsed:.0f} s)"
        self._seen[key] = _Seen(since=now)
        self._logger.log(level, message + suffix, *args)
        return True

    def clear(self, key: str) -> None:
        """Forget ``key`` (the problem went away), saying how often it repeated unlogged."""
        seen = self._seen.pop(key, None)
        if seen is not None and seen.suppressed:
            self._logger.info("%s: repeated %d more times before it stopped", key, seen.suppressed)
