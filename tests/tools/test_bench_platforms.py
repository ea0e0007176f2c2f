"""The platform benchmark's arithmetic: steady rate, lost and duplicated, and the verdict."""

from __future__ import annotations

from bot.tools.bench_platforms import PlatformBenchResult, format_platform_bench
from tests.fakes.bench_server import summarise


def test_the_steady_rate_leaves_out_the_first_seconds_burst() -> None:
    """A burst of 30 at t=0 then 30/s gives a steady rate of 30, not the inflated overall rate."""
    times = [0.0] * 30 + [(i + 1) / 30 for i in range(300)]
    stats = summarise(times, [str(i) for i in range(len(times))], 30.0)
    assert abs(stats["steady_rate"] - 30.0) < 1e-6
    assert stats["overall_rate"] > 32
    assert stats["duplicates"] == 0


def test_duplicates_are_counted_per_chat_and_text() -> None:
    """The same text to the same chat twice is one duplicate; the same text elsewhere is not."""
    stats = summarise([0.0, 0.1, 0.2], ["1:hi", "1:hi", "2:hi"], 30.0)
    assert stats["duplicates"] == 1


def _result(**stats: object) -> PlatformBenchResult:
    base: dict[str, object] = {
        "accepted": 3000,
        "duplicates": 0,
        "steady_rate": 29.7,
        "overall_rate": 30.2,
        "seconds": 100.0,
        "count_429": 0,
    }
    base.update(stats)
    return PlatformBenchResult("telegram", 3000, 30.0, base, 110.0, 101.0)


def test_the_verdict_needs_every_target() -> None:
    """OK only with ≥ 98.5 % of the limit, no 429, nothing lost or duplicated."""
    assert "— OK" in format_platform_bench(_result())
    assert "— MISSED" in format_platform_bench(_result(steady_rate=29.5))
    assert "— MISSED" in format_platform_bench(_result(count_429=1))
    assert "— MISSED" in format_platform_bench(_result(accepted=2999))
    missed = _result(accepted=3001, duplicates=1)
    assert (missed.lost, missed.duplicated) == (0, 1)
    assert "— MISSED" in format_platform_bench(missed)
