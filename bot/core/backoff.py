"""Retry delays for transient failures: capped exponential backoff with full jitter."""

from __future__ import annotations

import random

# Beyond this many doublings every realistic base has long passed any cap (and 2.0**n overflows).
_MAX_DOUBLINGS = 64


def backoff_delay(attempt: int, base: float, cap: float, rng: random.Random) -> float:
    """Return the seconds to wait before retry number ``attempt`` (1 = first retry).

    Full jitter (a uniform draw between 0 and the capped exponential ceiling) spreads the
    retries of many messages that failed together, e.g. during a platform outage.
    """
    if attempt < 1:
        raise ValueError("attempt starts at 1")
    if base <= 0 or cap <= 0:
        raise ValueError("base and cap must be positive")
    doublings = min(attempt - 1, _MAX_DOUBLINGS)
    ceiling = min(cap, base * 2.0**doublings)
    return rng.uniform(0.0, ceiling)
