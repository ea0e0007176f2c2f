"""What the outbox worker needs of storage, as protocols (the repositories fit them)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Protocol

from bot.core.ids import OutboxId
from bot.domain.outbox import ClaimedItem, Outcome


class OutboxStore(Protocol):
    """The part of ``OutboxRepo`` the worker uses."""

    async def claim_due(
        self,
        worker_id: str,
        limit: int,
        lease_seconds: float,
        *,
        only: Collection[tuple[str, str]] | None = None,
        skip_channels: Collection[str] = (),
    ) -> list[ClaimedItem]: ...

    async def record_outcomes(
        self,
        worker_id: str,
        outcomes: Sequence[Outcome],
        *,
        started: Collection[OutboxId] = (),
    ) -> object: ...

    async def hold_recipient(self, rate_key: str, until: datetime) -> object: ...

    async def hold_channel(self, channel: str, until: datetime) -> object: ...

    async def skip_pending_to_chat(self, channel: str, chat_id: str, reason: str) -> object: ...

    async def reroute_chat(self, channel: str, old_chat_id: str, new_chat_id: str) -> object: ...


class RecipientStore(Protocol):
    """The part of ``RecipientStateRepo`` the worker uses."""

    async def record_error(
        self,
        channel: str,
        chat_id: str,
        error_key: str,
        detail: str,
        *,
        deactivate: bool,
        message_kind: str | None = None,
    ) -> object: ...

    async def record_problem(
        self,
        channel: str,
        chat_id: str,
        error_key: str,
        detail: str,
        *,
        message_kind: str | None = None,
    ) -> object: ...

    async def record_ok(self, channel: str, chat_id: str) -> object: ...

    async def replace_chat_id(self, channel: str, old: str, new: str) -> object: ...
