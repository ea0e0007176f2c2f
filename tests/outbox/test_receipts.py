"""Delivery reports: monotonic status, and neutral failures that teach us about the recipient."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.core.clock import FrozenClock
from bot.core.ids import ChannelName, ChatId
from bot.core.messages import Recipient, text_message
from bot.core.reports import DeliveryReport, DeliveryState
from bot.domain.destinations import DestinationSpec
from bot.domain.outbox import NewOutboxItem, Sent
from bot.outbox.receipts import RATE_LIMIT_PAUSE, UNREACHABLE_KEYS, DeliveryReceipts
from bot.storage.db import Database
from bot.storage.models import OutboxRow
from bot.storage.repositories.destinations import DestinationRepo
from bot.storage.repositories.outbox import OutboxRepo
from bot.storage.repositories.recipients import RecipientStateRepo
from bot.storage.repositories.subscribers import SubscriberRepo
from tests.dbfixtures import db
from tests.outbox.conftest import START

__all__ = ["db"]
NUMBER = "+2348000000001"
SENT = DeliveryState.SENT
DELIVERED = DeliveryState.DELIVERED
READ = DeliveryState.READ
FAILED = DeliveryState.FAILED


@dataclass
class Parts:
    """The real repositories behind the receipts handler, and the handler."""

    outbox: OutboxRepo
    subscribers: SubscriberRepo
    destinations: DestinationRepo
    receipts: DeliveryReceipts


@pytest.fixture
def clock() -> FrozenClock:
    """Return the time of the test."""
    return FrozenClock(START)


@pytest.fixture
def parts(db: Database, clock: FrozenClock) -> Parts:
    """Return real repositories and the receipts handler on the test database."""
    outbox, subscribers = OutboxRepo(db, clock), SubscriberRepo(db, clock)
    receipts = DeliveryReceipts(outbox, RecipientStateRepo(db, clock), subscribers, clock=clock)
    return Parts(outbox, subscribers, DestinationRepo(db, clock), receipts)


def report(sid: str, state: DeliveryState, error_key: str | None = None) -> DeliveryReport:
    """Return a neutral delivery report."""
    return DeliveryReport(sid, state, error_key)


async def _sent_row(outbox: OutboxRepo, sid: str, key: str = "alert:1", **links: int) -> None:
    message = text_message(
        Recipient(ChannelName("whatsapp"), ChatId(NUMBER)), "hi", kind="topic_alert"
    )
    await outbox.enqueue([NewOutboxItem(key, message, **links)])  # type: ignore[arg-type]
    (claimed,) = await outbox.claim_due("w", 10, 60)
    await outbox.record_outcomes("w", [Sent(claimed.id, sid)])


async def _rows(db: Database) -> dict[str, OutboxRow]:
    async with db.read() as session:
        return {r.idempotency_key: r for r in (await session.scalars(select(OutboxRow))).all()}


async def test_status_only_moves_forward(parts: Parts, db: Database) -> None:
    """A late "sent" after "read" changes nothing; "read" after "delivered" does."""
    await _sent_row(parts.outbox, "SM1")
    for state in (DELIVERED, SENT, READ, DELIVERED, DeliveryState.QUEUED):
        await parts.receipts.apply(report("SM1", state))
    assert (await _rows(db))["alert:1"].provider_status == "read"


async def test_outside_window_closes_it_and_resends_once(parts: Parts, db: Database) -> None:
    """outside_window: the window is marked closed and one copy goes back through the preflight."""
    await parts.subscribers.upsert_inbound(
        "whatsapp", NUMBER, "private", "Aisha", START - timedelta(hours=1)
    )
    await _sent_row(parts.outbox, "SM2", topic_id=4, subscriber_id=5, destination_id=6)
    await parts.receipts.apply(report("SM2", FAILED, "outside_window"))
    sub = await parts.subscribers.get("whatsapp", NUMBER)
    assert sub is not None
    assert sub.last_inbound_at is None
    rows = await _rows(db)
    assert rows["alert:1"].error_key == "outside_window"
    resend = rows["alert:1:after-window"]
    assert (resend.status, resend.next_attempt_at, resend.payload) == (
        "pending",
        START,
        rows["alert:1"].payload,
    )
    assert (resend.topic_id, resend.subscriber_id, resend.destination_id) == (4, 5, 6)
    (again,) = await parts.outbox.claim_due("w", 10, 60)
    await parts.outbox.record_outcomes("w", [Sent(again.id, "SM3")])
    await parts.receipts.apply(report("SM3", FAILED, "outside_window"))
    assert len(await _rows(db)) == 2  # no endless resending


@pytest.mark.parametrize("key", sorted(UNREACHABLE_KEYS))
async def test_an_unreachable_recipient_is_switched_off(parts: Parts, key: str) -> None:
    """blocked, invalid_recipient, not_on_whatsapp and opted_out stop sending to that chat."""
    await parts.subscribers.subscribe("whatsapp", NUMBER, "private", "whatsapp:JOIN", START)
    await parts.destinations.sync_from_config([DestinationSpec("whatsapp", NUMBER, "private")])
    await _sent_row(parts.outbox, "SM4")
    await parts.receipts.apply(report("SM4", FAILED, key))
    sub = await parts.subscribers.get("whatsapp", NUMBER)
    assert sub is not None
    assert (sub.active, sub.inactive_reason) == (False, key)
    [dest] = await parts.destinations.all()
    assert (dest.active, dest.error_key, dest.last_error) == (
        False,
        key,
        f"the platform reported {key}",
    )


def test_the_unreachable_keys_are_the_neutral_ones() -> None:
    """Exactly the four neutral reasons that mean a chat will never receive switch it off."""
    assert frozenset({"blocked", "invalid_recipient", "not_on_whatsapp", "opted_out"}) == (
        UNREACHABLE_KEYS
    )


async def test_a_rate_limited_message_is_retried_once_five_minutes_later(
    parts: Parts, db: Database, clock: FrozenClock
) -> None:
    """sender_rate_limited retries the message once, five minutes later, and no more."""
    await parts.subscribers.subscribe("whatsapp", NUMBER, "private", "whatsapp:JOIN", START)
    await _sent_row(parts.outbox, "SM5")
    await parts.receipts.apply(report("SM5", FAILED, "sender_rate_limited"))
    retry = (await _rows(db))["alert:1:after-rate-limit"]
    assert timedelta(minutes=5) == RATE_LIMIT_PAUSE
    assert retry.status == "pending"
    assert retry.next_attempt_at == START + timedelta(minutes=5)
    sub = await parts.subscribers.get("whatsapp", NUMBER)
    assert sub is not None
    assert sub.active  # the sender's limit says nothing about the recipient
    clock.advance(300)
    (again,) = await parts.outbox.claim_due("w", 10, 60)
    await parts.outbox.record_outcomes("w", [Sent(again.id, "SM6")])
    await parts.receipts.apply(report("SM6", FAILED, "sender_rate_limited"))
    assert len(await _rows(db)) == 2


@pytest.mark.parametrize("key", ["provider_error", None])
async def test_another_failure_is_recorded_and_nothing_more(
    parts: Parts, db: Database, key: str | None
) -> None:
    """A failure with another reason (or none) is kept on the row; nobody is switched off."""
    await parts.subscribers.upsert_inbound(
        "whatsapp", NUMBER, "private", "Aisha", START - timedelta(hours=1)
    )
    await parts.subscribers.subscribe("whatsapp", NUMBER, "private", "whatsapp:JOIN", START)
    await _sent_row(parts.outbox, "SM7")
    assert await parts.receipts.apply(report("SM7", FAILED, key))
    rows = await _rows(db)
    assert list(rows) == ["alert:1"]
    assert (rows["alert:1"].provider_status, rows["alert:1"].error_key) == ("failed", key)
    sub = await parts.subscribers.get("whatsapp", NUMBER)
    assert sub is not None
    assert (sub.active, sub.last_inbound_at) == (True, START - timedelta(hours=1))


async def test_a_repeated_failure_report_is_learnt_from_once(parts: Parts, db: Database) -> None:
    """A second identical failure report does not move the row, so nothing is done twice."""
    await parts.subscribers.upsert_inbound("whatsapp", NUMBER, "private", "Aisha", START)
    await _sent_row(parts.outbox, "SM8")
    await parts.receipts.apply(report("SM8", FAILED, "outside_window"))
    await parts.subscribers.upsert_inbound("whatsapp", NUMBER, "private", None, START)
    assert await parts.receipts.apply(report("SM8", FAILED, "outside_window"))
    sub = await parts.subscribers.get("whatsapp", NUMBER)
    assert sub is not None
    assert sub.last_inbound_at == START  # the window was not closed again
    assert len(await _rows(db)) == 2


async def test_an_unknown_message_id_changes_nothing(parts: Parts, db: Database) -> None:
    """A report for an id no row carries yet is reported back as unknown (the queue retries)."""
    assert not await parts.receipts.apply(report("SMunknown", FAILED, "outside_window"))
    assert await _rows(db) == {}


async def test_a_stale_report_for_a_known_message_is_known_but_ignored(
    parts: Parts, db: Database
) -> None:
    """A late "sent" after "delivered" is recognised and leaves the row as it was."""
    await _sent_row(parts.outbox, "SM7")
    assert await parts.receipts.apply(report("SM7", DELIVERED))
    assert await parts.receipts.apply(report("SM7", SENT))
    assert (await _rows(db))["alert:1"].provider_status == "delivered"


async def test_a_batch_moves_statuses_forward_and_learns_from_failures(
    parts: Parts, db: Database
) -> None:
    """One batch applies several reports, in rank order, and acts on an outside_window failure."""
    await _sent_row(parts.outbox, "SM7")
    await _sent_row(parts.outbox, "SM8", key="alert:2")
    unknown = await parts.receipts.apply_batch(
        [
            report("SM7", DELIVERED),
            report("SM7", SENT),
            report("SM8", FAILED, "outside_window"),
            report("SMnew", SENT),
        ]
    )
    rows = await _rows(db)
    assert unknown == {"SMnew"}
    assert rows["alert:1"].provider_status == "delivered"
    assert (rows["alert:2"].provider_status, rows["alert:2"].error_key) == (
        "failed",
        "outside_window",
    )
    assert rows["alert:2:after-window"].status == "pending"
    assert "alert:1:after-window" not in rows


async def test_a_resend_wakes_the_outbox_worker(db: Database, clock: FrozenClock) -> None:
    """The copy queued after outside_window wakes the worker once; a repeat queues nothing."""
    outbox, subscribers = OutboxRepo(db, clock), SubscriberRepo(db, clock)
    wakes: list[str] = []
    receipts = DeliveryReceipts(
        outbox,
        RecipientStateRepo(db, clock),
        subscribers,
        clock=clock,
        wake=lambda: wakes.append("wake"),
    )
    await _sent_row(outbox, "SM9")
    await receipts.apply(report("SM9", FAILED, "outside_window"))
    assert wakes == ["wake"]
    await receipts.apply(report("SM9", FAILED, "outside_window"))  # the same report again
    assert wakes == ["wake"]
