"""Composition root: the only module that wires concrete classes together.

Platforms are wired from their declarations (``bot.channels.PLATFORMS``), features from
theirs (``handlers.FEATURES``); nothing here names a platform or a feature.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from starlette.routing import BaseRoute

from bot.channels import PLATFORMS
from bot.channels.console.adapter import ConsoleChannel
from bot.channels.console.platform import CONSOLE_ADMIN
from bot.channels.platform import ChannelHooks, Platform, ServesWebRoutes
from bot.config import Config
from bot.core.channel import Capabilities, Channel, ChannelRegistry
from bot.core.clock import Clock, SystemClock
from bot.core.commands import CommandRegistry
from bot.core.messages import InboundMessage
from bot.domain.destinations import DestinationSpec
from bot.domain.rules import RuleSeedSpec
from bot.feature_config import feature_settings
from bot.forum.smf import SmfFeedSource
from bot.forum.source import ForumSource
from bot.inbox.intake import InboxIntake
from bot.inbox.worker import InboxSettings, InboxWorker
from bot.outbox.port import OutboxPort, WorkSignal
from bot.outbox.preflight import DeliveryPreflight
from bot.outbox.ratelimit import RateLimiter
from bot.outbox.receipts import DeliveryReceipts
from bot.outbox.reclaim import Reclaimer
from bot.outbox.settings import WorkerSettings
from bot.outbox.worker import OutboxWorker
from bot.status import ServiceStatus
from bot.storage.db import Database
from bot.storage.leader import LeaderLock, leader_lock_for
from bot.storage.liveness import LockLiveness, new_worker_id
from bot.storage.repositories import Repositories
from bot.storage.repositories.outbox import OutboxRepo
from bot.storage.repositories.outbox_workers import OutboxWorkerRepo
from handlers import build_dispatcher, declared_jobs, flow_table, register_commands
from handlers.context import AdminPolicy, HandlerContext
from handlers.dispatch import Dispatcher
from handlers.feature import Job
from handlers.intake_health import state_key as intake_state_key
from handlers.relay.poll import POLL_STATE_KEY

logger = logging.getLogger(__name__)


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
    leader: LeaderLock
    status: ServiceStatus
    intake: InboxIntake
    inbox: InboxWorker
    jobs: list[Job]
    destination_specs: list[DestinationSpec] = field(default_factory=list)
    rule_seeds: list[RuleSeedSpec] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def source(self) -> ForumSource:
        """Return the forum feed the poll job reads."""
        assert self.ctx.forum is not None  # build_service always sets one
        return self.ctx.forum

    def web_routes(self) -> list[BaseRoute]:
        """Return the webhook routes of every live channel that receives by webhook."""
        routes: list[BaseRoute] = []
        for channel in self.channels:
            if isinstance(channel, ServesWebRoutes):
                routes += channel.web_routes()
        return routes

    async def receive(self, message: InboundMessage) -> None:
        """Store an inbound message as an adapter does; the inbox worker then handles it."""
        await self.intake.accept(message)


def build_service(
    config: Config,
    *,
    clock: Clock | None = None,
    console_stream: TextIO | None = None,
    channel_overrides: Mapping[str, Channel] | None = None,
    source: ForumSource | None = None,
    console_only: bool = False,
    platforms: Sequence[Platform] = PLATFORMS,
    claim_only: frozenset[tuple[str, str]] | None = None,
) -> Service:
    """Wire every part of the service from the configuration.

    ``console_only`` prints every platform to the console whatever its configured mode, so a
    terminal session (``minbar chat``) can never reach a real chat, whichever platforms exist.
    ``claim_only`` limits the outbox and inbox workers to those ``(channel, chat_id)`` pairs.
    """
    clock = clock or SystemClock()
    db = Database(config.database.url, echo=config.database.echo)
    outbox = OutboxRepo(db, clock)
    repos = Repositories.open(db, clock)
    signal = WorkSignal()
    commands: CommandRegistry[HandlerContext] = CommandRegistry()
    register_commands(commands)
    modes = {p.name: "console" if console_only else p.mode(config) for p in platforms}
    declared = {p.name: p.capabilities(config) for p in platforms if modes[p.name] != "off"}
    channels = ChannelRegistry(declared=declared)
    status = ServiceStatus(
        db=db,
        channels=channels,
        clock=clock,
        outbox=outbox,
        state=repos.state,
        destinations=repos.destinations,
        inbox=repos.inbox,
        poll_state_key=POLL_STATE_KEY,
        intake_state_key=intake_state_key,
    )
    review_chats = [
        chat
        for p in platforms
        if modes[p.name] != "off" and declared[p.name].buttons
        for chat in p.admin_chats(config)
    ]
    ctx = HandlerContext(
        repos=repos,
        outbox=OutboxPort(outbox, signal),
        clock=clock,
        # In a terminal session every platform is a console, and its admin is the console's.
        admins=AdminPolicy(
            {
                p.name: p.admins(config) | (frozenset({CONSOLE_ADMIN}) if console_only else set())
                for p in platforms
            }
        ),
        commands=commands,
        status=status,
        channels=channels,
        settings=feature_settings(config, review_chats),
        forum=source
        or SmfFeedSource(
            config.forum.feed_url, timeout=config.forum.timeout, user_agent=config.forum.user_agent
        ),
        flows=flow_table(),
    )
    dispatcher = build_dispatcher(ctx)
    receipts = DeliveryReceipts(
        outbox, repos.recipients, repos.subscribers, clock=clock, wake=signal.notify
    )
    intake = InboxIntake(repos.inbox)
    inbox = InboxWorker(
        repos.inbox,
        dispatcher.handle,
        receipts,
        # The same scope as the outbox's: a terminal chat handles only its own messages.
        settings=InboxSettings(
            claim_only=frozenset(f"{c}:{i}" for c, i in claim_only) if claim_only else None
        ),
        signal=intake.signal,
        clock=clock,
    )
    hooks = ChannelHooks(
        intake.accept, intake.accept_report, on_unreadable=intake.record_unreadable
    )
    out = ConsoleOutput(stream=console_stream, path=config.console.output)
    overrides = dict(channel_overrides or {})
    for platform in platforms:
        mode = modes[platform.name]
        channel = overrides.pop(platform.name, None)
        if channel is None and mode == "live" and platform.build_live is not None:
            channel = platform.build_live(config, hooks)
        elif channel is None and mode != "off":
            channel = _console(platform.name, declared[platform.name], hooks, out)
        if channel is not None:
            channels.add(channel)
    for channel in overrides.values():
        channels.add(channel)
    policies = {p.name: p.rate_policy(config) for p in platforms}
    worker = OutboxWorker(
        outbox,
        repos.recipients,
        channels,
        {name: RateLimiter(policy) for name, policy in policies.items()},
        worker_id=new_worker_id(),
        clock=clock,
        reclaimer=Reclaimer(OutboxWorkerRepo(db, clock), LockLiveness(db)),
        settings=WorkerSettings(
            batch_size=config.outbox.batch_size,
            concurrency=config.outbox.workers,
            poll_interval=config.outbox.poll_interval,
            lease_seconds=config.outbox.lease_seconds,
            max_attempts=config.outbox.max_attempts,
            backoff_base=config.outbox.backoff_base,
            backoff_max=config.outbox.backoff_max,
            claim_only=claim_only,
        ),
        preflight=_preflight(repos, declared, clock),
        signal=signal,
    )
    return Service(
        config=config,
        db=db,
        clock=clock,
        channels=channels,
        ctx=ctx,
        dispatcher=dispatcher,
        worker=worker,
        leader=leader_lock_for(db, config.cluster.leader_lock_id),
        status=status,
        intake=intake,
        inbox=inbox,
        jobs=declared_jobs(),
        destination_specs=[
            DestinationSpec(
                channel=d.channel,
                chat_id=d.chat_id,
                chat_kind=d.kind,
                thread_id=d.thread_id,
                name=d.name,
                boards=tuple(d.boards),
            )
            for d in config.relay.destinations
        ],
        rule_seeds=[
            RuleSeedSpec.from_ref(r.destination, r.filter, r.board, r.include, r.exclude)
            for r in config.relay.rules
        ],
        warnings=[w for p in platforms if modes[p.name] == "live" for w in p.warnings(config)],
    )


def _console(
    name: str, capabilities: Capabilities, hooks: ChannelHooks, out: ConsoleOutput
) -> Channel:
    return ConsoleChannel(
        name,
        capabilities=capabilities,
        on_message=hooks.on_inbound,
        stream=out.stream,
        open_output=out.opener(),
    )


def _preflight(
    repos: Repositories, declared: Mapping[str, Capabilities], clock: Clock
) -> DeliveryPreflight:
    """Return the last check before a send, from each platform's window and templates."""
    windows = {n: c.session_window for n, c in declared.items() if c.session_window is not None}
    return DeliveryPreflight(
        repos.subscribers,
        windows=windows,
        templates={n: declared[n].templates for n in windows},
        clock=clock,
    )
