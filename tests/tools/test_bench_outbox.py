"""The outbox benchmark (bot.tools.bench_outbox): every message sent exactly once, reported."""

from __future__ import annotations

from bot.tools.bench_outbox import BenchResult, format_bench, run_outbox_bench


async def test_bench_sends_every_message_exactly_once() -> None:
    """A small run drains every queued message once and reports it as OK."""
    result = await run_outbox_bench(300, batch_size=50, concurrency=8)
    assert (result.sent_in_db, result.delivered) == (300, 300)
    assert (result.lost, result.duplicated) == (0, 0)
    assert result.ok
    assert result.messages_per_second > 0
    assert result.peak_rss_mb > 0
    assert "300 messages — OK" in format_bench(result)


def test_report_flags_lost_and_duplicated_messages() -> None:
    """The report says FAILED when a message was lost or sent twice."""
    result = BenchResult(
        messages=10,
        enqueue_seconds=0.1,
        drain_seconds=1.0,
        cpu_ms_per_message=0.2,
        peak_rss_mb=50.0,
        sent_in_db=9,
        delivered=9,
        lost=1,
        duplicated=2,
        database="sqlite",
    )
    report = format_bench(result)
    assert "FAILED" in report
    assert "lost 1; duplicated 2" in report
    assert "(10 messages/s)" in report
