"""Run one Minbar process: start the parts in order, lead if elected, stop cleanly."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Generator

import uvicorn

from bot.app import Service
from bot.channel_supervisor import ChannelRefused, ChannelSupervisor, StartRetry
from bot.core.channel import Channel, SupportsCommandMenu
from bot.core.errors import BotError
from bot.core.status import ChannelOutage
from bot.storage.migrate import upgrade_database
from bot.web import create_web_app
from handlers.channel_health import channel_down, channel_up
from handlers.command_menu import command_menus
from scheduler.jobs import RunningJobs
from scheduler.setup import build_scheduler, register_jobs

logger = logging.getLogger(__name__)


class StartupError(BotError):
    """The service cannot start; the message says why and what to do."""


class _EmbeddedServer(uvicorn.Server):
    """uvicorn without its own signal handling: the runtime owns shutdown."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


class Runtime:
    """Owns the lifecycle of a wired :class:`Service`."""

    def __init__(
        self,
        service: Service,
        *,
        serve_web: bool = True,
        lead: bool = True,
        channel_retry: StartRetry | None = None,
    ) -> None:
        self.service = service
        self._serve_web = serve_web and service.config.web.enabled
        self._lead = lead
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._server: _EmbeddedServer | None = None
        self._scheduler = build_scheduler(
            service.config.service.tz,
            misfire_grace_time=service.config.scheduler.misfire_grace_time,
        )
        self._scheduler_started = False
        self._running_jobs = RunningJobs()
        # A channel whose platform is unreachable at boot is retried in the background while
        # everything else runs; one that refuses our credentials stops start-up.
        self._channels = ChannelSupervisor(
            service.channels,
            clock=service.clock,
            on_down=self._channel_down,
            on_up=self._channel_up,
            retry=channel_retry,
            outages=service.status.outages,
        )

    @property
    def web_port(self) -> int | None:
        """Return the port the web server listens on, once started."""
        if self._server is None or not self._server.started:
            return None
        for server in self._server.servers:
            for sock in server.sockets:
                return int(sock.getsockname()[1])
        return None

    @property
    def is_leader(self) -> bool:
        """Return whether this process runs the scheduler and the forum poller."""
        return self.service.status.is_leader

    def request_stop(self) -> None:
        """Ask the runtime to stop (signal handlers call this)."""
        self._stop.set()

    async def start(self) -> None:
        """Migrate, start channels, the outbox worker, the web server and leader election."""
        svc = self.service
        config = svc.config
        if config.database.migrate_on_start:
            revision = await upgrade_database(config.database.url)
            logger.info("Database %s at revision %s", config.database.display_url, revision)
        leading = self._lead and await svc.leader.try_acquire()
        if self._lead and not leading and svc.db.dialect == "sqlite":
            raise StartupError(
                f"another Minbar process is already running on {config.database.display_url}. "
                "With SQLite run one process; use PostgreSQL to run several."
            )
        await svc.ctx.repos.destinations.sync_from_config(svc.destination_specs)
        stored = await svc.ctx.repos.rules.seed_from_config(svc.rule_seeds)
        logger.info("Relay rules from config: %d", len(stored))
        for warning in svc.warnings:
            logger.warning("%s", warning)
        await self._channels.start_all()
        svc.status.started_at = svc.clock.now()
        self._tasks.append(asyncio.create_task(svc.worker.run(self._stop), name="outbox-worker"))
        if self._channels.waiting:
            self._tasks.append(
                asyncio.create_task(self._channels.run(self._stop), name="channel-starts")
            )
        self._tasks.append(asyncio.create_task(svc.inbox.run(self._stop), name="inbox-worker"))
        if self._serve_web:
            await self._start_web()
        if leading:
            svc.status.is_leader = True
            self._begin_leading()
        if self._lead:
            self._tasks.append(asyncio.create_task(self._leader_loop(), name="leader"))
        waiting = self._channels.waiting
        logger.info(
            "Minbar started: channels %s%s",
            ", ".join(svc.channels.names()),
            f" ({', '.join(waiting)} not yet: retrying)" if waiting else "",
        )

    async def _channel_up(self, channel: Channel, outage: ChannelOutage | None) -> None:
        """Publish the channel's command menu; after an outage, send its rows and say so."""
        if isinstance(channel, SupportsCommandMenu):
            try:
                for menu in await command_menus(self.service.ctx, channel.name):
                    await channel.publish_commands(
                        menu.commands, language=menu.language, chat_id=menu.chat_id
                    )
            except BotError as exc:
                logger.warning("Could not publish the %s command menus: %s", channel.name, exc)
        if outage is not None:
            self.service.worker.notify()
        # Also after a first-try start: an outage a previous process left open ends here.
        await channel_up(self.service.ctx, channel.name)

    async def _channel_down(self, outage: ChannelOutage) -> None:
        """Tell the admins on the other platforms (once per outage, across restarts)."""
        await channel_down(self.service.ctx, outage)

    async def _start_web(self) -> None:
        web = self.service.config.web
        app = create_web_app(self.service.status, self.service.web_routes())
        config = uvicorn.Config(
            app,
            host=web.host,
            port=web.port,
            log_config=None,
            lifespan="off",
            access_log=False,
            timeout_graceful_shutdown=3,
        )
        self._server = _EmbeddedServer(config)
        self._tasks.append(asyncio.create_task(self._server.serve(), name="web"))
        while not self._server.started:
            if self._tasks[-1].done():
                self._tasks[-1].result()  # re-raise a bind error
                raise StartupError(f"the web server did not start on {web.host}:{web.port}")
            await asyncio.sleep(0.01)
        logger.info("Web server listening on %s:%s", web.host, self.web_port)

    async def _leader_loop(self) -> None:
        svc = self.service
        interval = svc.config.cluster.leader_check_interval
        announced_follower = False
        while not self._stop.is_set():
            try:
                if not svc.status.is_leader:
                    if await svc.leader.try_acquire():
                        svc.status.is_leader = True
                        self._begin_leading()
                    elif not announced_follower:
                        logger.info(
                            "Another process leads; this one serves webhooks and the outbox"
                        )
                        announced_follower = True
                elif not await svc.leader.still_held():
                    svc.status.is_leader = False
                    self._scheduler.pause()
                    logger.error("Lost the leader lock; scheduler paused until it is regained")
            except Exception:
                logger.exception("Leader election failed; retrying")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=interval)

    def _begin_leading(self) -> None:
        svc = self.service
        now = svc.clock.now()
        if not self._scheduler_started:
            self._scheduler.start(paused=True)
            self._scheduler_started = True
        register_jobs(self._scheduler, svc.jobs, svc.ctx, now=now, running=self._running_jobs)
        self._scheduler.resume()
        logger.info("This process leads: scheduler and forum poller running")

    async def wait(self) -> None:
        """Wait until a stop is requested or a part dies."""
        stop_task = asyncio.create_task(self._stop.wait())
        done, _ = await asyncio.wait([stop_task, *self._tasks], return_when=asyncio.FIRST_COMPLETED)
        stop_task.cancel()
        for task in done:
            if task is stop_task or task.cancelled() or task.exception() is None:
                continue
            error = task.exception()
            if isinstance(error, ChannelRefused):
                # Learnt after start (the network came back and the token was refused): the
                # process must end non-zero with the same clear message as at start.
                raise error
            logger.error("%s stopped unexpectedly: %r", task.get_name(), error)

    async def stop(self) -> None:
        """Stop every part in reverse order within the configured timeout."""
        self._stop.set()
        timeout = self.service.config.service.shutdown_timeout
        try:
            await asyncio.wait_for(self._shutdown(), timeout=timeout)
        except TimeoutError:
            logger.error("Shutdown took longer than %ss; cancelling what is left", timeout)
            for task in self._tasks:
                task.cancel()
        logger.info("Minbar stopped")

    async def _shutdown(self) -> None:
        svc = self.service
        if self._scheduler_started:
            # AsyncIOScheduler only queues its shutdown (which cancels running jobs, and may
            # follow a queued wake-up that starts a due one); let both run, then wait for the
            # cancelled jobs: one still unwinding must not outlive the database it uses.
            self._scheduler.shutdown(wait=False)
            self._scheduler_started = False
            await asyncio.sleep(0)
            await self._running_jobs.wait()
        if self._server is not None:
            self._server.should_exit = True
        results = await asyncio.gather(*self._tasks, return_exceptions=True)
        for task, result in zip(self._tasks, results, strict=True):
            if isinstance(result, Exception):
                logger.error("%s ended with %r", task.get_name(), result)
        await svc.channels.stop_all()
        # Release whatever the lock holds, even if start() failed before leading began.
        await svc.leader.release()
        svc.status.is_leader = False
        await svc.source.aclose()
        await svc.db.dispose()


async def run_until_stopped(runtime: Runtime) -> None:
    """Start, wait for a stop request, and stop."""
    try:
        await runtime.start()
        await runtime.wait()
    finally:
        await runtime.stop()
