"""InboxIntake: each inbound item is stored once before the hook returns; then the worker wakes."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.exc import OperationalError

from bot.core.channel import UnreadableInbound
from bot.core.ids import ChannelName, ChatId, InboxId, UserId
from bot.core.messages import InboundMessage
from bot.core.reports import DeliveryReport, DeliveryState
from bot.domain.inbox import InboxKind, InboxState, NewInboxItem
from bot.inbox.codec import message_from_json, report_from_json
from bot.inbox.intake import REPORTS, InboxIntake
from bot.outbox.port import WorkSignal
from bot.storage.db import Database
from bot.storage.repositories.inbox import InboxRepo

LEASE = timedelta(seconds=60)


def hello(ref: str | None = "telegram:update:1", chat: str = "42") -> InboundMessage:
    """Return a text message from a private Telegram chat."""
    return InboundMessage(
        channel=ChannelName("telegram"),
        chat_id=ChatId(chat),
        sender_id=UserId(chat),
        text="/start",
        received_at=datetime(2026, 3, 1, 9, 0, tzinfo=UTC),
        message_ref=ref,
    )


async def woken(signal: WorkSignal) -> bool:
    """Return whether ``signal`` was notified (and forget it)."""
    try:
        await asyncio.wait_for(signal.wait(), timeout=0.01)
    except TimeoutError:
        return False
    signal.clear()
    return True


class BrokenWriter:
    """An inbox whose database is locked: every add fails as SQLAlchemy reports it."""

    async def add(self, item: NewInboxItem) -> InboxId | None:
        raise OperationalError("INSERT INTO inbox", {}, sqlite3.OperationalError("locked"))

    async def add_many(self, items: Sequence[NewInboxItem]) -> int:
        raise OperationalError("INSERT INTO inbox", {}, sqlite3.OperationalError("locked"))


@pytest.fixture
def repo(memory_db: Database) -> InboxRepo:
    """Return the inbox repository on a migrated in-memory database."""
    return InboxRepo(memory_db)


async def test_a_message_is_stored_under_its_platform_ref_and_wakes_the_worker(
    repo: InboxRepo,
) -> None:
    """The message is stored under (channel, message_ref), keyed by its chat, and signalled."""
    intake = InboxIntake(repo)
    await intake.accept(hello())
    assert await woken(intake.signal)
    [item] = await repo.claim_messages(limit=10, lease=LEASE)
    assert (item.platform, item.provider_ref) == ("telegram", "telegram:update:1")
    assert (item.kind, item.chat_key) == (InboxKind.MESSAGE, "telegram:42")
    assert message_from_json(item.payload) == hello()


async def test_a_redelivered_message_is_stored_once_and_wakes_nobody(
    repo: InboxRepo, caplog: pytest.LogCaptureFixture
) -> None:
    """The same update delivered again is ignored: one row, no second wake-up, one info line."""
    intake = InboxIntake(repo)
    await intake.accept(hello())
    assert await woken(intake.signal)
    with caplog.at_level(logging.INFO, "bot.inbox.intake"):
        await intake.accept(hello())
    assert not await woken(intake.signal)
    assert (await repo.counts()).pending == 1
    assert "already stored" in caplog.text


async def test_a_message_without_a_ref_is_stored_under_a_local_one_it_keeps(
    repo: InboxRepo,
) -> None:
    """Each ref-less message is its own row, and the stored message carries that row's ref."""
    intake = InboxIntake(repo)
    await intake.accept(hello(ref=None))
    await intake.accept(hello(ref=None))
    items = await repo.claim_messages(limit=10, lease=LEASE)
    await repo.mark_done([items[0].id])
    items += await repo.claim_messages(limit=10, lease=LEASE)
    refs = [item.provider_ref for item in items]
    assert len(set(refs)) == 2
    assert all(ref.startswith("telegram:local:") for ref in refs)
    # A retried handling sees the same ref, so its answer keeps the same outbox key.
    assert [message_from_json(item.payload).message_ref for item in items] == refs


async def test_a_report_is_stored_once_per_message_state_and_error(repo: InboxRepo) -> None:
    """The same status for the same message is one row; another status or error is another."""
    intake = InboxIntake(repo)
    sent = DeliveryReport("SM1", DeliveryState.SENT, detail="twilio sent")
    failed = DeliveryReport("SM1", DeliveryState.FAILED, "outside_window", "twilio failed 63016")
    blocked = DeliveryReport("SM1", DeliveryState.FAILED, "blocked", "twilio failed 63014")
    for report in (sent, sent, failed, failed, blocked):
        await intake.accept_report(report)
    items = await repo.claim_reports(limit=10, lease=LEASE)
    assert [item.provider_ref for item in items] == [
        "SM1:sent:",
        "SM1:failed:outside_window",
        "SM1:failed:blocked",
    ]
    assert {item.platform for item in items} == {REPORTS}
    assert [report_from_json(item.payload) for item in items] == [sent, failed, blocked]
    assert not await woken(intake.signal)  # reports are picked up by the paced poll


async def test_an_unreadable_update_is_recorded_once_and_logged_once(
    repo: InboxRepo, caplog: pytest.LogCaptureFixture
) -> None:
    """Its id, keys and error are kept as unreadable (never handled); a redelivery is silent."""
    intake = InboxIntake(repo)
    bad = UnreadableInbound(
        ChannelName("telegram"), "telegram:update:9", ("message", "update_id"), "KeyError: date"
    )
    with caplog.at_level(logging.WARNING, "bot.inbox.intake"):
        await intake.record_unreadable(bad)
        await intake.record_unreadable(bad)
    assert await repo.state_of("telegram", "telegram:update:9") is InboxState.UNREADABLE
    assert (await repo.counts()).unreadable == 1
    assert await repo.claim_messages(limit=10, lease=LEASE) == []
    assert not await woken(intake.signal)
    warnings = [r.getMessage() for r in caplog.records if r.name == "bot.inbox.intake"]
    assert warnings == [
        "Skipped unreadable telegram:update:9 (keys: message, update_id): KeyError: date"
    ]


async def test_a_failed_store_reaches_the_adapter() -> None:
    """When the inbox cannot store, every hook raises, so the platform is not acknowledged."""
    intake = InboxIntake(BrokenWriter())
    bad = UnreadableInbound(ChannelName("telegram"), "telegram:update:9", (), "boom")
    with pytest.raises(OperationalError):
        await intake.accept(hello())
    with pytest.raises(OperationalError):
        await intake.accept_report(DeliveryReport("SM1", DeliveryState.SENT))
    with pytest.raises(OperationalError):
        await intake.record_unreadable(bad)
    assert not await woken(intake.signal)


async def test_reports_arriving_together_share_one_write_and_each_waits_for_it(
    repo: InboxRepo,
) -> None:
    """Ten reports at once are one transaction; none returns before it committed."""
    writes: list[int] = []

    class CountingWriter:
        async def add(self, item: NewInboxItem) -> InboxId | None:
            return await repo.add(item)

        async def add_many(self, items: Sequence[NewInboxItem]) -> int:
            writes.append(len(items))
            return await repo.add_many(items)

    intake = InboxIntake(CountingWriter())
    reports = [DeliveryReport(f"SM{n}", DeliveryState.DELIVERED) for n in range(10)]
    await asyncio.gather(*(intake.accept_report(r) for r in reports))
    assert writes == [10]
    assert (await repo.counts()).pending == 10  # all stored by the time every call returned
