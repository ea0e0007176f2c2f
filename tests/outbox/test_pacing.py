"""Pacing: how long a row's chat must wait, and when a row given back is due again."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from bot.core.ids import ChannelName, ChatId, OutboxId
from bot.core.messages import ChatKind, Recipient, text_message
from bot.core.rates import RatePolicy
from bot.domain.outbox import ClaimedItem
from bot.outbox.pacing import Pacing
from bot.outbox.ratelimit import RateLimiter


class Mono:
    """A monotonic clock moved by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def claimed(chat: str, *, channel: str = "tg", kind: ChatKind = ChatKind.PRIVATE) -> ClaimedItem:
    """Return a claimed row for one chat."""
    recipient = Recipient(ChannelName(channel), ChatId(chat), kind)
    return ClaimedItem(
        id=OutboxId(1),
        idempotency_key=f"k:{chat}",
        message=text_message(recipient, "hi"),
        attempts=1,
        rate_key=recipient.key,
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        broadcast_id=None,
        subscriber_id=None,
        destination_id=None,
    )


def _pacing(mono: Mono) -> Pacing:
    policy = RatePolicy(
        global_per_second=100,
        global_burst=100,
        per_chat_per_second=1.0,
        per_chat_burst=1,
        per_group_per_minute=20,
        per_group_burst=1,
    )
    return Pacing({"tg": RateLimiter(policy, mono)}, hold_threshold=2.0)


def test_a_chat_that_just_received_waits_for_its_own_pace() -> None:
    """After one send a private chat waits one second; another chat may go at once."""
    mono = Mono()
    pacing = _pacing(mono)
    limiter = pacing.limiter("tg")
    assert limiter is not None
    assert pacing.wait_for(claimed("a")) == 0.0
    limiter.reserve("tg:a", ChatKind.PRIVATE)
    assert abs(pacing.wait_for(claimed("a")) - 1.0) < 1e-6
    assert pacing.wait_for(claimed("b")) == 0.0
    mono.now += 1.0
    assert pacing.wait_for(claimed("a")) <= 1e-6


def test_a_channel_without_a_limiter_never_waits() -> None:
    """A channel with no limiter is unlimited: no wait, and rows go back after ``wait`` only."""
    pacing = _pacing(Mono())
    released: Counter[str] = Counter()
    item = claimed("x", channel="console")
    assert pacing.limiter("console") is None
    assert pacing.wait_for(item) == 0.0
    assert [pacing.release_after(item, 5.0, released) for _ in range(3)] == [5.0, 5.0, 5.0]
    assert released["console:x"] == 3


def test_rows_given_back_are_spread_over_their_chats_pace() -> None:
    """The n-th row of a chat given back is due at wait + n * spacing (1 s private, 3 s group)."""
    pacing = _pacing(Mono())
    released: Counter[str] = Counter()
    private, group = claimed("a"), claimed("-5", kind=ChatKind.GROUP)
    assert [pacing.release_after(private, 4.0, released) for _ in range(3)] == [4.0, 5.0, 6.0]
    assert [pacing.release_after(group, 4.0, released) for _ in range(2)] == [4.0, 7.0]
    assert released == Counter({"tg:a": 3, "tg:-5": 2})
    assert pacing.hold_threshold == 2.0
