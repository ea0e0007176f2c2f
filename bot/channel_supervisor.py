"""Start every channel; keep retrying one whose platform cannot be reached while the rest runs.

A platform that is unreachable when the service boots (connection refused, DNS failure,
timeout, 5xx, 429) must not stop the service: WhatsApp, the relay and the outbox do not need
it. Such a channel is retried in the background with capped exponential backoff; until it is up
its outbox rows wait (the worker gives back rows of a channel that is not started without
counting the attempt), ``/status`` names it, and the runtime's hooks tell the admins once when it
goes down and once when it is back.

A platform that *refuses* us (a rejected token: 401/404 from ``getMe``, which adapters raise as
``ChannelUnavailable``) or a misconfigured channel cannot be cured by waiting, so that stops
start-up with :class:`ChannelRefused`, whose one-line message says what to fix.

Neutral on purpose: only the ``Channel`` protocol and ``bot.core`` errors are known here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, replace
from datetime import timedelta

from bot.core.channel import Channel, ChannelRegistry
from bot.core.clock import Clock
from bot.core.errors import BotError, ChannelError, ChannelUnavailable, RateLimited
from bot.core.status import ChannelOutage

logger = logging.getLogger(__name__)

# Past this many doublings every realistic base has passed any cap (and 2.0**n would overflow).
_MAX_DOUBLINGS = 32

DownHook = Callable[[ChannelOutage], Awaitable[None]]
"""Called once per outage, after the first failed start of a channel."""
UpHook = Callable[[Channel, ChannelOutage | None], Awaitable[None]]
"""Called once a channel has started; the outage it recovered from, or None at first try."""


class ChannelRefused(BotError):
    """A channel can never start as configured: its credentials were rejected, or a setting."""

    def __init__(self, channel: str, reason: str) -> None:
        super().__init__(f"{channel} cannot start: {reason}")
        self.channel = channel
        self.reason = reason


@dataclass(frozen=True, slots=True)
class StartRetry:
    """How the start attempts of an unreachable channel are spaced (seconds)."""

    base: float = 1.0
    cap: float = 60.0

    def delay(self, attempts: int, rng: random.Random) -> float:
        """Return the pause after ``attempts`` failed starts (1 = after the first failure).

        Equal jitter (half fixed, half random) rather than the outbox's full jitter: here one
        client retries, so the fixed half keeps it from hammering a platform that is down,
        and the random half still spreads the processes of a cluster that booted together.
        """
        ceiling = min(self.cap, self.base * 2.0 ** min(max(attempts, 1) - 1, _MAX_DOUBLINGS))
        return ceiling / 2 + rng.uniform(0.0, ceiling / 2)


def refusal(exc: Exception) -> str | None:
    """Return why ``exc`` from ``Channel.start()`` can never pass by waiting, or None if it may.

    The reason is built from neutral fields only: adapters keep secrets out of them, whereas a
    library's own message may quote the token (PTB's ``getMe`` does).
    """
    if isinstance(exc, ChannelUnavailable):
        # Checked before ``retryable``: it is a channel-wide RateLimited when a send meets it,
        # but at start it means the platform rejected our credentials.
        return f"the platform rejected its credentials ({exc.detail or exc.error_key})"
    if isinstance(exc, ChannelError):
        return None if exc.retryable else str(exc)
    if isinstance(exc, BotError):
        return str(exc)
    return None  # not ours to judge: the caller re-raises it


async def _nothing_down(outage: ChannelOutage) -> None:
    return None


async def _nothing_up(channel: Channel, outage: ChannelOutage | None) -> None:
    return None


class ChannelSupervisor:
    """Starts the channels of a registry, retrying unreachable ones until they are up."""

    def __init__(
        self,
        channels: ChannelRegistry,
        *,
        clock: Clock,
        on_down: DownHook = _nothing_down,
        on_up: UpHook = _nothing_up,
        retry: StartRetry | None = None,
        outages: MutableMapping[str, ChannelOutage] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self._channels = channels
        self._clock = clock
        self._on_down = on_down
        self._on_up = on_up
        self._retry = retry or StartRetry()
        # Shared with ServiceStatus, so /status and /readyz show what is down right now.
        self.outages: MutableMapping[str, ChannelOutage] = {} if outages is None else outages
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._waiting: list[Channel] = []
        self._last_error: dict[str, Exception] = {}

    @property
    def waiting(self) -> list[str]:
        """Return the names of channels that failed to start and wait for a retry."""
        return [channel.name for channel in self._waiting]

    async def start_all(self) -> None:
        """Try each channel once, in order; leave the unreachable ones to :meth:`run`.

        Raises :class:`ChannelRefused` for a channel that can never start; the caller stops
        the ones already started.
        """
        for channel in self._channels:
            try:
                await self._channels.start_one(channel)
            except Exception as exc:
                await self._failed(channel, exc)
                self._waiting.append(channel)
                continue
            await self._came_up(channel, None)

    async def run(self, stop: asyncio.Event) -> None:
        """Retry every waiting channel until it starts or ``stop`` is set.

        Returns only when stopping; raises :class:`ChannelRefused` when a retry learns that a
        channel can never start (e.g. the token was rejected once the network came back).
        """
        loops = {
            asyncio.create_task(self._keep_trying(channel, stop), name=f"start-{channel.name}")
            for channel in self._waiting
        }
        stopping = asyncio.ensure_future(stop.wait())
        try:
            while not stop.is_set():
                done, _ = await asyncio.wait(
                    {*loops, stopping}, return_when=asyncio.FIRST_COMPLETED
                )
                for task in done & loops:
                    task.result()  # re-raise ChannelRefused (or a bug) out of the runtime
                loops -= done
        finally:
            stopping.cancel()
            for task in loops:
                task.cancel()
            await asyncio.gather(stopping, *loops, return_exceptions=True)

    async def _keep_trying(self, channel: Channel, stop: asyncio.Event) -> None:
        while not stop.is_set():
            outage = self.outages[channel.name]
            delay = self._delay(outage.attempts, self._last_error.get(channel.name))
            at = self._clock.now() + timedelta(seconds=delay)
            self.outages[channel.name] = replace(outage, next_attempt_at=at)
            await self._sleep(delay)
            try:
                await self._channels.start_one(channel)
            except asyncio.CancelledError:
                # Stopping mid-attempt: release whatever the half-done start opened.
                with contextlib.suppress(Exception):
                    await channel.stop()
                raise
            except Exception as exc:
                await self._failed(channel, exc)
                continue
            self._waiting.remove(channel)
            await self._came_up(channel, self.outages.pop(channel.name, None))
            return

    def _delay(self, attempts: int, error: Exception | None) -> float:
        delay = self._retry.delay(attempts, self._rng)
        if isinstance(error, RateLimited):
            # The platform said how long; asking sooner only earns another 429.
            return max(delay, error.retry_after)
        return delay

    async def _failed(self, channel: Channel, exc: Exception) -> None:
        """Record a failed start; raise when waiting cannot cure it."""
        reason = refusal(exc)
        if reason is not None:
            raise ChannelRefused(channel.name, reason) from exc
        if not isinstance(exc, ChannelError):
            raise exc  # an error no adapter maps is a bug: fail loudly, as before
        self._last_error[channel.name] = exc
        now = self._clock.now()
        previous = self.outages.get(channel.name)
        if previous is None:
            outage = ChannelOutage(channel.name, since=now, error_key=exc.error_key, attempts=1)
            self.outages[channel.name] = outage
            logger.warning(
                "%s is unreachable (%s); the rest of the service runs, retrying in the background",
                channel.name,
                exc,
            )
            await self._hook(self._on_down(outage), f"the {channel.name} outage alert")
            return
        attempts = previous.attempts + 1
        self.outages[channel.name] = replace(previous, error_key=exc.error_key, attempts=attempts)
        logger.warning("%s still unreachable after %d attempts: %s", channel.name, attempts, exc)

    async def _came_up(self, channel: Channel, outage: ChannelOutage | None) -> None:
        if outage is not None:
            down_for = (self._clock.now() - outage.since).total_seconds()
            logger.info(
                "%s started after %d failed attempts (%.0fs down)",
                channel.name,
                outage.attempts,
                down_for,
            )
        await self._hook(self._on_up(channel, outage), f"what follows the {channel.name} start")

    async def _hook(self, call: Awaitable[None], what: str) -> None:
        # A hook that fails (the database is down too) must not stop the channel's start.
        try:
            await call
        except Exception:
            logger.exception("Running %s failed", what)
