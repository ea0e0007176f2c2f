"""bot.app wires every platform from its declaration alone, and features from theirs."""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.app import Service, build_service
from bot.channels import PLATFORMS
from bot.channels.console.adapter import ConsoleChannel
from bot.channels.platform import ChannelHooks, Platform
from bot.channels.telegram.adapter import TelegramChannel
from bot.channels.telegram.platform import TELEGRAM_CAPABILITIES
from bot.channels.whatsapp.platform import SESSION_WINDOW, WHATSAPP_CAPABILITIES
from bot.config import Config, build_config
from bot.core.channel import DEFAULT_CAPABILITIES, Capabilities
from bot.core.clock import FrozenClock
from bot.core.ids import ChannelName, ChatId, OutboxId, UserId
from bot.core.messages import (
    ChatKind,
    DeliveryResult,
    InboundMessage,
    OutboundMessage,
    Recipient,
    text_message,
)
from bot.core.rates import RatePolicy
from bot.core.reports import DeliveryReport, DeliveryState
from bot.domain.outbox import NewOutboxItem
from bot.storage.migrate import upgrade_database
from bot.storage.repositories.outbox import OutboxRepo
from handlers import declared_jobs
from tests.fakes.channel import FakeChannel
from tests.service_config import service_data

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
LIVE_SECRETS = {
    "MINBAR_TELEGRAM__TOKEN": "7350917461:" + "A" * 35,
    "MINBAR_TWILIO__ACCOUNT_SID": "AC" + "1" * 32,
    "MINBAR_TWILIO__AUTH_TOKEN": "t" * 32,
}
SIGNAL_CAPABILITIES = Capabilities(
    buttons=False,
    edits=False,
    max_text=2000,
    session_window=timedelta(hours=2),
    templates=frozenset({"topic_alert"}),
    keywords=True,
)
SIGNAL_POLICY = RatePolicy(global_per_second=2.0, global_burst=1)
"""Two sends a second: a second send waits half a second behind the first."""


@dataclass
class SignalChannel:
    """The live adapter of a platform bot.app has never heard of; it keeps its hooks."""

    hooks: ChannelHooks
    capabilities: Capabilities = SIGNAL_CAPABILITIES
    sent: list[OutboundMessage] = field(default_factory=list)
    sent_at: list[float] = field(default_factory=list)

    @property
    def name(self) -> ChannelName:
        """Return the platform's name."""
        return ChannelName("signal")

    async def start(self) -> None:
        """Nothing to connect."""

    async def stop(self) -> None:
        """Nothing to release."""

    async def send(self, message: OutboundMessage) -> DeliveryResult:
        """Record the message and when it went."""
        self.sent.append(message)
        self.sent_at.append(time.monotonic())
        return DeliveryResult(provider_message_id=f"sig-{len(self.sent)}")

    def web_routes(self) -> Sequence[BaseRoute]:
        """Return the webhook this platform would receive on."""
        return [Route("/webhooks/signal", _ok, methods=["POST"])]


async def _ok(request: Request) -> Response:
    return Response("ok")


def signal_platform(
    *,
    mode: str = "live",
    built: list[SignalChannel] | None = None,
    capabilities: Capabilities = SIGNAL_CAPABILITIES,
    admin_chats: Sequence[str] = (),
) -> Platform:
    """Return a new platform's declaration, its live adapter recorded in ``built``."""
    made = built if built is not None else []

    def build(config: Config, hooks: ChannelHooks) -> SignalChannel:
        channel = SignalChannel(hooks, capabilities)
        made.append(channel)
        return channel

    return Platform(
        name="signal",
        mode=lambda config: mode,
        capabilities=lambda config: capabilities,
        rate_policy=lambda config: SIGNAL_POLICY,
        admins=lambda config: frozenset({"sig-admin"}),
        build_live=build,
        admin_chats=lambda config: [
            Recipient(ChannelName("signal"), ChatId(c), ChatKind.PRIVATE) for c in admin_chats
        ],
        warnings=lambda config: ["signal: check the relay number"],
    )


def _refuse_to_build(config: Config, hooks: ChannelHooks) -> SignalChannel:
    raise AssertionError("a live adapter was built")


def config_for(tmp_path: Path, environ: dict[str, str] | None = None, **sections: Any) -> Config:
    """Return a validated config on a temp SQLite file; ``sections`` replace whole tables."""
    data = service_data(tmp_path, web={"enabled": False})
    data.update(sections)
    return build_config(data, environ or {})


def live_config(tmp_path: Path, **sections: Any) -> Config:
    """Return a config with live Telegram and WhatsApp pointed at a closed port."""
    return config_for(
        tmp_path,
        LIVE_SECRETS,
        telegram={"mode": "live", "base_url": "http://127.0.0.1:9/bot"},
        whatsapp={"mode": "live"},
        twilio={"api_base_url": "http://127.0.0.1:9"},
        **sections,
    )


@pytest.fixture
async def services() -> AsyncIterator[list[Service]]:
    """Collect built services and close their databases afterwards."""
    built: list[Service] = []
    yield built
    for service in built:
        await service.channels.stop_all()
        await service.db.dispose()


def inbound(platform: str, sender: str, text: str) -> InboundMessage:
    """Return a private message from ``sender`` on ``platform``."""
    return InboundMessage(
        channel=ChannelName(platform),
        chat_id=ChatId(sender),
        sender_id=UserId(sender),
        text=text,
        received_at=NOW,
        chat_kind=ChatKind.PRIVATE,
        message_ref=f"test:{uuid.uuid4().hex}",
    )


async def test_console_only_never_builds_a_live_adapter(
    tmp_path: Path, services: list[Service]
) -> None:
    """With live modes configured, console_only prints every platform, new ones included."""
    refusing = Platform(
        name="signal",
        mode=lambda config: "live",
        capabilities=lambda config: SIGNAL_CAPABILITIES,
        rate_policy=lambda config: SIGNAL_POLICY,
        admins=lambda config: frozenset(),
        build_live=_refuse_to_build,
        warnings=lambda config: ["should not be shown"],
    )
    config = live_config(tmp_path)
    service = build_service(config, console_only=True, platforms=(*PLATFORMS, refusing))
    services.append(service)
    assert service.channels.names() == ["console", "telegram", "whatsapp", "signal"]
    assert all(isinstance(c, ConsoleChannel) for c in service.channels)
    assert service.channels.capabilities("telegram") == TELEGRAM_CAPABILITIES
    assert service.channels.capabilities("whatsapp") == WHATSAPP_CAPABILITIES
    assert service.channels.capabilities("signal") == SIGNAL_CAPABILITIES
    assert service.warnings == []
    with pytest.raises(AssertionError, match="a live adapter was built"):
        build_service(config, platforms=(*PLATFORMS, refusing))


async def test_without_console_only_a_live_mode_builds_the_adapter(
    tmp_path: Path, services: list[Service]
) -> None:
    """The same live config, not console-only, gets the real Telegram adapter and its warning."""
    config = live_config(
        tmp_path, database={"url": "postgresql+asyncpg://postgres@127.0.0.1:9/minbar"}
    )
    service = build_service(config)
    services.append(service)
    assert isinstance(service.channels.get("telegram"), TelegramChannel)
    assert not isinstance(service.channels.get("whatsapp"), ConsoleChannel)
    assert isinstance(service.channels.get("console"), ConsoleChannel)
    assert any("telegram.webhook_url" in w for w in service.warnings)


async def test_a_platform_that_is_off_is_absent_and_undeclared(
    tmp_path: Path, services: list[Service]
) -> None:
    """Mode "off" registers no channel and declares no capabilities, and adds no review chats."""
    config = config_for(
        tmp_path,
        telegram={"mode": "off"},
        admins={"telegram": [1001]},
        relay={"destinations": [{"channel": "console", "chat_id": "news", "kind": "channel"}]},
    )
    service = build_service(config)
    services.append(service)
    assert service.channels.get("telegram") is None
    assert "telegram" not in service.channels.declared
    assert service.channels.capabilities("telegram") == DEFAULT_CAPABILITIES
    assert service.channels.names() == ["console", "whatsapp"]
    assert service.ctx.settings.relay.screening.review_chats == ()


async def test_review_chats_default_to_each_telegram_admin(
    tmp_path: Path, services: list[Service]
) -> None:
    """Without review_chats, every Telegram admin reviews privately; with them, those chats."""
    service = build_service(config_for(tmp_path, admins={"telegram": [1002, 1001]}))
    services.append(service)
    assert service.ctx.settings.relay.screening.review_chats == (
        Recipient(ChannelName("telegram"), ChatId("1001"), ChatKind.PRIVATE),
        Recipient(ChannelName("telegram"), ChatId("1002"), ChatKind.PRIVATE),
    )
    chosen = build_service(
        config_for(
            tmp_path,
            admins={"telegram": [1001]},
            relay={
                "destinations": [{"channel": "telegram", "chat_id": "@news", "kind": "channel"}],
                "review_chats": ["-100777"],
            },
        )
    )
    services.append(chosen)
    assert chosen.ctx.settings.relay.screening.review_chats == (
        Recipient(ChannelName("telegram"), ChatId("-100777"), ChatKind.GROUP),
    )


async def test_only_platforms_with_buttons_add_review_chats(
    tmp_path: Path, services: list[Service]
) -> None:
    """A new platform's admin chats review when it shows buttons, and are skipped when not."""
    config = config_for(tmp_path, admins={"telegram": [1001]})
    with_buttons = signal_platform(
        capabilities=Capabilities(buttons=True), admin_chats=["sig-admin"]
    )
    without = signal_platform(admin_chats=["sig-admin"])
    buttons = build_service(config, platforms=(*PLATFORMS, with_buttons))
    numbers = build_service(config, platforms=(*PLATFORMS, without))
    services.extend([buttons, numbers])
    telegram_admin = Recipient(ChannelName("telegram"), ChatId("1001"), ChatKind.PRIVATE)
    assert buttons.ctx.settings.relay.screening.review_chats == (
        telegram_admin,
        Recipient(ChannelName("signal"), ChatId("sig-admin"), ChatKind.PRIVATE),
    )
    assert numbers.ctx.settings.relay.screening.review_chats == (telegram_admin,)


async def _ready(service: Service) -> None:
    await upgrade_database(service.db)
    await service.channels.start_all()


async def _queue(service: Service, *items: NewOutboxItem) -> OutboxRepo:
    outbox = OutboxRepo(service.db, service.clock)
    await outbox.enqueue(list(items))
    return outbox


def _alert(key: str, platform: str, chat: str, kind: str = "topic_alert") -> NewOutboxItem:
    recipient = Recipient(ChannelName(platform), ChatId(chat), ChatKind.PRIVATE)
    return NewOutboxItem(key, text_message(recipient, f"news for {chat}", kind=kind))


async def test_the_preflight_window_comes_from_the_declared_capabilities(
    tmp_path: Path, services: list[Service]
) -> None:
    """A platform declaring a two-hour window gets free-form inside it, its template outside."""
    clock = FrozenClock(NOW)
    built: list[SignalChannel] = []
    service = build_service(
        config_for(tmp_path), clock=clock, platforms=(*PLATFORMS, signal_platform(built=built))
    )
    services.append(service)
    await _ready(service)
    subscribers = service.ctx.repos.subscribers
    await subscribers.upsert_inbound("signal", "recent", "private", None, NOW - timedelta(hours=1))
    for chat in ("old", "old2"):
        await subscribers.upsert_inbound("signal", chat, "private", None, NOW - timedelta(hours=3))
    outbox = await _queue(
        service,
        _alert("a:recent", "signal", "recent"),
        _alert("a:old", "signal", "old"),
        _alert("b:old", "signal", "old2", kind="broadcast"),
        _alert("t:any", "telegram", "42"),
    )
    assert await service.worker.drain_once() == 4
    [channel] = built
    sent = {m.recipient.chat_id + ":" + m.kind: m.use_template for m in channel.sent}
    assert sent == {"recent:topic_alert": False, "old:topic_alert": True}
    skipped = await outbox.get(OutboxId(3))
    assert skipped is not None
    assert (skipped.idempotency_key, skipped.status, skipped.error_key) == (
        "b:old",
        "skipped",
        "outside_window",
    )
    telegram = await outbox.get(OutboxId(4))
    assert telegram is not None
    assert telegram.status == "sent"  # no window declared: no check


async def test_whatsapp_in_console_mode_keeps_its_window(
    tmp_path: Path, services: list[Service]
) -> None:
    """WhatsApp printed to the console still skips a number outside its 24-hour window."""
    clock = FrozenClock(NOW)
    service = build_service(config_for(tmp_path), clock=clock)
    services.append(service)
    await _ready(service)
    assert service.channels.capabilities("whatsapp").session_window == SESSION_WINDOW
    await service.ctx.repos.subscribers.upsert_inbound(
        "whatsapp", "+2348000000001", "private", None, NOW - SESSION_WINDOW
    )
    outbox = await _queue(service, _alert("w:1", "whatsapp", "+2348000000001"))
    await service.worker.drain_once()
    row = await outbox.get(OutboxId(1))
    assert row is not None
    assert (row.status, row.error_key) == ("skipped", "outside_window")
    whatsapp = service.channels.get("whatsapp")
    assert isinstance(whatsapp, ConsoleChannel)
    assert whatsapp.sent == []


async def test_a_new_platform_is_wired_end_to_end(tmp_path: Path, services: list[Service]) -> None:
    """A Platform passed in gets its channel, hooks, admins, pace, routes and warnings wired."""
    built: list[SignalChannel] = []
    service = build_service(
        config_for(tmp_path, display={"ask_language": False}),
        platforms=(*PLATFORMS, signal_platform(built=built)),
    )
    services.append(service)
    [channel] = built
    assert service.channels.get("signal") is channel
    assert service.channels.declared["signal"] == SIGNAL_CAPABILITIES
    assert service.warnings == ["signal: check the relay number"]
    assert [getattr(r, "path", None) for r in service.web_routes()] == ["/webhooks/signal"]
    await _ready(service)

    # Inbound through the hooks it was given: the admin may ask for /status, others may not.
    await channel.hooks.on_inbound(inbound("signal", "sig-admin", "/status"))
    await channel.hooks.on_inbound(inbound("signal", "someone", "/status"))
    await channel.hooks.on_inbound(inbound("signal", "console-admin", "/status"))
    await service.inbox.drain()
    while await service.worker.drain_once():
        pass
    replies = {m.recipient.chat_id: m.plain_text for m in channel.sent}
    assert "Database: ok" in replies["sig-admin"]
    assert "signal up" in replies["sig-admin"]
    assert replies["someone"] == "Sorry, only the forum's admins can use /status."
    assert replies["console-admin"] == "Sorry, only the forum's admins can use /status."

    # Its rate policy paces the worker: two a second, so each send waits half a second.
    gaps = [b - a for a, b in zip(channel.sent_at, channel.sent_at[1:], strict=False)]
    assert len(gaps) == 2
    assert all(gap >= 0.45 for gap in gaps), gaps


async def test_a_new_platforms_reports_reach_the_receipts(
    tmp_path: Path, services: list[Service]
) -> None:
    """A delivery report handed to the hooks is stored, then applied to the sent row."""
    built: list[SignalChannel] = []
    service = build_service(
        config_for(tmp_path, display={"ask_language": False}),
        platforms=(*PLATFORMS, signal_platform(built=built)),
    )
    services.append(service)
    await _ready(service)
    [channel] = built
    outbox = await _queue(service, _alert("r:1", "signal", "someone", kind="reply"))
    await service.worker.drain_once()
    await channel.hooks.on_report(DeliveryReport("sig-1", DeliveryState.DELIVERED))
    assert (await service.ctx.repos.inbox.counts()).pending == 1
    assert await service.inbox.drain() == 1
    row = await outbox.get(OutboxId(1))
    assert row is not None
    assert (row.provider_message_id, row.provider_status) == ("sig-1", "delivered")


async def test_an_unlimited_platform_is_not_paced(tmp_path: Path, services: list[Service]) -> None:
    """The console's unlimited policy sends back to back: the pace is each platform's own."""
    service = build_service(config_for(tmp_path))
    services.append(service)
    await _ready(service)
    await _queue(service, *(_alert(f"c:{n}", "console", str(n), kind="reply") for n in range(5)))
    started = time.monotonic()
    assert await service.worker.drain_once() == 5
    assert time.monotonic() - started < 0.45
    assert math.isinf(RatePolicy.unlimited().global_per_second)


async def test_channel_overrides_replace_or_add_channels(
    tmp_path: Path, services: list[Service]
) -> None:
    """An override stands in for a platform's channel; one under a new name is added too."""
    telegram = FakeChannel("telegram")
    extra = FakeChannel("extra", DEFAULT_CAPABILITIES)
    service = build_service(
        config_for(tmp_path), channel_overrides={"telegram": telegram, "extra": extra}
    )
    services.append(service)
    assert service.channels.get("telegram") is telegram
    assert service.channels.get("extra") is extra
    assert service.channels.names() == ["console", "telegram", "whatsapp", "extra"]


async def test_the_service_carries_every_declared_job_and_its_parts(
    tmp_path: Path, services: list[Service]
) -> None:
    """Jobs come from the features; the context holds the repositories on the service's clock."""
    clock = FrozenClock(NOW)
    service = build_service(config_for(tmp_path), clock=clock)
    services.append(service)
    assert [j.id for j in service.jobs] == [j.id for j in declared_jobs()]
    assert service.ctx.clock is clock
    assert service.ctx.channels is service.channels
    assert service.ctx.admins.is_admin("console", "console-admin")
    assert not service.ctx.admins.is_admin("telegram", "console-admin")
    assert [d.chat_id for d in service.destination_specs] == ["@attaqwaa_demo"]
    assert service.web_routes() == []


async def test_the_outbox_knobs_reach_the_worker(tmp_path: Path, services: list[Service]) -> None:
    """[outbox] settings become the worker's settings, each under its own name."""
    outbox = {
        "batch_size": 17,
        "workers": 3,
        "poll_interval": 0.25,
        "lease_seconds": 45,
        "max_attempts": 5,
        "backoff_base": 1.5,
        "backoff_max": 90,
    }
    service = build_service(config_for(tmp_path, outbox=outbox))
    services.append(service)
    settings = service.worker.settings
    assert (
        settings.batch_size,
        settings.concurrency,
        settings.poll_interval,
        settings.lease_seconds,
        settings.max_attempts,
        settings.backoff_base,
        settings.backoff_max,
    ) == (17, 3, 0.25, 45, 5, 1.5, 90)
