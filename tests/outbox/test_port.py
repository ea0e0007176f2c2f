"""The outbox port: features queue rows through it, and only new rows wake the worker."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from bot.core.ids import ChannelName, ChatId
from bot.core.messages import Recipient, text_message
from bot.domain.outbox import NewOutboxItem
from bot.outbox.port import OutboxPort, WorkSignal


class Writer:
    """Stores keys like the repository: a repeated key is not inserted again."""

    def __init__(self) -> None:
        self.keys: list[str] = []
        self.calls = 0

    async def enqueue(self, items: Sequence[NewOutboxItem]) -> int:
        """Insert the items whose keys are new; return how many were."""
        self.calls += 1
        new = [i.idempotency_key for i in items if i.idempotency_key not in self.keys]
        self.keys.extend(new)
        return len(new)


def _item(key: str) -> NewOutboxItem:
    recipient = Recipient(ChannelName("telegram"), ChatId("1"))
    return NewOutboxItem(key, text_message(recipient, "hi"))


async def _woken(signal: WorkSignal) -> bool:
    try:
        await asyncio.wait_for(signal.wait(), 0.01)
    except TimeoutError:
        return False
    return True


async def test_new_rows_wake_the_worker() -> None:
    """Queueing a new row writes it and sets the shared signal."""
    writer, signal = Writer(), WorkSignal()
    port = OutboxPort(writer, signal)
    assert await port.enqueue([_item("a"), _item("b")]) == 2
    assert writer.keys == ["a", "b"]
    assert await _woken(signal)


async def test_known_keys_and_empty_batches_do_not_wake_it() -> None:
    """A batch that adds nothing leaves the worker asleep; an empty one is not even written."""
    writer, signal = Writer(), WorkSignal()
    port = OutboxPort(writer, signal)
    await port.enqueue([_item("a")])
    signal.clear()
    assert await port.enqueue([_item("a")]) == 0
    assert not await _woken(signal)
    assert await port.enqueue([]) == 0
    assert writer.calls == 2
    assert not await _woken(signal)


async def test_wake_sets_the_signal_without_writing() -> None:
    """wake() nudges the worker for rows written another way."""
    writer, signal = Writer(), WorkSignal()
    OutboxPort(writer, signal).wake()
    assert await _woken(signal)
    assert writer.calls == 0


async def test_a_port_without_a_signal_makes_its_own() -> None:
    """A port built alone still has a signal a worker can share."""
    port = OutboxPort(Writer())
    await port.enqueue([_item("a")])
    assert await _woken(port.signal)
