"""Delivery reports: monotonic status, and failures that teach us about the recipient."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.channels.twilio_webhooks import failure_key, status_rank
from bot.core.clock import FrozenClock
from bot.core.ids import ChannelName, ChatId
from bot.core.messages import Recipient, text_message
from bot.outbox.receipts import DeliveryReceipts
from bot.storage.db import Database
from bot.storage.models import OutboxRow
from bot.storage.repositories.outbox import NewOutboxItem, OutboxRepo, Sent
from bot.storage.repositories.recipients import RecipientStateRepo
from bot.storage.repositories.subscribers import SubscriberRepo
from tests.dbfixtures import db
from tests.outbox.conftest import START

__all__ = ["db"]
NUMBER = "+2348000000001"


@pytest.fixture
def clock() -> FrozenClock:
    """Time of the test."""
    return FrozenClock(START)


@pytest.fixture
def parts(db: Database, clock: FrozenClock) -> tuple[OutboxRepo, SubscriberRepo, DeliveryReceipts]:
    """Real repositories and the receipts handler on the test database."""
    outbox, subscribers = OutboxRepo(db, clock), SubscriberRepo(db, clock)
    receipts = DeliveryReceipts(
        outbox,
        RecipientStateRepo(db, clock),
        subscribers,
        rank=status_rank,
        failure_key=failure_key,
        clock=clock,
    )
    return outbox, subscribers, receipts


async def _sent_row(outbox: OutboxRepo, sid: str, key: str = "alert:1") -> None:
    message = text_message(
        Recipient(ChannelName("whatsapp"), ChatId(NUMBER)), "hi", kind="topic_alert"
    )
    await outbox.enqueue([NewOutboxItem(key, message)])
    (claimed,) = await outbox.claim_due("w", 10, 60)
    await outbox.record_outcomes("w", [Sent(claimed.id, sid)])


async def _rows(db: Database) -> dict[str, OutboxRow]:
    async with db.read() as session:
        return {r.idempotency_key: r for r in (await session.scalars(select(OutboxRow))).all()}


async def test_status_only_moves_forward(parts, db: Database) -> None:  # type: ignore[no-untyped-def]
    """A late "sent" after "read" changes nothing; "read" after "delivered" does."""
    outbox, _, receipts = parts
    await _sent_row(outbox, "SM1")
    for status in ("delivered", "sent", "read", "delivered", "queued"):
        await receipts.apply("SM1", status, None)
    assert (await _rows(db))["alert:1"].provider_status == "read"


async def test_outside_window_closes_it_and_resends_once(parts, db: Database) -> None:  # type: ignore[no-untyped-def]
    """63016: the window is marked closed and one copy goes back through the preflight."""
    outbox, subscribers, receipts = parts
    await subscribers.upsert_inbound(
        "whatsapp", NUMBER, "private", "Aisha", START - timedelta(hours=1)
    )
    await _sent_row(outbox, "SM2")
    await receipts.apply("SM2", "failed", 63016)
    sub = await subscribers.get("whatsapp", NUMBER)
    assert sub is not None
    assert sub.last_inbound_at is None
    rows = await _rows(db)
    assert rows["alert:1"].error_key == "provider:63016"
    assert rows["alert:1:after-window"].status == "pending"
    (again,) = await outbox.claim_due("w", 10, 60)
    await outbox.record_outcomes("w", [Sent(again.id, "SM3")])
    await receipts.apply("SM3", "failed", 63016)
    assert len(await _rows(db)) == 2  # no endless resending


async def test_a_blocked_number_is_marked_inactive(parts) -> None:  # type: ignore[no-untyped-def]
    """63014 (blocked by the user) stops alerts to that subscriber."""
    outbox, subscribers, receipts = parts
    await subscribers.subscribe("whatsapp", NUMBER, "private", "whatsapp:JOIN", START)
    await _sent_row(outbox, "SM4")
    await receipts.apply("SM4", "undelivered", 63014)
    sub = await subscribers.get("whatsapp", NUMBER)
    assert sub is not None
    assert (sub.active, sub.inactive_reason) == (False, "blocked")


async def test_a_rate_limited_message_is_retried_later(parts, db: Database) -> None:  # type: ignore[no-untyped-def]
    """63018 (messaging limit) retries the message once, five minutes later."""
    outbox, _, receipts = parts
    await _sent_row(outbox, "SM5")
    await receipts.apply("SM5", "failed", 63018)
    retry = (await _rows(db))["alert:1:after-rate-limit"]
    assert retry.status == "pending"
    assert retry.next_attempt_at == START + timedelta(minutes=5)


async def test_an_unknown_message_id_changes_nothing(parts, db: Database) -> None:  # type: ignore[no-untyped-def]
    """A report for an id no row carries yet is reported back as unknown (the queue retries)."""
    _, _, receipts = parts
    assert not await receipts.apply("SMunknown", "failed", 63016)
    assert await _rows(db) == {}


async def test_a_stale_report_for_a_known_message_is_known_but_ignored(  # type: ignore[no-untyped-def]
    parts, db: Database
) -> None:
    """A late "sent" after "delivered" is recognised and leaves the row as it was."""
    outbox, _, receipts = parts
    await _sent_row(outbox, "SM7")
    assert await receipts.apply("SM7", "delivered", None)
    assert await receipts.apply("SM7", "sent", None)
    assert (await _rows(db))["alert:1"].provider_status == "delivered"


async def test_a_batch_moves_statuses_forward_and_learns_from_failures(  # type: ignore[no-untyped-def]
    parts, db: Database
) -> None:
    """One batch applies several reports, in rank order, and acts on a 63016 failure."""
    outbox, _, receipts = parts
    await _sent_row(outbox, "SM7")
    await _sent_row(outbox, "SM8", key="alert:2")
    unknown = await receipts.apply_batch(
        [
            ("SM7", "delivered", None),
            ("SM7", "sent", None),
            ("SM8", "failed", 63016),
            ("SMnew", "sent", None),
        ]
    )
    rows = await _rows(db)
    assert unknown == {"SMnew"}
    assert rows["alert:1"].provider_status == "delivered"
    assert (rows["alert:2"].provider_status, rows["alert:2"].error_key) == (
        "failed",
        "provider:63016",
    )
    assert rows["alert:2:after-window"].status == "pending"
