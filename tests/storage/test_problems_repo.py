"""Delivery problems are stored with the failure that causes them and kept until told."""

from __future__ import annotations

from bot.core.clock import FrozenClock
from bot.domain.destinations import DestinationSpec
from bot.domain.outbox import Failed, Skipped
from bot.storage.db import Database
from bot.storage.repositories.destinations import DestinationRepo
from bot.storage.repositories.outbox import OutboxRepo
from bot.storage.repositories.problems import ProblemRepo
from bot.storage.repositories.recipients import RecipientStateRepo
from tests.storage.test_outbox_repo import item


async def test_record_error_stores_a_problem_linked_to_its_destination(
    db: Database, clock: FrozenClock
) -> None:
    """A destination's switch-off and a subscriber's failure each leave one untold problem."""
    [dest] = await DestinationRepo(db, clock).sync_from_config(
        [DestinationSpec("telegram", "-100", "channel")]
    )
    recipients, problems = RecipientStateRepo(db, clock), ProblemRepo(db, clock)
    await recipients.record_error(
        "telegram", "-100", "cannot_post", "no rights", deactivate=True, message_kind="topic"
    )
    await recipients.record_error("whatsapp", "+234", "template_missing", "63027", deactivate=False)
    first, second = await problems.unalerted()
    assert (first.destination_id, first.kind, first.error_key, first.message_kind) == (
        dest.id,
        "deactivated",
        "cannot_post",
        "topic",
    )
    assert (second.destination_id, second.kind, second.chat_id) == (None, "failed", "+234")
    await problems.mark_alerted([first.id])
    assert [p.id for p in await problems.unalerted()] == [second.id]
    assert await problems.prune(clock.now()) == 0  # told, but not old yet
    clock.advance(1)
    assert await problems.prune(clock.now()) == 1


async def test_a_message_skipped_by_the_24_hour_rule_is_a_problem(
    db: Database, clock: FrozenClock
) -> None:
    """Settling a row skipped as outside_window stores a problem; an opt-out skip does not."""
    outbox, problems = OutboxRepo(db, clock), ProblemRepo(db, clock)
    await outbox.enqueue([item("a", "+2341"), item("b", "+2342"), item("c", "+2343")])
    a, b, c = await outbox.claim_due("w", 10, 60)
    await outbox.record_outcomes(
        "w",
        [
            Skipped(a.id, "outside_window"),
            Skipped(b.id, "opted_out"),
            Failed(c.id, "bad_request", "nope"),
        ],
    )
    [problem] = await problems.unalerted()
    assert (problem.chat_id, problem.kind, problem.error_key) == (
        a.message.recipient.chat_id,
        "skipped",
        "outside_window",
    )
    assert problem.message_kind == a.message.kind
