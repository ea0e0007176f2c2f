"""Typed identifiers, so a chat id is never passed where a topic id is expected."""

from __future__ import annotations

from typing import NewType

ChannelName = NewType("ChannelName", str)
"""Registry name of a channel adapter: "telegram", "whatsapp", "console"."""

ChatId = NewType("ChatId", str)
"""Platform address of a chat: a Telegram chat id or a WhatsApp E.164 number."""

UserId = NewType("UserId", str)
"""Platform address of a person (Telegram user id, WhatsApp E.164 number)."""

TopicId = NewType("TopicId", int)
"""SMF topic id (``id_topic``)."""

BoardId = NewType("BoardId", int)
"""SMF board id (``id_board``)."""

OutboxId = NewType("OutboxId", int)
"""Primary key of an outbox row."""

InboxId = NewType("InboxId", int)
"""Primary key of an inbox row (one stored inbound item)."""
