"""Delivery reports: what a platform later says happened to a message it accepted."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class DeliveryState(enum.StrEnum):
    """Where a sent message is, in the platform's words translated to ours."""

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"


_RANK: dict[str, int] = {
    DeliveryState.QUEUED: 1,
    DeliveryState.SENDING: 2,
    DeliveryState.SENT: 3,
    DeliveryState.DELIVERED: 4,
    DeliveryState.READ: 5,
    # Terminal failure outranks everything: nothing may follow it. The two older names are
    # what rows written before the neutral states carry.
    DeliveryState.FAILED: 10,
    "undelivered": 10,
    "canceled": 10,
}


def state_rank(state: str) -> int:
    """Return the rank of a stored state; a report may only replace a lower rank (unknown: -1)."""
    return _RANK.get(state.lower(), -1)


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """One report about one message, keyed by the id the platform gave it when sending."""

    provider_id: str
    state: DeliveryState
    error_key: str | None = None
    """A neutral reason when ``state`` is FAILED (``outside_window``, ``blocked``…)."""
    detail: str = ""
