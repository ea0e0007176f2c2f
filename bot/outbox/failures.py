"""The failure policy, pure: a send error becomes an outcome for the row and effects to apply.

Nothing here touches the database or a limiter; the worker applies the effects. So every rule
(429 holds exactly its scope, a channel-wide one with jitter; a migration reroutes; a permanent
error is recorded on the chat and never retried; transient errors back off until
``max_attempts``) is tested as a table.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.backoff import backoff_delay
from bot.core.errors import (
    ChannelError,
    ChannelUnavailable,
    DestinationInvalid,
    DestinationMigrated,
    RateLimited,
    RecipientUnreachable,
)
from bot.domain.outbox import ClaimedItem, Failed, Outcome, Retry
from bot.outbox.settings import WorkerSettings

DETAIL_MAX = 500


@dataclass(frozen=True, slots=True)
class HoldChat:
    """Pause one chat (its rate key) for ``seconds``, in memory and in its queued rows."""

    rate_key: str
    seconds: float


@dataclass(frozen=True, slots=True)
class HoldChannel:
    """Pause a whole channel for ``seconds`` (a channel-wide 429)."""

    channel: str
    seconds: float


@dataclass(frozen=True, slots=True)
class Reroute:
    """A group became another chat: move its state and queued rows to the new id."""

    channel: str
    old_chat_id: str
    new_chat_id: str


@dataclass(frozen=True, slots=True)
class RecordError:
    """Note the failure on the chat; ``deactivate`` stops sending to it."""

    channel: str
    chat_id: str
    error_key: str
    detail: str
    deactivate: bool
    message_kind: str | None = None


@dataclass(frozen=True, slots=True)
class NoteProblem:
    """Tell the admins of a problem no chat caused (credentials refused): the chat stays as is."""

    channel: str
    chat_id: str
    error_key: str
    detail: str
    message_kind: str | None = None


Effect = HoldChat | HoldChannel | Reroute | RecordError | NoteProblem


@dataclass(frozen=True, slots=True)
class Decision:
    """What happens to the row, and what else must change."""

    outcome: Outcome
    effects: Sequence[Effect] = ()


def channel_jitter(retry_after: float, rng: random.Random) -> float:
    """Return the extra wait added to a channel-wide hold: up to 10 % of it, 0.1-5 s."""
    return rng.uniform(0.0, min(5.0, max(0.1, 0.1 * retry_after)))


def clip(text: str) -> str:
    """Return ``text`` cut to what a row's error column keeps."""
    return text[:DETAIL_MAX]


def decide_failure(
    item: ClaimedItem,
    exc: ChannelError,
    *,
    now: datetime,
    settings: WorkerSettings,
    rng: random.Random,
) -> Decision:
    """Return the outcome and effects of ``exc`` raised while sending ``item``."""
    recipient = item.message.recipient
    if isinstance(exc, RateLimited):
        hold: Effect
        if exc.scope == "channel":
            # Jittered, so the chats (and other processes on the token) do not all resume on
            # the same instant and trip the limit again.
            seconds = exc.retry_after + channel_jitter(exc.retry_after, rng)
            hold = HoldChannel(recipient.channel, seconds)
            if isinstance(exc, ChannelUnavailable):
                note = NoteProblem(
                    recipient.channel,
                    recipient.chat_id,
                    exc.error_key,
                    clip(exc.detail),
                    item.message.kind,
                )
                until = now + timedelta(seconds=seconds)
                retry = Retry(item.id, until, exc.error_key, clip(exc.detail))
                return Decision(retry, [hold, note])
        else:
            seconds = exc.retry_after
            hold = HoldChat(item.rate_key, seconds)
        until = now + timedelta(seconds=seconds)
        return Decision(Retry(item.id, until, exc.error_key, clip(exc.detail)), [hold])
    if isinstance(exc, DestinationMigrated):
        move = Reroute(recipient.channel, recipient.chat_id, exc.new_chat_id)
        return Decision(Retry(item.id, now, exc.error_key, clip(exc.detail)), [move])
    if exc.retryable:
        return retry_or_give_up(
            item, exc.error_key, exc.detail, now=now, settings=settings, rng=rng
        )
    deactivate = isinstance(exc, RecipientUnreachable | DestinationInvalid)
    record = RecordError(
        recipient.channel,
        recipient.chat_id,
        exc.error_key,
        clip(exc.detail),
        deactivate,
        item.message.kind,
    )
    return Decision(Failed(item.id, exc.error_key, clip(exc.detail)), [record])


def retry_or_give_up(
    item: ClaimedItem,
    error_key: str,
    detail: str,
    *,
    now: datetime,
    settings: WorkerSettings,
    rng: random.Random,
) -> Decision:
    """Retry after a jittered backoff, or fail for good once the attempts are spent."""
    if item.attempts >= settings.max_attempts:
        recipient = item.message.recipient
        summary = clip(f"{error_key}: {detail}" if detail else error_key)
        record = RecordError(recipient.channel, recipient.chat_id, "gave_up", summary, False)
        return Decision(Failed(item.id, "gave_up", summary), [record])
    return Decision(backoff_retry(item, error_key, detail, now=now, settings=settings, rng=rng))


def backoff_retry(
    item: ClaimedItem,
    error_key: str,
    detail: str,
    *,
    now: datetime,
    settings: WorkerSettings,
    rng: random.Random,
) -> Retry:
    """Return a retry after a jittered backoff for the row's attempt number."""
    delay = backoff_delay(item.attempts, settings.backoff_base, settings.backoff_max, rng)
    return Retry(item.id, now + timedelta(seconds=delay), error_key, clip(detail))
