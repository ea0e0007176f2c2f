"""Relay destinations: chats that receive forum topics, with their delivery health."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.core.ids import ChannelName, ChatId
from bot.core.messages import ChatKind, Recipient


@dataclass(frozen=True, slots=True)
class DestinationSpec:
    """One destination as the configuration describes it."""

    channel: str
    chat_id: str
    chat_kind: str
    thread_id: int | None = None
    name: str = ""
    boards: tuple[int | str, ...] = ()


@dataclass(frozen=True, slots=True)
class Destination:
    """A chat topics are relayed to, and what its last send taught us."""

    id: int
    channel: ChannelName
    chat_id: ChatId
    chat_kind: ChatKind
    thread_id: int | None = None
    name: str = ""
    boards: tuple[int | str, ...] = ()
    """Board ids (or names, for feeds without ids) it takes; empty means every board."""
    active: bool = True
    error_key: str | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    last_ok_at: datetime | None = None
    paused_at: datetime | None = None
    """When an admin paused it (/pause); nothing is queued for it until /resume."""
    paused_by: str | None = None

    @property
    def ref(self) -> str:
        """Return how admins name it in /pause and /resume: ``channel:chat_id[/thread]``."""
        thread = f"/{self.thread_id}" if self.thread_id is not None else ""
        return f"{self.channel}:{self.chat_id}{thread}"

    @property
    def state(self) -> str:
        """Return ``paused``, ``off`` (an error switched it off), ``failing`` or ``ok``."""
        if self.paused_at is not None:
            return "paused"
        if not self.active:
            return "off"
        return "failing" if self.error_key is not None else "ok"

    @property
    def recipient(self) -> Recipient:
        """Return where this destination's messages go."""
        return Recipient(self.channel, self.chat_id, self.chat_kind, self.thread_id)
