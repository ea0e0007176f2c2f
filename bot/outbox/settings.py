"""The outbox worker's knobs, as one value (``[outbox]`` in config.toml fills it)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class WorkerSettings:
    """How the worker claims, paces, retries and records."""

    batch_size: int = 200
    concurrency: int = 4
    """Sends in flight at once, over all chats."""
    poll_interval: float = 0.5
    """Seconds between claims when nothing woke the worker."""
    lease_seconds: float = 60
    max_attempts: int = 8
    backoff_base: float = 2.0
    backoff_max: float = 600
    hold_threshold: float = 2.0
    """A chat that must wait longer than this is given back to the queue, not waited for."""
    channel_retry_delay: float = 30.0
    """How long rows of a channel that is not running wait before the next look."""
    reclaim_interval: float = 5.0
    """How often to look for dead workers whose rows can be taken back at once."""
    claim_only: frozenset[tuple[str, str]] | None = None
    """Claim only rows addressed to these ``(channel, chat_id)`` pairs; None claims all.

    ``minbar chat`` sets its own console identity here, so a terminal session on a shared
    database never takes (and prints, and marks done) a message meant for a real chat.
    """
