"""Repositories: the only place that builds queries. One module per aggregate, one bundle."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.clock import Clock, SystemClock
from bot.storage.db import Database
from bot.storage.repositories.broadcasts import BroadcastRepo
from bot.storage.repositories.destinations import DestinationRepo
from bot.storage.repositories.dialogs import DialogRepo
from bot.storage.repositories.inbox import InboxRepo
from bot.storage.repositories.late_topics import LateTopicRepo
from bot.storage.repositories.leads import LeadRepo
from bot.storage.repositories.outbox import OutboxRepo
from bot.storage.repositories.outbox_reports import OutboxReports
from bot.storage.repositories.problems import ProblemRepo
from bot.storage.repositories.recipients import RecipientStateRepo
from bot.storage.repositories.rules import RuleRepo
from bot.storage.repositories.state import StateRepo
from bot.storage.repositories.subscribers import SubscriberRepo
from bot.storage.repositories.topics import TopicRepo

__all__ = [
    "BroadcastRepo",
    "DestinationRepo",
    "DialogRepo",
    "InboxRepo",
    "LateTopicRepo",
    "LeadRepo",
    "OutboxRepo",
    "OutboxReports",
    "ProblemRepo",
    "RecipientStateRepo",
    "Repositories",
    "RuleRepo",
    "StateRepo",
    "SubscriberRepo",
    "TopicRepo",
]


@dataclass(frozen=True, slots=True)
class Repositories:
    """Every repository a feature may ask, built once per database.

    The outbox appears only as ``deliveries``, its read-and-settle view: features queue
    messages through the outbox port (``HandlerContext.outbox``), which also wakes the worker.
    """

    subscribers: SubscriberRepo
    destinations: DestinationRepo
    topics: TopicRepo
    dialogs: DialogRepo
    inbox: InboxRepo
    state: StateRepo
    recipients: RecipientStateRepo
    rules: RuleRepo
    broadcasts: BroadcastRepo
    deliveries: OutboxReports
    late_topics: LateTopicRepo
    problems: ProblemRepo
    leads: LeadRepo

    @classmethod
    def open(cls, db: Database, clock: Clock | None = None) -> Repositories:
        """Build every repository on ``db`` with one clock."""
        clock = clock or SystemClock()
        return cls(
            subscribers=SubscriberRepo(db, clock),
            destinations=DestinationRepo(db, clock),
            topics=TopicRepo(db, clock),
            dialogs=DialogRepo(db, clock),
            inbox=InboxRepo(db, clock),
            state=StateRepo(db, clock),
            recipients=RecipientStateRepo(db, clock),
            rules=RuleRepo(db, clock),
            broadcasts=BroadcastRepo(db, clock),
            deliveries=OutboxReports(db, clock),
            late_topics=LateTopicRepo(db, clock),
            problems=ProblemRepo(db, clock),
            leads=LeadRepo(db, clock),
        )
