"""The Repositories bundle: every repository on one database and one clock, outbox read-only."""

from __future__ import annotations

from dataclasses import fields

from bot.core.clock import FrozenClock
from bot.domain.destinations import DestinationSpec
from bot.storage.db import Database
from bot.storage.repositories import (
    BroadcastRepo,
    DestinationRepo,
    DialogRepo,
    InboxRepo,
    LateTopicRepo,
    LeadRepo,
    OutboxRepo,
    OutboxReports,
    ProblemRepo,
    RecipientStateRepo,
    Repositories,
    RuleRepo,
    StateRepo,
    SubscriberRepo,
    TopicRepo,
)


async def test_open_builds_each_repository_once(db: Database, clock: FrozenClock) -> None:
    """Each field holds its own repository type; the outbox is there only as its reports view."""
    repos = Repositories.open(db, clock)
    kinds = {f.name: type(getattr(repos, f.name)) for f in fields(repos)}
    assert kinds == {
        "subscribers": SubscriberRepo,
        "destinations": DestinationRepo,
        "topics": TopicRepo,
        "dialogs": DialogRepo,
        "inbox": InboxRepo,
        "state": StateRepo,
        "recipients": RecipientStateRepo,
        "rules": RuleRepo,
        "broadcasts": BroadcastRepo,
        "deliveries": OutboxReports,
        "late_topics": LateTopicRepo,
        "problems": ProblemRepo,
        "leads": LeadRepo,
    }
    assert not isinstance(repos.deliveries, OutboxRepo)
    assert not hasattr(repos.deliveries, "enqueue")  # features queue through the outbox port


async def test_every_repository_shares_the_database_and_the_clock(
    db: Database, clock: FrozenClock
) -> None:
    """What one repository writes another reads, stamped with the bundle's clock."""
    repos = Repositories.open(db, clock)
    clock.advance(3600)
    await repos.destinations.sync_from_config([DestinationSpec("telegram", "-1", "group")])
    await repos.subscribers.subscribe("telegram", "-1", "group", "cmd", clock.now())
    await repos.recipients.record_error("telegram", "-1", "kicked", "removed", deactivate=True)
    [dest] = await repos.destinations.all()
    assert (dest.active, dest.error_key, dest.last_error_at) == (False, "kicked", clock.now())
    sub = await repos.subscribers.get("telegram", "-1")
    assert sub is not None
    assert (sub.active, sub.inactive_reason) == (False, "kicked")
    await repos.state.put("k", {"n": 1})
    assert await repos.state.get("k") == {"n": 1}
