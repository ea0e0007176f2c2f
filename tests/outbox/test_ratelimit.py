"""Tests for the exact token-bucket rate limiter."""

from __future__ import annotations

import itertools
import math
import random
from collections import defaultdict

import pytest

from bot.core.messages import ChatKind
from bot.core.rates import RatePolicy
from bot.outbox.ratelimit import RateLimiter

TELEGRAM_LIKE = RatePolicy(
    global_per_second=29.0,
    global_burst=29,
    per_chat_per_second=0.95,
    per_chat_burst=3,
    per_group_per_minute=19.0,
    per_group_burst=3,
)


class FakeMonotonic:
    """A monotonic clock that moves only when a test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def assert_never_exceeds(times: list[float], rate: float, burst: int) -> None:
    """Fail when any window [t_i, t_j] holds more than burst + rate * (t_j - t_i) sends."""
    ordered = sorted(times)
    for i in range(len(ordered)):
        for j in range(i, len(ordered)):
            allowed = burst + rate * (ordered[j] - ordered[i])
            assert j - i + 1 <= allowed + 1e-6, (i, j, ordered[i], ordered[j])


def test_burst_goes_at_once_then_the_rate_spaces_sends() -> None:
    """The first `burst` sends go immediately and the rest follow exactly 1/rate apart."""
    clock = FakeMonotonic()
    limiter = RateLimiter(RatePolicy(global_per_second=10.0, global_burst=5), clock)
    delays = [limiter.reserve(f"tg:{i}", ChatKind.PRIVATE) for i in range(8)]
    assert delays[:5] == [0.0] * 5
    assert delays[5:] == pytest.approx([0.1, 0.2, 0.3], abs=1e-6)
    assert all(later > earlier for earlier, later in itertools.pairwise(delays[5:]))


def test_random_traffic_never_exceeds_any_bucket() -> None:
    """Under random traffic no window ever holds more than burst + rate*t, globally or per chat."""
    rng = random.Random(7)
    clock = FakeMonotonic()
    limiter = RateLimiter(TELEGRAM_LIKE, clock)
    sends: list[float] = []
    per_key: dict[str, list[float]] = defaultdict(list)
    kinds = {f"tg:{n}": ChatKind.PRIVATE for n in range(8)}
    kinds.update({f"tg:-{n}": ChatKind.GROUP for n in range(3)})
    kinds["tg:-100"] = ChatKind.CHANNEL
    keys = sorted(kinds)
    for _ in range(600):
        key = rng.choice(keys)
        at = clock.now + limiter.reserve(key, kinds[key])
        sends.append(at)
        per_key[key].append(at)
        clock.now += rng.choice([0.0, 0.0, 0.001, 0.02, 0.2])
    assert_never_exceeds(sends, 29.0, 29)
    for key, times in per_key.items():
        if kinds[key] is ChatKind.PRIVATE:
            assert_never_exceeds(times, 0.95, 3)
        else:
            assert_never_exceeds(times, 19.0 / 60.0, 3)


def test_sends_booked_on_the_calendar_fill_the_global_rate() -> None:
    """Many distinct chats, all queued at once, are scheduled at the full global rate."""
    clock = FakeMonotonic()
    limiter = RateLimiter(TELEGRAM_LIKE, clock)
    delays = [limiter.reserve(f"tg:{i}", ChatKind.PRIVATE) for i in range(29 + 290)]
    # After the burst, 290 sends take 10 s at 29/s: no slot is wasted.
    assert delays[-1] == pytest.approx(10.0, abs=1e-6)


def test_a_waiting_chat_does_not_block_other_chats() -> None:
    """A chat that must wait for its own bucket leaves the global gap to other chats."""
    clock = FakeMonotonic()
    policy = RatePolicy(
        global_per_second=10.0, global_burst=2, per_chat_per_second=1.0, per_chat_burst=1
    )
    limiter = RateLimiter(policy, clock)
    assert limiter.reserve("tg:1", ChatKind.PRIVATE) == 0.0
    assert limiter.reserve("tg:1", ChatKind.PRIVATE) == pytest.approx(1.0, abs=1e-6)
    assert limiter.reserve("tg:2", ChatKind.PRIVATE) == 0.0
    assert limiter.reserve("tg:3", ChatKind.PRIVATE) == pytest.approx(0.1, abs=1e-6)


def test_an_early_gap_is_refused_when_it_would_starve_a_later_booking() -> None:
    """A send is not squeezed before a booking when that would leave the booking no token."""
    clock = FakeMonotonic()
    policy = RatePolicy(
        global_per_second=1.0, global_burst=1, per_chat_per_second=0.5, per_chat_burst=1
    )
    limiter = RateLimiter(policy, clock)
    sends = [clock.now + limiter.reserve("tg:1", ChatKind.PRIVATE)]
    sends.append(clock.now + limiter.reserve("tg:1", ChatKind.PRIVATE))  # booked at +2 s
    clock.now += 0.5
    # Global has a token at +1 s, and +1 s to +2 s leaves the booking at +2 s its own token.
    sends.append(clock.now + limiter.reserve("tg:2", ChatKind.PRIVATE))
    sends.append(clock.now + limiter.reserve("tg:3", ChatKind.PRIVATE))
    assert sends[2] - 1000.0 == pytest.approx(1.0, abs=1e-6)
    assert sends[3] - 1000.0 == pytest.approx(3.0, abs=1e-6)
    assert_never_exceeds(sends, 1.0, 1)


def test_hold_is_honoured_exactly_and_only_for_its_recipient() -> None:
    """A held recipient waits exactly retry_after while other recipients go on at once."""
    clock = FakeMonotonic()
    limiter = RateLimiter(TELEGRAM_LIKE, clock)
    limiter.hold("tg:1", 7.0)
    assert limiter.earliest("tg:1", ChatKind.PRIVATE) == 7.0
    assert limiter.held_for("tg:1") == 7.0
    assert limiter.reserve("tg:2", ChatKind.PRIVATE) == 0.0
    clock.now += 2.5
    assert limiter.reserve("tg:1", ChatKind.PRIVATE) == pytest.approx(4.5, abs=1e-9)
    clock.now += 4.5
    assert limiter.held_for("tg:1") == 0.0


def test_hold_covers_every_thread_of_a_chat() -> None:
    """A hold on a forum thread also holds the rest of that chat, which the platform limits."""
    clock = FakeMonotonic()
    limiter = RateLimiter(TELEGRAM_LIKE, clock)
    limiter.hold("tg:-5/12", 3.0)
    assert limiter.earliest("tg:-5/99", ChatKind.GROUP) == 3.0
    assert limiter.earliest("tg:-6/12", ChatKind.GROUP) == 0.0


def test_hold_all_delays_every_recipient() -> None:
    """A channel-wide hold delays every recipient by exactly the hold."""
    clock = FakeMonotonic()
    limiter = RateLimiter(TELEGRAM_LIKE, clock)
    limiter.hold_all(5.0)
    assert limiter.reserve("tg:1", ChatKind.PRIVATE) == 5.0
    assert limiter.earliest("tg:-1", ChatKind.GROUP) == 5.0
    assert limiter.held_for("tg:2") == 5.0


def test_earliest_peeks_without_booking() -> None:
    """Peeking any number of times leaves every token in the bucket."""
    clock = FakeMonotonic()
    limiter = RateLimiter(RatePolicy(global_per_second=1.0, global_burst=1), clock)
    for _ in range(5):
        assert limiter.earliest("tg:1", ChatKind.PRIVATE) == 0.0
    assert limiter.reserve("tg:1", ChatKind.PRIVATE) == 0.0
    assert limiter.earliest("tg:1", ChatKind.PRIVATE) == pytest.approx(1.0, abs=1e-6)


def test_reserve_beyond_max_delay_books_nothing() -> None:
    """A reservation refused for being too far away does not consume a token."""
    clock = FakeMonotonic()
    policy = RatePolicy(
        global_per_second=100.0, global_burst=10, per_chat_per_second=1.0, per_chat_burst=1
    )
    limiter = RateLimiter(policy, clock)
    assert limiter.reserve("tg:1", ChatKind.PRIVATE) == 0.0
    assert limiter.reserve("tg:1", ChatKind.PRIVATE, max_delay=0.5) == pytest.approx(1.0, abs=1e-6)
    assert limiter.reserve("tg:1", ChatKind.PRIVATE) == pytest.approx(1.0, abs=1e-6)


def test_groups_and_channels_use_the_per_minute_group_limit() -> None:
    """Groups and channels get the group bucket; private chats the per-chat bucket."""
    clock = FakeMonotonic()
    limiter = RateLimiter(TELEGRAM_LIKE, clock)
    for kind, key in ((ChatKind.GROUP, "tg:-1"), (ChatKind.CHANNEL, "tg:-2")):
        delays = [limiter.reserve(key, kind) for _ in range(4)]
        assert delays[:3] == [0.0, 0.0, 0.0]
        assert delays[3] == pytest.approx(60.0 / 19.0, abs=1e-6)
    delays = [limiter.reserve("tg:1", ChatKind.PRIVATE) for _ in range(4)]
    assert delays[3] == pytest.approx(1 / 0.95, abs=1e-6)


def test_idle_full_buckets_are_forgotten() -> None:
    """Buckets of chats that went quiet and refilled are evicted, bounding memory."""
    clock = FakeMonotonic()
    limiter = RateLimiter(TELEGRAM_LIKE, clock, sweep_every=10.0)
    for n in range(500):
        limiter.reserve(f"tg:{n}", ChatKind.PRIVATE)
    limiter.hold("tg:1", 1.0)
    assert len(limiter) == 501
    clock.now += 60.0
    limiter.reserve("tg:new", ChatKind.PRIVATE)
    assert len(limiter) == 1


def test_unlimited_policy_never_delays() -> None:
    """The unlimited policy answers zero for any amount of traffic."""
    limiter = RateLimiter(RatePolicy.unlimited(), FakeMonotonic())
    assert {limiter.reserve(f"tg:{n % 3}", ChatKind.PRIVATE) for n in range(1000)} == {0.0}
    assert len(limiter) == 0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"global_per_second": 0.0, "global_burst": 1},
        {"global_per_second": 1.0, "global_burst": 0},
        {"global_per_second": 1.0, "global_burst": 1, "per_chat_per_second": -1.0},
        {"global_per_second": 1.0, "global_burst": 1, "per_group_per_minute": 0.0},
    ],
)
def test_policy_rejects_impossible_values(kwargs: dict[str, float]) -> None:
    """A policy with a non-positive rate or a burst below one is refused."""
    with pytest.raises(ValueError, match="must be"):
        RatePolicy(**kwargs)  # type: ignore[arg-type]


def test_unlimited_policy_is_infinite() -> None:
    """The unlimited policy's global rate is infinite, not merely large."""
    assert math.isinf(RatePolicy.unlimited().global_per_second)


def test_spacing_is_the_steady_gap_of_the_chat_kind() -> None:
    """Spacing answers 1/rate of the per-chat or per-group bucket, 0 when unlimited."""
    limiter = RateLimiter(TELEGRAM_LIKE, FakeMonotonic())
    assert limiter.spacing(ChatKind.PRIVATE) == pytest.approx(1 / 0.95)
    assert limiter.spacing(ChatKind.CHANNEL) == pytest.approx(60 / 19)
    assert RateLimiter(RatePolicy.unlimited(), FakeMonotonic()).spacing(ChatKind.GROUP) == 0.0


def test_the_outbox_re_exports_the_core_policy() -> None:
    """bot.outbox.ratelimit.RatePolicy is the platforms' bot.core.rates.RatePolicy itself."""
    from bot.core import rates
    from bot.outbox import ratelimit

    assert ratelimit.RatePolicy is rates.RatePolicy
    assert "RatePolicy" in ratelimit.__all__
