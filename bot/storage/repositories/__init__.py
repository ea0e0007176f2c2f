"""Repositories: the only place that builds queries. One module per aggregate."""

from __future__ import annotations

from bot.storage.repositories.broadcasts import BroadcastRepo
from bot.storage.repositories.destinations import DestinationRepo, DestinationSpec
from bot.storage.repositories.dialogs import DialogRepo, DialogState
from bot.storage.repositories.inbound import InboundDedupRepo
from bot.storage.repositories.outbox import (
    ClaimedItem,
    Failed,
    NewOutboxItem,
    OutboxRepo,
    Outcome,
    Released,
    Retry,
    Sent,
    Skipped,
)
from bot.storage.repositories.recipients import RecipientStateRepo
from bot.storage.repositories.state import StateRepo
from bot.storage.repositories.subscribers import SubscriberRepo
from bot.storage.repositories.topics import TopicRepo

__all__ = [
    "BroadcastRepo",
    "ClaimedItem",
    "DestinationRepo",
    "DestinationSpec",
    "DialogRepo",
    "DialogState",
    "Failed",
    "InboundDedupRepo",
    "NewOutboxItem",
    "OutboxRepo",
    "Outcome",
    "RecipientStateRepo",
    "Released",
    "Retry",
    "Sent",
    "Skipped",
    "StateRepo",
    "SubscriberRepo",
    "TopicRepo",
]
