"""Composition root: the only module that wires concrete classes together."""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TextIO

from starlette.routing import BaseRoute

from bot.channels.console import ConsoleChannel
from bot.channels.twilio_webhooks import StatusUpdate, failure_key, status_rank
from bot.config import Config
from bot.core.channel import Channel, ChannelRegistry, InboundHandler
from bot.core.clock import Clock, SystemClock
from bot.core.commands import CommandRegistry
from bot.core.messages import InboundMessage
from bot.forum.smf import SmfFeedSource
from bot.forum.source import ForumSource
from bot.outbox.preflight import DeliveryPreflight
from bot.outbox.ratelimit import RateLimiter, RatePolicy
from bot.outbox.receipt_queue import ReceiptQueue
from bot.outbox.receipts import DeliveryReceipts
from bot.outbox.worker import OutboxWorker
from bot.status import ServiceStatus
from bot.storage.db import Database
from bot.storage.leader import LeaderLock, leader_lock_for
from bot.storage.repositories.destinations import DestinationRepo, DestinationSpec
from bot.storage.repositories.dialogs import DialogRepo
from bot.storage.repositories.inbound import InboundDedupRepo
from bot.storage.repositories.outbox import OutboxRepo
from bot.storage.repositories.recipients import RecipientStateRepo
from bot.storage.repositories.rules import RuleRepo, RuleSeedSpec
from bot.storage.repositories.state import StateRepo
from bot.storage.repositories.subscribers import SubscriberRepo
from bot.storage.repositories.topics import TopicRepo
from bot.webhooks import BackgroundWork
from handlers import build_dispatcher, register_commands
from handlers.context import AdminPolicy, HandlerContext
from handlers.digest import send_digest
from handlers.dispatch import Dispatcher
from handlers.forum_health import ForumPoller
from handlers.relay import POLL_STATE_KEY, RelaySettings
from handlers.relay_gate import ScreeningSettings
from handlers.spam import SpamPolicy

logger = logging.getLogger(__name__)

INBOUND_DEDUPE_KEEP = timedelta(days=14)
"""Telegram keeps undelivered updates 24 h and Twilio retries within minutes; 14 days is ample."""
WHATSAPP_WINDOW = timedelta(hours=24)
"""WhatsApp's customer-service window: free-form messages only this long after the person's last."""

ChannelFactory = Callable[[Config, InboundHandler, "ConsoleOutput"], Channel | None]


@dataclass(slots=True)
class ConsoleOutput:
    """Where console channels print: a shared stream, or a file from ``[console] output``."""

    stream: TextIO | None = None
    path: str = ""

    def opener(self) -> Callable[[], TextIO] | None:
        """Return a function that opens the output file, or None for standard output."""
        if self.stream is not None or not self.path:
            return None
        path = Path(self.path)
        return lambda: _open_append(path)


def _open_append(path: Path) -> TextIO:
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.open("a", encoding="utf-8", buffering=1)


def _console(name: str, style: str) -> ChannelFactory:
    def build(config: Config, on_message: InboundHandler, out: ConsoleOutput) -> Channel:
        return ConsoleChannel(
            name, on_message=on_message, style=style, stream=out.stream, open_output=out.opener()
        )

    return build


def _telegram(config: Config, on_message: InboundHandler, out: ConsoleOutput) -> Channel | None:
    mode = config.telegram.mode
    if mode == "off":
        return None
    if mode == "console":
        return _console("telegram", "telegram")(config, on_message, out)
    from bot.channels.telegram import TelegramChannel

    assert config.telegram.token is not None  # the config check requires it in live mode
    secret = config.telegram.webhook_secret
    return TelegramChannel(
        config.telegram.token.get_secret_value(),
        on_message,
        base_url=config.telegram.base_url,
        base_file_url=config.telegram.base_file_url,
        webhook_url=config.telegram.webhook_url,
        webhook_secret=secret.get_secret_value() if secret else None,
        link_preview=config.telegram.link_preview,
    )


def _whatsapp(config: Config, on_message: InboundHandler, out: ConsoleOutput) -> Channel | None:
    mode = config.whatsapp.mode
    if mode == "off":
        return None
    if mode == "console":
        return _console("whatsapp", "whatsapp")(config, on_message, out)
    from bot.channels.whatsapp import WhatsAppChannel, WhatsAppTemplate

    sid, token = config.twilio.account_sid, config.twilio.auth_token
    # The config check requires both in live mode.
    assert sid is not None
    assert token is not None
    return WhatsAppChannel(
        sid.get_secret_value(),
        token.get_secret_value(),
        config.whatsapp.from_number,
        on_message,
        api_base_url=config.twilio.api_base_url,
        status_callback_url=f"{config.web.public_url}/webhooks/twilio/status",
        templates={
            kind: WhatsAppTemplate(t.content_sid, tuple(t.variables))
            for kind, t in config.whatsapp.templates.items()
        },
    )


# Adding a platform: one adapter module and one line here.
CHANNEL_FACTORIES: Mapping[str, ChannelFactory] = {
    "console": _console("console", "telegram"),
    "telegram": _telegram,
    "whatsapp": _whatsapp,
}


def rate_policies(config: Config) -> dict[str, RatePolicy]:
    """Return each channel's rate policy from the configuration."""
    tg = config.telegram.rate
    wa = config.whatsapp.rate
    telegram = RatePolicy(
        global_per_second=tg.global_per_second,
        global_burst=tg.global_burst,
        per_chat_per_second=tg.per_chat_per_second,
        per_chat_burst=tg.per_chat_burst,
        per_group_per_minute=tg.per_group_per_minute,
        per_group_burst=tg.per_group_burst,
    )
    whatsapp = RatePolicy(
        global_per_second=wa.per_second,
        global_burst=wa.burst,
        per_chat_per_second=None,
        per_chat_burst=1,
        per_group_per_minute=None,
        per_group_burst=1,
    )
    # The console stands in for the platforms, so it keeps their pace.
    return {"telegram": telegram, "whatsapp": whatsapp, "console": telegram}


@dataclass(slots=True)
class Service:
    """Every long-lived part of one Minbar process, wired and not yet started."""

    config: Config
    db: Database
    clock: Clock
    channels: ChannelRegistry
    ctx: HandlerContext
    dispatcher: Dispatcher
    worker: OutboxWorker
    source: ForumSource
    leader: LeaderLock
    status: ServiceStatus
    poller: ForumPoller
    receipt_queue: ReceiptQueue
    background: BackgroundWork = field(default_factory=BackgroundWork)
    destination_specs: list[DestinationSpec] = field(default_factory=list)
    rule_seeds: list[RuleSeedSpec] = field(default_factory=list)

    async def poll_forum(self) -> None:
        """Poll the forum once and relay what is new (the scheduler's job)."""
        report = await self.poller.poll()
        if report is not None and (report.relayed or report.skipped_backfill or report.held):
            logger.info(
                "Forum poll: %d topics, relayed %s, marked seen without relaying %s",
                report.fetched,
                report.relayed,
                report.skipped_backfill,
            )

    async def send_digest(self) -> None:
        """Queue today's digest for digest subscribers (the scheduler's daily job)."""
        queued = await send_digest(self.ctx, self.clock.now())
        if queued:
            logger.info("Digest queued for %d subscribers", queued)
        self.worker.notify()

    async def prune(self) -> None:
        """Forget inbound ids past any redelivery and expired dialogs (the nightly job)."""
        seen = await self.ctx.inbound.prune(self.clock.now() - INBOUND_DEDUPE_KEEP)
        dialogs = await self.ctx.dialogs.prune_expired()
        logger.info("Housekeeping: %d inbound ids and %d dialogs forgotten", seen, dialogs)

    def web_routes(self) -> list[BaseRoute]:
        """Return the webhook routes of the live channels."""
        from bot.channels.telegram import TelegramChannel
        from bot.channels.whatsapp import WhatsAppChannel
        from bot.webhooks import telegram_route, twilio_routes

        routes: list[BaseRoute] = []
        telegram = self.channels.get("telegram")
        if isinstance(telegram, TelegramChannel) and self.config.telegram.webhook_url:
            routes.append(telegram_route(telegram))
        whatsapp = self.channels.get("whatsapp")
        token = self.config.twilio.auth_token
        if isinstance(whatsapp, WhatsAppChannel) and token is not None:
            queue = self.receipt_queue

            def on_status(update: StatusUpdate) -> None:
                queue.submit(update.message_sid, update.status, update.error_code)

            routes += twilio_routes(
                auth_token=token.get_secret_value(),
                public_url=self.config.web.public_url,
                on_inbound=whatsapp.process_inbound,
                on_status=on_status,
                work=self.background,
            )
        return routes

    async def dispatch(self, message: InboundMessage) -> None:
        """Hand an inbound message to the dispatcher."""
        await self.dispatcher.handle(message)


def build_service(
    config: Config,
    *,
    clock: Clock | None = None,
    console_stream: TextIO | None = None,
    channel_overrides: Mapping[str, Channel] | None = None,
    source: ForumSource | None = None,
) -> Service:
    """Wire every part of the service from the configuration."""
    clock = clock or SystemClock()
    db = Database(config.database.url, echo=config.database.echo)
    outbox = OutboxRepo(db, clock)
    state = StateRepo(db, clock)
    destinations = DestinationRepo(db, clock)
    recipients = RecipientStateRepo(db, clock)
    commands: CommandRegistry[HandlerContext] = CommandRegistry()
    register_commands(commands)
    channels = ChannelRegistry()
    status = ServiceStatus(
        db=db,
        channels=channels,
        clock=clock,
        outbox=outbox,
        state=state,
        destinations=destinations,
        poll_state_key=POLL_STATE_KEY,
    )
    ctx = HandlerContext(
        outbox=outbox,
        subscribers=SubscriberRepo(db, clock),
        destinations=destinations,
        topics=TopicRepo(db, clock),
        dialogs=DialogRepo(db, clock),
        inbound=InboundDedupRepo(db, clock),
        state=state,
        recipients=recipients,
        rules=RuleRepo(db, clock),
        clock=clock,
        tz=config.service.tz,
        admins=AdminPolicy(
            {
                "telegram": frozenset(str(a) for a in config.admins.telegram),
                "whatsapp": frozenset(config.admins.whatsapp),
                "console": frozenset({"console-admin"}),
            }
        ),
        commands=commands,
        status=status,
        channels=channels,
        bot_name=config.service.name,
    )
    dispatcher = build_dispatcher(ctx)
    out = ConsoleOutput(stream=console_stream, path=config.console.output)
    overrides = dict(channel_overrides or {})
    for name, factory in CHANNEL_FACTORIES.items():
        channel = overrides.pop(name, None) or factory(config, dispatcher.handle, out)
        if channel is not None:
            channels.add(channel)
    for channel in overrides.values():
        channels.add(channel)
    limiters = {name: RateLimiter(policy) for name, policy in rate_policies(config).items()}
    subscribers = ctx.subscribers
    preflight = DeliveryPreflight(
        subscribers,
        windows={"whatsapp": WHATSAPP_WINDOW},
        templates={"whatsapp": frozenset(config.whatsapp.templates)},
        clock=clock,
    )
    worker = OutboxWorker(
        outbox,
        recipients,
        channels,
        limiters,
        worker_id=f"{socket.gethostname()}:{os.getpid()}",
        clock=clock,
        batch_size=config.outbox.batch_size,
        concurrency=config.outbox.workers,
        poll_interval=config.outbox.poll_interval,
        lease_seconds=config.outbox.lease_seconds,
        max_attempts=config.outbox.max_attempts,
        backoff_base=config.outbox.backoff_base,
        backoff_max=config.outbox.backoff_max,
        preflight=preflight,
    )
    forum = source or SmfFeedSource(
        config.forum.feed_url, timeout=config.forum.timeout, user_agent=config.forum.user_agent
    )
    spam = config.relay.spam
    relay_settings = RelaySettings(
        limit=config.forum.limit,
        backfill=config.forum.backfill,
        fetch_full_text=config.forum.fetch_full_text,
        screening=ScreeningSettings(
            mode=config.relay.mode,
            review_chats=tuple(config.relay.review_chats),
            spam=SpamPolicy(
                enabled=spam.enabled,
                threshold=spam.threshold,
                blocked_words=tuple(spam.blocked_words),
                allowed_scripts=tuple(spam.allowed_scripts),
                max_links=spam.max_links,
            ),
        ),
    )
    receipts = DeliveryReceipts(
        outbox, recipients, subscribers, rank=status_rank, failure_key=failure_key, clock=clock
    )
    specs = [
        DestinationSpec(
            channel=d.channel,
            chat_id=d.chat_id,
            chat_kind=d.kind,
            thread_id=d.thread_id,
            name=d.name,
            boards=tuple(d.boards),
        )
        for d in config.relay.destinations
    ]
    return Service(
        config=config,
        db=db,
        clock=clock,
        channels=channels,
        ctx=ctx,
        dispatcher=dispatcher,
        worker=worker,
        source=forum,
        leader=leader_lock_for(db, config.cluster.leader_lock_id),
        status=status,
        poller=ForumPoller(
            forum,
            ctx,
            relay_settings,
            interval=config.forum.poll_interval,
            alert_after=config.forum.failure_alert_after,
        ),
        receipt_queue=ReceiptQueue(receipts),
        destination_specs=specs,
        rule_seeds=[
            RuleSeedSpec.from_ref(r.destination, r.filter, r.board, r.include, r.exclude)
            for r in config.relay.rules
        ],
    )
