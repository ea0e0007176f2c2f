"""The adapters' side of the inbox: store each inbound item, then wake the inbox worker."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import replace
from typing import Protocol

from bot.core.channel import UnreadableInbound
from bot.core.ids import InboxId
from bot.core.messages import InboundMessage
from bot.core.reports import DeliveryReport
from bot.domain.inbox import InboxKind, NewInboxItem
from bot.inbox.codec import message_to_json, report_to_json
from bot.inbox.group_commit import GroupCommit
from bot.outbox.port import WorkSignal

logger = logging.getLogger(__name__)

REPORTS = "reports"
"""The platform column of delivery reports: provider ids are unique across platforms."""


class InboxWriter(Protocol):
    """What the intake needs of the inbox repository."""

    async def add(self, item: NewInboxItem) -> InboxId | None:
        """Store ``item`` unless its provider ref is stored; return its new id or None."""
        ...

    async def add_many(self, items: Sequence[NewInboxItem]) -> int:
        """Store several items in one transaction; return how many were new."""
        ...


class InboxIntake:
    """Durable before acknowledged: every hook returns only once its item is stored.

    A failure to store propagates, so the adapter answers the platform with an error and the
    platform delivers the item again (Telegram re-sends the update, a poll keeps its offset).
    """

    def __init__(self, writer: InboxWriter, signal: WorkSignal | None = None) -> None:
        self._writer = writer
        # Reports come two or three per message: they share their transactions (each caller
        # still waits for its own commit before the 204).
        self._reports: GroupCommit[NewInboxItem] = GroupCommit(writer.add_many)
        self.signal = signal or WorkSignal()

    async def accept(self, message: InboundMessage) -> None:
        """Store one inbound message (a repeat of a stored provider ref is ignored)."""
        ref = message.message_ref
        if ref is None:
            # The stored message carries the ref it is stored under: the answer's outbox key
            # is made from it, so a retried handling must see the same one, not a new one.
            ref = f"{message.channel}:local:{uuid.uuid4().hex}"
            message = replace(message, message_ref=ref)
        item = NewInboxItem(
            platform=message.channel,
            provider_ref=ref,
            kind=InboxKind.MESSAGE,
            chat_key=f"{message.channel}:{message.chat_id}",
            payload=message_to_json(message),
        )
        if await self._writer.add(item) is not None:
            self.signal.notify()
        else:
            logger.info("Inbound %s was already stored; the redelivery is ignored", ref)

    async def accept_report(self, report: DeliveryReport) -> None:
        """Store one delivery report; the same status for the same message is stored once."""
        ref = f"{report.provider_id}:{report.state.value}:{report.error_key or ''}"
        item = NewInboxItem(
            platform=REPORTS,
            provider_ref=ref,
            kind=InboxKind.REPORT,
            chat_key=f"{REPORTS}:{report.provider_id}",
            payload=report_to_json(report),
        )
        # No wake-up: reports are applied in paced batches, and the worker looks every
        # report_wait seconds anyway; a wake per report only made it look for nothing.
        await self._reports.submit(item)

    async def record_unreadable(self, unreadable: UnreadableInbound) -> None:
        """Keep an unparseable update's id, keys and error (counted in /status), once."""
        item = NewInboxItem(
            platform=unreadable.channel,
            provider_ref=unreadable.provider_ref,
            kind=InboxKind.UNREADABLE,
            chat_key=f"{unreadable.channel}:unreadable",
            payload={"keys": list(unreadable.keys), "error": unreadable.error[:2000]},
        )
        if await self._writer.add(item) is not None:
            logger.warning(
                "Skipped unreadable %s (keys: %s): %s",
                unreadable.provider_ref,
                ", ".join(unreadable.keys) or "none",
                unreadable.error,
            )
