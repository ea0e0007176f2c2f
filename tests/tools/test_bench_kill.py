"""The kill benchmark: its per-kill arithmetic, verdict and arguments (a run is ~25 s)."""

from __future__ import annotations

from typer.testing import CliRunner

from bot.cli import app
from bot.tools.bench_kill import KillBenchResult, KillRound, duplicates_per_kill, format_kill_bench


def test_each_kill_gets_the_duplicates_that_arrived_after_it() -> None:
    """Running duplicate counts taken at each kill become each kill's own share."""
    rounds = [KillRound(0.3, 900, 4, 200, 0, 1.0), KillRound(0.5, 1500, 4, 120, 3, 1.0)]
    assert [r.duplicates for r in duplicates_per_kill(rounds, total=5)] == [3, 2]


def test_the_verdict_needs_no_loss_duplicates_within_in_flight_and_a_quick_restart() -> None:
    """A kill that repeats more than was in flight, or resumes slowly, misses the target."""
    good = KillRound(0.3, 900, 4, 200, 4, 1.1)
    assert "— OK" in format_kill_bench(KillBenchResult(3000, [good], 3004, 4, 110.0))
    too_many = KillRound(0.3, 900, 4, 200, 5, 1.1)
    assert "MISSED" in format_kill_bench(KillBenchResult(3000, [too_many], 3005, 5, 110.0))
    slow = KillRound(0.3, 900, 4, 200, 0, 3.5)
    assert "MISSED" in format_kill_bench(KillBenchResult(3000, [slow], 3000, 0, 110.0))
    lost = KillBenchResult(3000, [good], 3003, 4, 110.0)
    assert lost.lost == 1
    assert "MISSED" in format_kill_bench(lost)


def test_kill_at_refuses_shares_outside_the_fan_out() -> None:
    """--kill-at takes shares strictly between 0 and 1, and says so."""
    runner = CliRunner()
    for bad in ("0.3,1.2", "half", "0"):
        result = runner.invoke(app, ["bench", "telegram", "--kill-at", bad])
        assert result.exit_code == 2, bad
        assert "--kill-at" in result.output
