"""Background work started after a webhook was answered, awaited at shutdown."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.core.tasks import BackgroundWork


async def test_background_work_is_awaited_at_drain() -> None:
    """drain() returns only when every spawned task has finished."""
    work = BackgroundWork()
    done: list[int] = []

    async def slow() -> None:
        await asyncio.sleep(0.05)
        done.append(1)

    work.spawn(slow(), name="slow")
    assert len(work) == 1
    await work.drain()
    assert done == [1]
    assert len(work) == 0


async def test_work_spawned_while_draining_is_awaited_too() -> None:
    """A task that spawns another before finishing is not left behind by drain()."""
    work = BackgroundWork()
    done: list[str] = []

    async def second() -> None:
        await asyncio.sleep(0.02)
        done.append("second")

    async def first() -> None:
        await asyncio.sleep(0.01)
        work.spawn(second(), name="second")
        done.append("first")

    work.spawn(first(), name="first")
    await work.drain()
    assert done == ["first", "second"]


async def test_a_failing_task_is_logged_once_and_does_not_stop_the_others(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A failure is logged with the task's name; the other tasks still finish and drain returns."""
    work = BackgroundWork()
    done: list[int] = []

    async def broken() -> None:
        raise ValueError("boom")

    async def fine() -> None:
        await asyncio.sleep(0.01)
        done.append(1)

    with caplog.at_level(logging.ERROR, logger="bot.core.tasks"):
        work.spawn(broken(), name="twilio-inbound:SM1")
        work.spawn(fine(), name="fine")
        await work.drain()
    assert done == [1]
    failures = [r for r in caplog.records if r.name == "bot.core.tasks"]
    assert len(failures) == 1
    assert "twilio-inbound:SM1" in failures[0].getMessage()
    assert failures[0].exc_info is not None
