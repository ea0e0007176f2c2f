"""Tests for retry backoff."""

from __future__ import annotations

import random

import pytest

from bot.core.backoff import backoff_delay


def test_delays_stay_under_the_doubling_ceiling() -> None:
    """Each attempt's delay lies between 0 and base * 2**(attempt-1)."""
    rng = random.Random(1)
    for attempt in range(1, 8):
        ceiling = 2.0 * 2 ** (attempt - 1)
        draws = [backoff_delay(attempt, 2.0, 10_000.0, rng) for _ in range(200)]
        assert all(0.0 <= d <= ceiling for d in draws)
        # Jitter: the draws spread over the range instead of sticking to one value.
        assert max(draws) > 0.8 * ceiling
        assert min(draws) < 0.2 * ceiling


def test_delays_are_capped() -> None:
    """Late attempts never wait longer than the cap, even for huge attempt numbers."""
    rng = random.Random(2)
    draws = [backoff_delay(attempt, 2.0, 600.0, rng) for attempt in (20, 100, 5000)]
    assert all(0.0 <= d <= 600.0 for d in draws)


def test_same_seed_gives_same_delays() -> None:
    """The injected random source makes delays reproducible."""
    first = [backoff_delay(3, 1.0, 60.0, random.Random(9)) for _ in range(3)]
    assert first == [backoff_delay(3, 1.0, 60.0, random.Random(9)) for _ in range(3)]


@pytest.mark.parametrize(("attempt", "base", "cap"), [(0, 1.0, 1.0), (1, 0.0, 1.0), (1, 1.0, 0.0)])
def test_invalid_arguments_are_refused(attempt: int, base: float, cap: float) -> None:
    """Attempt numbers below one and non-positive base or cap raise ValueError."""
    with pytest.raises(ValueError, match=r"must|starts"):
        backoff_delay(attempt, base, cap, random.Random(0))
