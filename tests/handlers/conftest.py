"""Fixtures for feature tests: a real migrated SQLite database and a handler context."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.channels.telegram.platform import TELEGRAM_CAPABILITIES
from bot.core.channel import ChannelRegistry
from bot.core.clock import FrozenClock
from bot.core.commands import CommandRegistry
from bot.core.ids import ChannelName, ChatId, UserId
from bot.core.messages import ChatKind, DeliveryResult, InboundMessage, OutboundMessage
from bot.domain.outbox import ClaimedItem, Sent
from bot.i18n.catalog import shared_catalogs
from bot.i18n.speech import speech_in
from bot.outbox.port import OutboxPort
from bot.storage.db import Database
from bot.storage.migrate import upgrade_database
from bot.storage.repositories import Repositories
from bot.storage.repositories.outbox import OutboxRepo
from handlers import flow_table, register_commands
from handlers.context import AdminPolicy, HandlerContext, StatusSnapshot
from handlers.settings import LAGOS, FeatureSettings
from tests.fakes.channel import FakeChannel, telegram_like, whatsapp_like

ADMIN_ID = "1001"
START = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


class FixedStatus:
    """A status provider with a fixed answer."""

    def __init__(self, clock: FrozenClock) -> None:
        self.clock = clock

    async def snapshot(self) -> StatusSnapshot:
        """Return a healthy snapshot."""
        return StatusSnapshot(
            started_at=START,
            database_ok=True,
            channels={"telegram": True, "whatsapp": True},
            outbox_depth={"pending": 2, "sent": 5},
            last_poll={"at": "2026-11-27T09:10:00+00:00", "result": "ok"},
        )


@pytest.fixture
def clock() -> FrozenClock:
    """A clock frozen at the capture day."""
    return FrozenClock(START)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated SQLite file database."""
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'handlers.db'}")
    await upgrade_database(database)
    yield database
    await database.dispose()


EN = speech_in("en", shared_catalogs().translations("en"), LAGOS)
"""English speech in Lagos time, for the texts a chat that has chosen nothing reads."""

_OUTBOXES: dict[int, OutboxRepo] = {}
"""Each test context's outbox repository, for ``drain`` (features only see the port)."""


def make_context(
    db: Database,
    clock: FrozenClock,
    *,
    settings: FeatureSettings | None = None,
    channels: tuple[FakeChannel, ...] | None = None,
    ask_language: bool = False,
) -> HandlerContext:
    """Build a handler context on ``db`` the way bot.app does, with fake platforms.

    By default a Telegram-like and a WhatsApp-like fake are registered, so features see the
    real platforms' declared capabilities. The language menu a new chat is offered first is
    off unless ``ask_language``: these tests are about chats that have chosen (English);
    ``tests/handlers/test_language.py`` is about the first contact.
    """
    commands: CommandRegistry[HandlerContext] = CommandRegistry()
    register_commands(commands)
    registry = ChannelRegistry()
    for channel in channels if channels is not None else (telegram_like(), whatsapp_like()):
        registry.add(channel)
    outbox = OutboxRepo(db, clock)
    ctx = HandlerContext(
        repos=Repositories.open(db, clock),
        outbox=OutboxPort(outbox),
        clock=clock,
        admins=AdminPolicy({"telegram": frozenset({ADMIN_ID})}),
        commands=commands,
        status=FixedStatus(clock),
        channels=registry,
        settings=replace(
            settings or FeatureSettings(bot_name="Attaqwaa"), ask_language=ask_language
        ),
        flows=flow_table(),
    )
    _OUTBOXES[id(ctx)] = outbox
    return ctx


def outbox_of(ctx: HandlerContext) -> OutboxRepo:
    """Return the outbox repository behind a test context's port."""
    return _OUTBOXES[id(ctx)]


@pytest.fixture
def ctx(db: Database, clock: FrozenClock) -> HandlerContext:
    """A handler context on a fresh database."""
    return make_context(db, clock)


async def drain(ctx: HandlerContext) -> list[ClaimedItem]:
    """Claim every due outbox row and mark it sent, returning what would have been sent."""
    outbox = outbox_of(ctx)
    claimed = await outbox.claim_due("test-worker", 10_000, 60)
    await outbox.record_outcomes("test-worker", [Sent(c.id, f"p{c.id}") for c in claimed])
    return claimed


_refs = iter(range(1, 1_000_000))


def inbound(
    text: str,
    *,
    sender: str = "2002",
    channel: str = "telegram",
    kind: ChatKind = ChatKind.PRIVATE,
    chat: str | None = None,
    ref: str | None = None,
) -> InboundMessage:
    """Build an inbound message as an adapter would."""
    return InboundMessage(
        channel=ChannelName(channel),
        chat_id=ChatId(chat or sender),
        sender_id=UserId(sender),
        text=text,
        received_at=START,
        chat_kind=kind,
        sender_name="Aisha",
        message_ref=ref or f"test:{next(_refs)}",
    )


# --- Conversation helpers: presses, WhatsApp texts, group channels ---------------------------

WA_NUMBER = "+2348011111111"


def wa(text: str, number: str = WA_NUMBER) -> InboundMessage:
    """Build a WhatsApp message from ``number`` (a platform with numbers and keywords)."""
    return inbound(text, sender=number, channel="whatsapp")


def press(
    data: str,
    *,
    sender: str = "2002",
    chat: str | None = None,
    kind: ChatKind = ChatKind.PRIVATE,
    origin: str | None = None,
) -> InboundMessage:
    """Build a Telegram button press carrying ``data``, pressed on the message ``origin``."""
    message = inbound("", sender=sender, chat=chat, kind=kind)
    return replace(message, choice_data=data, origin_message_id=origin)


def provider_id(item: ClaimedItem) -> str:
    """Return the platform id ``drain`` recorded for a sent row."""
    return f"p{item.id}"


async def texts(ctx: HandlerContext) -> list[str]:
    """Drain the outbox and return the plain text of every row, in queue order."""
    return [item.message.plain_text for item in await drain(ctx)]


@dataclass
class GroupChannel(FakeChannel):
    """A Telegram-like fake that records every group-admin lookup and can be told to fail."""

    asked: list[tuple[str, str]] = field(default_factory=list)
    fail: BaseException | None = None

    async def is_chat_admin(self, chat_id: str, user_id: str) -> bool:
        """Record the question, then fail or answer from ``chat_admins``."""
        self.asked.append((chat_id, user_id))
        if self.fail is not None:
            raise self.fail
        return user_id in self.chat_admins.get(chat_id, set())


class NoAdminLookupChannel:
    """A Telegram-like channel that cannot tell who administers a group."""

    name = ChannelName("telegram")
    capabilities = TELEGRAM_CAPABILITIES

    async def start(self) -> None:
        """Nothing to start."""

    async def stop(self) -> None:
        """Nothing to stop."""

    async def send(self, message: OutboundMessage) -> DeliveryResult:
        """Accept everything (tests read the outbox instead)."""
        return DeliveryResult()
