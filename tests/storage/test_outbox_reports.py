"""OutboxReports: the read-and-settle view of the outbox, usable without the enqueueing repo."""

from __future__ import annotations

from bot.core.clock import FrozenClock
from bot.core.ids import ChannelName, ChatId, OutboxId
from bot.core.messages import ChatKind, Recipient, text_message
from bot.core.reports import DeliveryState, state_rank
from bot.domain.outbox import NewOutboxItem, Sent
from bot.storage.db import Database
from bot.storage.repositories.outbox import OutboxRepo
from bot.storage.repositories.outbox_reports import OutboxReports


def _item(
    key: str, chat: str, *, kind: str = "reply", topic_id: int | None = None
) -> NewOutboxItem:
    recipient = Recipient(ChannelName("whatsapp"), ChatId(chat), ChatKind.PRIVATE)
    return NewOutboxItem(key, text_message(recipient, f"hello {key}", kind=kind), topic_id=topic_id)


async def _sent(repo: OutboxRepo, keys_to_ids: dict[str, str]) -> None:
    """Claim every due row and record the keys in ``keys_to_ids`` as sent with those ids."""
    claimed = await repo.claim_due("w", 100, 60)
    await repo.record_outcomes(
        "w",
        [
            Sent(c.id, keys_to_ids[c.idempotency_key])
            for c in claimed
            if c.idempotency_key in keys_to_ids
        ],
    )


async def test_skip_pending_skips_only_unclaimed_rows_of_that_kind_and_topic(
    db: Database, clock: FrozenClock
) -> None:
    """Only pending rows of the kind about the topic are skipped, with the reason recorded."""
    repo = OutboxRepo(db, clock)
    await repo.enqueue([_item("claimed", "+1", kind="review", topic_id=7)])
    await repo.claim_due("w", 10, 60)
    await repo.enqueue(
        [
            _item("stale", "+2", kind="review", topic_id=7),
            _item("other-topic", "+3", kind="review", topic_id=8),
            _item("other-kind", "+4", kind="topic_alert", topic_id=7),
        ]
    )
    reports = OutboxReports(db, clock)
    assert await reports.skip_pending("review", 7, "decided") == 1
    assert await reports.skip_pending("review", 7, "decided") == 0
    statuses = {}
    for entry_id in range(1, 5):
        entry = await repo.get(OutboxId(entry_id))
        assert entry is not None
        statuses[entry.idempotency_key] = (entry.status, entry.last_error)
    assert statuses == {
        "claimed": ("sending", None),
        "stale": ("skipped", "decided"),
        "other-topic": ("pending", None),
        "other-kind": ("pending", None),
    }


async def test_provider_id_of_is_known_only_once_sent(db: Database, clock: FrozenClock) -> None:
    """The platform's id of a queued message is returned only after the row was sent."""
    repo = OutboxRepo(db, clock)
    reports = OutboxReports(db, clock)
    await repo.enqueue([_item("card", "+1")])
    assert await reports.provider_id_of("card") is None
    await _sent(repo, {"card": "SM1"})
    assert await reports.provider_id_of("card") == "SM1"
    assert await reports.provider_id_of("never-queued") is None


async def test_reports_in_one_batch_apply_in_rank_order(db: Database, clock: FrozenClock) -> None:
    """A batch holding "delivered" before "sent" ends at delivered; unknown ids come back."""
    repo = OutboxRepo(db, clock)
    await repo.enqueue([_item("a", "+1")])
    await _sent(repo, {"a": "SM1"})
    reports = OutboxReports(db, clock)
    records, unknown = await reports.record_provider_statuses(
        [
            ("SM1", DeliveryState.DELIVERED, None),
            ("SM1", DeliveryState.SENT, None),
            ("SM9", DeliveryState.READ, None),
        ],
        state_rank,
    )
    assert unknown == {"SM9"}
    assert [r.provider_status for r in records] == ["delivered"]
    stored = await repo.get(records[0].id)
    assert stored is not None
    assert stored.provider_status == "delivered"


async def test_a_failure_outranks_every_later_report(db: Database, clock: FrozenClock) -> None:
    """After a failure (or a legacy "undelivered"), no report moves the row again."""
    repo = OutboxRepo(db, clock)
    await repo.enqueue([_item("a", "+1"), _item("b", "+2")])
    await _sent(repo, {"a": "SM1", "b": "SM2"})
    reports = OutboxReports(db, clock)
    await reports.record_provider_statuses(
        [("SM1", "failed", "blocked"), ("SM2", "undelivered", None)], state_rank
    )
    records, unknown = await reports.record_provider_statuses(
        [("SM1", "read", None), ("SM2", "delivered", None), ("SM2", "failed", "opted_out")],
        state_rank,
    )
    assert (records, unknown) == ([], set())


async def test_a_failure_record_carries_the_message_and_its_links(
    db: Database, clock: FrozenClock
) -> None:
    """The record of a failed row holds what a resend needs: key, message and source links."""
    repo = OutboxRepo(db, clock)
    recipient = Recipient(ChannelName("whatsapp"), ChatId("+1"), ChatKind.PRIVATE)
    message = text_message(recipient, "New topic", kind="topic_alert")
    await repo.enqueue(
        [NewOutboxItem("alert:1", message, topic_id=4, subscriber_id=5, destination_id=6)]
    )
    await _sent(repo, {"alert:1": "SM1"})
    [record], _ = await OutboxReports(db, clock).record_provider_statuses(
        [("SM1", "failed", "outside_window")], state_rank
    )
    assert (record.idempotency_key, record.message, record.recipient) == (
        "alert:1",
        message,
        recipient,
    )
    assert (record.topic_id, record.subscriber_id, record.destination_id) == (4, 5, 6)
    assert (record.provider_status, record.error_key) == ("failed", "outside_window")
