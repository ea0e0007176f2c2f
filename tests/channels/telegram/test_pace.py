"""ChatPace: a 429 is the chat's own only when we were sending to that chat at its limit."""

from __future__ import annotations

from bot.channels.telegram.pace import ChatPace


class Clock:
    """Monotonic time moved by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_private_chat_sent_to_within_a_second_explains_its_429() -> None:
    """The first send to a chat is bot-wide if refused; a second within 1 s is the chat's."""
    clock = Clock()
    pace = ChatPace(clock)
    assert pace.note("42", private=True) == "channel"
    clock.now += 0.6
    assert pace.note("42", private=True) == "recipient"
    clock.now += 1.5
    assert pace.note("42", private=True) == "channel"


def test_a_group_is_at_its_limit_after_20_sends_in_a_minute() -> None:
    """Twenty sends to a group in the last minute explain a 429; nineteen do not."""
    clock = Clock()
    pace = ChatPace(clock)
    scopes = []
    for _ in range(21):
        scopes.append(pace.note("-100", private=False))
        clock.now += 2.0
    assert scopes[:20] == ["channel"] * 20
    assert scopes[20] == "recipient"
    clock.now += 61.0
    assert pace.note("-100", private=False) == "channel"


def test_other_chats_do_not_explain_a_chats_429() -> None:
    """Sending fast to many chats never makes one chat's 429 its own."""
    clock = Clock()
    pace = ChatPace(clock)
    assert all(pace.note(str(chat), private=True) == "channel" for chat in range(50))


def test_idle_chats_are_forgotten() -> None:
    """Chats not sent to for over a minute are swept, so memory follows the active chats."""
    clock = Clock()
    pace = ChatPace(clock, sweep_every=60.0)
    for chat in range(1000):
        pace.note(str(chat), private=True)
    clock.now += 61.0
    pace.note("new", private=True)
    assert len(pace) == 1
