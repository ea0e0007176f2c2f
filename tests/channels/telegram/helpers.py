"""Shared pieces of the Telegram adapter tests: credentials, update builders and an inbox."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.core.ids import ChannelName, ChatId
from bot.core.messages import ChatKind, InboundMessage, Recipient

TOKEN = "123456:TEST-channel-token"
HOOK = "https://bot.example/webhooks/telegram"
USER = 42


def to(chat_id: str, kind: ChatKind = ChatKind.PRIVATE, thread: int | None = None) -> Recipient:
    """Return a Telegram recipient."""
    return Recipient(ChannelName("telegram"), ChatId(chat_id), kind, thread)


class Inbox:
    """Collects what the channel hands to the dispatcher."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[InboundMessage] = asyncio.Queue()

    async def __call__(self, message: InboundMessage) -> None:
        await self.queue.put(message)

    async def next(self) -> InboundMessage:
        """Return the next message handed on (fail after 5 s)."""
        async with asyncio.timeout(5):
            return await self.queue.get()


def user(uid: int = USER) -> dict[str, Any]:
    """Return a Bot API user object."""
    return {"id": uid, "is_bot": False, "first_name": "Amina", "last_name": "K"}


def chat(cid: int = USER, kind: str = "private", **extra: Any) -> dict[str, Any]:
    """Return a Bot API chat object."""
    return {
        "id": cid,
        "type": kind,
        **({"first_name": "Amina"} if kind == "private" else {"title": "Group"}),
        **extra,
    }


def message_update(update_id: int, **fields: Any) -> dict[str, Any]:
    """Return a ``message`` update from USER in their private chat, with ``fields`` added."""
    message = {"message_id": update_id, "date": 1_750_000_000, "chat": chat(), "from": user()}
    return {"update_id": update_id, "message": {**message, **fields}}
