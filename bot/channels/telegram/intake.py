"""Telegram intake: each update read on its own, stored, and only then acknowledged.

PTB parses a ``getUpdates`` batch as a whole, so one update it cannot parse (a ``message``
without ``date``) failed every poll and the offset never moved: intake stopped for everyone.
Here the raw batch is read one update at a time; an unreadable one is recorded and skipped,
and the offset (the acknowledgement, in polling) moves past an update only once it is stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import random
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from telegram import Bot, Update, WebhookInfo
from telegram.error import TelegramError

from bot.channels.telegram.inbound import CHANNEL_NAME
from bot.core.backoff import backoff_delay
from bot.core.channel import IntakeHealth, UnreadableHandler, UnreadableInbound
from bot.core.clock import Clock, SystemClock
from bot.core.repeats import RepeatedLog

logger = logging.getLogger(__name__)

ALLOWED_UPDATES = ("message", "callback_query", "my_chat_member")
POLL_TIMEOUT = 25
"""Long-poll seconds: Telegram answers at once when updates wait, else after this."""
BACKOFF_BASE = 0.5
BACKOFF_CAP = 30.0

UpdateSink = Callable[[Update], Awaitable[None]]
"""Stores one parsed update (raises when it could not be stored)."""


class TelegramBot(Bot):
    """PTB's ``Bot`` with a ``getUpdates`` that returns the raw batch, unparsed."""

    async def get_raw_updates(
        self, *, offset: int | None, long_poll: int, allowed_updates: tuple[str, ...]
    ) -> list[Any]:
        """Return the raw ``getUpdates`` result, so each update can be parsed on its own."""
        data: dict[str, Any] = {
            "timeout": long_poll,
            "offset": offset,
            "allowed_updates": list(allowed_updates),
        }
        # The read must outlast the long poll; the request's own read timeout is added on top,
        # as PTB's get_updates does.
        result = await self._post("getUpdates", data, read_timeout=long_poll + 10.0)
        return list(result) if isinstance(result, list) else []


async def take_update(
    raw: Any, bot: Bot, store: UpdateSink, on_unreadable: UnreadableHandler
) -> int | None:
    """Parse and store one raw update (or record it as unreadable); return its update_id.

    Raises only when storing failed, so the caller does not acknowledge the update.
    """
    update_id = raw.get("update_id") if isinstance(raw, dict) else None
    update_id = update_id if isinstance(update_id, int) else None
    try:
        update = Update.de_json(raw, bot)
        if update is None:
            raise ValueError("empty update")
    except Exception as exc:  # whatever PTB cannot parse, it must not stop intake
        keys = tuple(sorted(str(k) for k in raw)) if isinstance(raw, dict) else ()
        if update_id is not None:
            ref = f"telegram:update:{update_id}"
        else:
            # No id to key it on: its content keys it, so two different ones are two rows.
            digest = hashlib.sha256(repr(raw).encode("utf-8", "replace")).hexdigest()[:16]
            ref = f"telegram:update:?{digest}"
        error = f"{type(exc).__name__}: {exc}"
        await on_unreadable(UnreadableInbound(CHANNEL_NAME, ref, keys, error))
        return update_id
    await store(update)
    return update.update_id


class TelegramPoller:
    """Long-poll ``getUpdates`` until stopped, backing off on errors and logging them sparingly."""

    def __init__(
        self,
        bot: TelegramBot,
        store: UpdateSink,
        on_unreadable: UnreadableHandler,
        *,
        clock: Clock | None = None,
        rng: random.Random | None = None,
        timeout: int = POLL_TIMEOUT,
        pause: Callable[[float, asyncio.Event], Awaitable[None]] | None = None,
    ) -> None:
        self._bot = bot
        self._store = store
        self._on_unreadable = on_unreadable
        self._clock = clock or SystemClock()
        self._rng = rng or random.Random()
        self._timeout = timeout
        self._pause = pause or _wait_or_stop
        self._offset: int | None = None
        self._failures = 0
        self._repeated = RepeatedLog(logger)
        self.last_success: datetime | None = None
        """When ``getUpdates`` last answered (the intake health check reads it)."""
        self.last_error: str | None = None

    async def run(self, stop: asyncio.Event) -> None:
        """Poll until ``stop`` is set."""
        while not stop.is_set():
            try:
                await self.poll_once()
            except Exception as exc:  # network, 5xx, 409, a store that failed: keep polling
                await self._back_off(exc, stop)
                continue
            if self._failures:
                self._failures = 0
                self.last_error = None
                self._repeated.clear("telegram-poll")
                logger.info("Telegram polling recovered")

    async def poll_once(self) -> int:
        """Fetch one batch, store each update in turn, move the offset; return how many."""
        batch = await self._bot.get_raw_updates(
            offset=self._offset, long_poll=self._timeout, allowed_updates=ALLOWED_UPDATES
        )
        self.last_success = self._clock.now()
        for raw in batch:
            update_id = await take_update(raw, self._bot, self._store, self._on_unreadable)
            if update_id is not None:
                # Confirmed by the next call: only ever past updates already stored.
                self._offset = max(self._offset or 0, update_id + 1)
        return len(batch)

    async def _back_off(self, exc: Exception, stop: asyncio.Event) -> None:
        self._failures += 1
        self.last_error = f"{type(exc).__name__}: {exc}"
        delay = backoff_delay(self._failures, BACKOFF_BASE, BACKOFF_CAP, self._rng)
        kind = "Telegram" if isinstance(exc, TelegramError) else "Storing"
        self._repeated.log(
            logging.WARNING,
            "telegram-poll",
            "%s error while polling Telegram, retrying in %.1f s: %s",
            kind,
            delay,
            self.last_error,
        )
        await self._pause(delay, stop)


async def _wait_or_stop(delay: float, stop: asyncio.Event) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=delay)


POLL_STALE_AFTER = timedelta(minutes=3)
"""No answered poll for this long means intake is stuck (a poll answers within 25 s)."""
WEBHOOK_ERROR_RECENT = timedelta(minutes=10)
"""A delivery error Telegram reports this recently, with updates waiting, means stuck."""


def polling_health(
    poller: TelegramPoller | None, started_at: datetime, now: datetime
) -> IntakeHealth:
    """Return polling intake health from the age of the last answered ``getUpdates``."""
    last = poller.last_success if poller is not None else None
    since = last or started_at
    age = now - since
    if age <= POLL_STALE_AFTER:
        return IntakeHealth(True, f"last poll answered {_ago(age)} ago", last_received_at=last)
    error = poller.last_error if poller is not None else None
    detail = f"no poll answered for {_ago(age)}" + (f" (last error: {error})" if error else "")
    return IntakeHealth(False, detail, last_received_at=last)


def webhook_health(info: WebhookInfo, now: datetime) -> IntakeHealth:
    """Return webhook intake health from ``getWebhookInfo``: recent errors with updates waiting."""
    pending = info.pending_update_count
    failed_at = info.last_error_date
    if failed_at is not None and pending > 0 and now - failed_at <= WEBHOOK_ERROR_RECENT:
        message = info.last_error_message or "unknown error"
        detail = (
            f"Telegram holds {pending} undelivered updates; its last delivery failed "
            f"{_ago(now - failed_at)} ago: {message}"
        )
        return IntakeHealth(False, detail, pending=pending)
    return IntakeHealth(True, f"{pending} updates waiting at Telegram", pending=pending)


def _ago(age: timedelta) -> str:
    seconds = max(int(age.total_seconds()), 0)
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h"
