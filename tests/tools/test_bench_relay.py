"""The relay benchmark's harness: the whole service against a feed server replaying captures."""

from __future__ import annotations

import pytest

from bot.tools.bench_relay import RelayBenchResult, format_relay_bench, run_relay_bench


@pytest.mark.slow
async def test_one_trial_relays_exactly_the_new_topics_over_http() -> None:
    """Switching the served feed from before to after relays topics 11 and 13 and nothing else."""
    result = await run_relay_bench(trials=1, interval=10.0)
    assert result.relayed_exactly_new
    assert len(result.latencies) == 1
    assert result.requests >= 2


def test_the_report_states_the_targets_and_the_verdict() -> None:
    """The printed report compares mean and worst latency with their targets."""
    good = format_relay_bench(RelayBenchResult(10.0, (1.0, 9.0, 5.0), 9, True))
    assert "— OK" in good
    assert "target ≤ 5.5 s" in good
    assert "target ≤ 11 s" in good
    slow = format_relay_bench(RelayBenchResult(10.0, (9.0, 9.5), 6, True))
    assert "— MISSED" in slow
