"""The failure policy: each send error gives one outcome for the row and the effects it needs."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.errors import (
    ChannelError,
    ChannelUnavailable,
    DestinationInvalid,
    DestinationMigrated,
    PermanentError,
    RateLimited,
    RecipientUnreachable,
    TransientError,
)
from bot.core.ids import ChannelName, ChatId, OutboxId
from bot.core.messages import ChatKind, Recipient, text_message
from bot.domain.outbox import ClaimedItem, Failed, Retry
from bot.outbox.failures import (
    HoldChannel,
    HoldChat,
    NoteProblem,
    RecordError,
    Reroute,
    clip,
    decide_failure,
)
from bot.outbox.settings import WorkerSettings

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
SETTINGS = WorkerSettings(max_attempts=3, backoff_base=2.0, backoff_max=60.0)


def _item(attempts: int = 1, chat: str = "-100") -> ClaimedItem:
    recipient = Recipient(ChannelName("telegram"), ChatId(chat), ChatKind.GROUP)
    return ClaimedItem(
        id=OutboxId(7),
        idempotency_key="k",
        message=text_message(recipient, "hi"),
        attempts=attempts,
        rate_key=recipient.key,
        created_at=NOW,
        broadcast_id=None,
        subscriber_id=None,
        destination_id=1,
    )


def test_a_chat_429_holds_that_chat_for_exactly_retry_after() -> None:
    """A per-chat RateLimited retries at now + retry_after and holds only that chat."""
    decision = decide_failure(
        _item(), RateLimited(17.0, "slow down"), now=NOW, settings=SETTINGS, rng=random.Random()
    )
    assert decision.outcome == Retry(
        OutboxId(7), NOW + timedelta(seconds=17), "rate_limited", "slow down"
    )
    assert list(decision.effects) == [HoldChat(_item().rate_key, 17.0)]


def test_a_channel_wide_limit_holds_the_whole_channel() -> None:
    """A channel-scoped limit (bad credentials pause) holds the channel, not one chat."""
    decision = decide_failure(
        _item(),
        ChannelUnavailable("token rejected"),
        now=NOW,
        settings=SETTINGS,
        rng=random.Random(),
    )
    assert isinstance(decision.outcome, Retry)
    hold, note = decision.effects
    assert isinstance(hold, HoldChannel)
    assert hold.channel == "telegram"
    # Nobody's chat is at fault, but the admins must hear of it.
    assert note == NoteProblem(
        "telegram", "-100", "channel_unavailable", "token rejected", _item().message.kind
    )
    assert 300.0 <= hold.seconds <= 305.0
    assert decision.outcome.next_attempt_at == NOW + timedelta(seconds=hold.seconds)


@pytest.mark.parametrize("retry_after", [1.0, 7.0, 120.0])
def test_a_bot_wide_429_holds_the_channel_for_retry_after_plus_jitter(retry_after: float) -> None:
    """A channel-scoped 429 waits at least retry_after, plus at most 10 % (0.1 s to 5 s) more."""
    holds = set()
    for seed in range(20):
        decision = decide_failure(
            _item(),
            RateLimited(retry_after, "flood", scope="channel"),
            now=NOW,
            settings=SETTINGS,
            rng=random.Random(seed),
        )
        [hold] = decision.effects
        assert isinstance(hold, HoldChannel)
        assert retry_after <= hold.seconds <= retry_after + min(5.0, max(0.1, retry_after / 10))
        holds.add(hold.seconds)
    assert len(holds) > 1  # jittered, not one fixed extra


def test_a_migrated_group_is_rerouted_and_retried_at_once() -> None:
    """A group upgraded to a supergroup moves to its new id and is retried now."""
    decision = decide_failure(
        _item(), DestinationMigrated("-100999"), now=NOW, settings=SETTINGS, rng=random.Random()
    )
    assert isinstance(decision.outcome, Retry)
    assert decision.outcome.next_attempt_at == NOW
    assert list(decision.effects) == [Reroute("telegram", "-100", "-100999")]


@pytest.mark.parametrize(
    ("exc", "deactivate"),
    [
        (RecipientUnreachable("blocked", "bot was blocked"), True),
        (DestinationInvalid("chat_not_found", "chat not found"), True),
        (PermanentError("invalid_message", "bad entity"), False),
    ],
)
def test_permanent_errors_fail_once_and_are_recorded_on_the_chat(
    exc: ChannelError, deactivate: bool
) -> None:
    """A permanent error is never retried; unreachable chats are also switched off."""
    item = _item()
    decision = decide_failure(item, exc, now=NOW, settings=SETTINGS, rng=random.Random())
    assert decision.outcome == Failed(OutboxId(7), exc.error_key, exc.detail)
    assert list(decision.effects) == [
        RecordError("telegram", "-100", exc.error_key, exc.detail, deactivate, item.message.kind)
    ]


def test_a_transient_error_backs_off_within_the_ceiling() -> None:
    """A transient error retries after a jittered delay no longer than base * 2^(n-1)."""
    for attempts, ceiling in ((1, 2.0), (2, 4.0)):
        decision = decide_failure(
            _item(attempts),
            TransientError("timeout"),
            now=NOW,
            settings=SETTINGS,
            rng=random.Random(attempts),
        )
        assert isinstance(decision.outcome, Retry)
        waited = (decision.outcome.next_attempt_at - NOW).total_seconds()
        assert 0 <= waited <= ceiling
        assert decision.effects == ()


def test_the_last_attempt_gives_up_and_says_why() -> None:
    """At max_attempts a transient error fails the row as gave_up, keeping the cause."""
    decision = decide_failure(
        _item(3),
        TransientError("timeout", "read timed out"),
        now=NOW,
        settings=SETTINGS,
        rng=random.Random(),
    )
    assert decision.outcome == Failed(OutboxId(7), "gave_up", "timeout: read timed out")
    assert list(decision.effects) == [
        RecordError("telegram", "-100", "gave_up", "timeout: read timed out", False)
    ]


def test_long_details_are_clipped() -> None:
    """Error details are cut to what the row keeps."""
    assert len(clip("x" * 2000)) == 500
