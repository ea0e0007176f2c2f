"""Telegram adapter: python-telegram-bot underneath, neutral messages in and out.

It only translates (``inbound.py`` for updates, ``render.py`` for messages, ``errors.py`` for
failures) and decides nothing.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from starlette.routing import BaseRoute
from telegram import (
    BotCommand,
    BotCommandScopeChat,
    Update,
)
from telegram.error import TelegramError
from telegram.request import BaseRequest, HTTPXRequest

from bot.channels.telegram.errors import map_telegram_error
from bot.channels.telegram.inbound import CHANNEL_NAME, callback_to_inbound, update_to_inbound
from bot.channels.telegram.intake import (
    ALLOWED_UPDATES,
    TelegramBot,
    TelegramPoller,
    polling_health,
    take_update,
    webhook_health,
)
from bot.channels.telegram.pace import ChatPace
from bot.channels.telegram.platform import TELEGRAM_CAPABILITIES
from bot.channels.telegram.render import render_html
from bot.channels.telegram.sending import edit_part, send_part
from bot.channels.telegram.webhook import derived_webhook_secret, telegram_route
from bot.core.channel import (
    Capabilities,
    InboundHandler,
    IntakeHealth,
    UnreadableHandler,
    log_unreadable,
)
from bot.core.clock import Clock, SystemClock
from bot.core.errors import ConfigError, PermanentError
from bot.core.ids import ChannelName
from bot.core.messages import ChatKind, DeliveryResult, OutboundMessage

logger = logging.getLogger(__name__)

__all__ = ["TELEGRAM_CAPABILITIES", "TelegramChannel"]

_SECRET_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")


class TelegramChannel:
    """The Telegram Bot API channel on PTB's ``Bot``: our own intake, our own rate limits."""

    name: ChannelName = CHANNEL_NAME
    capabilities: Capabilities = TELEGRAM_CAPABILITIES

    def __init__(
        self,
        token: str,
        on_message: InboundHandler,
        *,
        base_url: str = "https://api.telegram.org/bot",
        base_file_url: str = "https://api.telegram.org/file/bot",
        webhook_url: str = "",
        webhook_secret: str | None = None,
        request: BaseRequest | None = None,
        get_updates_request: BaseRequest | None = None,
        clock: Clock | None = None,
        link_preview: Mapping[str, bool] | None = None,
        on_unreadable: UnreadableHandler = log_unreadable,
        pace: ChatPace | None = None,
    ) -> None:
        if webhook_secret is not None and not _SECRET_RE.fullmatch(webhook_secret):
            raise ConfigError("telegram.webhook_secret: use 1-256 of A-Z a-z 0-9 _ -")
        self._token = token
        self._link_preview = dict(link_preview or {})
        self._on_message = on_message
        self._base_url = base_url
        self._base_file_url = base_file_url
        self._webhook_url = webhook_url
        # Derived from the token when not configured, so every process of a cluster registers
        # and checks the same secret (a random one per process would lock the others out).
        self._webhook_secret = webhook_secret or derived_webhook_secret(token)
        self._request = request
        self._get_updates_request = get_updates_request
        self._clock = clock or SystemClock()
        self._on_unreadable = on_unreadable
        # Recent sends per chat tell a chat's own 429 from a bot-wide one (``pace``).
        self._pace = pace or ChatPace()
        self._bot: TelegramBot | None = None
        self._poller: TelegramPoller | None = None
        self._poll_stop = asyncio.Event()
        self._poll_task: asyncio.Task[None] | None = None
        self._started_at: datetime | None = None

    def __repr__(self) -> str:
        return f"TelegramChannel(base_url={self._base_url!r}, webhook={bool(self._webhook_url)})"

    @property
    def webhook_secret(self) -> str:
        """Return the secret Telegram sends in ``X-Telegram-Bot-Api-Secret-Token``."""
        return self._webhook_secret

    def web_routes(self) -> Sequence[BaseRoute]:
        """Return the webhook route when this channel receives by webhook, else none."""
        if not self._webhook_url:
            return []
        return [telegram_route(self.check_webhook_secret, self.process_webhook)]

    def check_webhook_secret(self, header_value: str | None) -> bool:
        """Return whether a webhook request carries our secret (constant-time comparison)."""
        if header_value is None:
            return False
        return hmac.compare_digest(header_value.encode(), self._webhook_secret.encode())

    @property
    def poller(self) -> TelegramPoller | None:
        """Return the poller while polling (its last success is the intake's health)."""
        return self._poller

    async def start(self) -> None:
        """Connect (``getMe``), then long-poll or register the webhook."""
        bot = TelegramBot(
            self._token,
            base_url=self._base_url,
            base_file_url=self._base_file_url,
            request=self._request or HTTPXRequest(connection_pool_size=64),
            get_updates_request=self._get_updates_request or HTTPXRequest(),
        )
        self._bot = bot
        try:
            await bot.initialize()
            if self._webhook_url:
                await bot.set_webhook(
                    self._webhook_url,
                    secret_token=self._webhook_secret,
                    allowed_updates=list(ALLOWED_UPDATES),
                )
            else:
                # getUpdates is refused while a webhook is set (409).
                await bot.delete_webhook()
        except TelegramError as exc:
            await self.stop()
            raise map_telegram_error(exc) from exc
        self._started_at = self._clock.now()
        if not self._webhook_url:
            self._poller = TelegramPoller(bot, self._store, self._on_unreadable, clock=self._clock)
            self._poll_stop = asyncio.Event()
            self._poll_task = asyncio.create_task(
                self._poller.run(self._poll_stop), name="telegram-polling"
            )

    async def intake_health(self, now: datetime) -> IntakeHealth:
        """Return whether updates reach us: the last answered poll, or ``getWebhookInfo``."""
        if self._bot is None:
            return IntakeHealth(False, "not started")
        if not self._webhook_url:
            return polling_health(self._poller, self._started_at or now, now)
        try:
            info = await self._bot.get_webhook_info()
        except TelegramError as exc:
            return IntakeHealth(False, f"getWebhookInfo failed: {map_telegram_error(exc)}")
        return webhook_health(info, now)

    async def stop(self) -> None:
        """Stop polling, then close connections."""
        task, self._poll_task = self._poll_task, None
        if task is not None:
            self._poll_stop.set()
            # A long poll in flight would hold the stop for its whole timeout; nothing it
            # returns now is acknowledged, so Telegram sends it again after the restart.
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        self._poller = None
        bot, self._bot = self._bot, None
        if bot is not None:
            await bot.shutdown()

    async def process_webhook(self, data: dict[str, Any]) -> None:
        """Store one webhook update, or record it when unreadable (after the secret check).

        Raises only when storing failed, so the route answers an error and Telegram retries.
        """
        await take_update(data, self._require_bot(), self._store, self._on_unreadable)

    async def send(self, message: OutboundMessage) -> DeliveryResult:
        """Send ``message`` (split if long) and return the id of the first Telegram message."""
        bot = self._require_bot()
        if message.kind in self._link_preview:
            # Link previews are configured per message kind (telegram.link_preview).
            message = replace(message, link_preview=self._link_preview[message.kind])
        try:
            parts = render_html(message)
        except ValueError as exc:
            raise PermanentError("invalid_message", str(exc)) from exc
        recipient = message.recipient
        chat_id = _chat_ref(recipient.chat_id)
        private = recipient.kind is ChatKind.PRIVATE
        if message.edit_of is not None:
            scope = self._pace.note(recipient.chat_id, private=private)
            return await edit_part(bot, chat_id, message.edit_of, parts, rate_scope=scope)
        first_id: int | None = None
        for part in parts:
            scope = self._pace.note(recipient.chat_id, private=private)
            try:
                sent = await send_part(bot, chat_id, recipient.thread_id, part)
            except TelegramError as exc:
                raise map_telegram_error(exc, rate_scope=scope) from exc
            first_id = sent.message_id if first_id is None else first_id
        return DeliveryResult(provider_message_id=str(first_id))

    async def publish_commands(
        self,
        commands: Mapping[str, str],
        *,
        language: str | None = None,
        chat_id: str | None = None,
    ) -> None:
        """Publish ``name -> description`` as a command menu (``setMyCommands``).

        ``language`` is Telegram's ``language_code`` (the app's language); ``chat_id`` is
        ``BotCommandScopeChat``, which outranks every language menu in that chat.
        """
        bot = self._require_bot()
        scope = BotCommandScopeChat(chat_id) if chat_id is not None else None
        try:
            await bot.set_my_commands(
                [BotCommand(n, d) for n, d in commands.items()],
                scope=scope,
                language_code=language,
            )
        except TelegramError as exc:
            raise map_telegram_error(exc) from exc

    async def is_chat_admin(self, chat_id: str, user_id: str) -> bool:
        """Return whether ``user_id`` is the creator or an administrator of ``chat_id``."""
        bot = self._require_bot()
        try:
            member = await bot.get_chat_member(_chat_ref(chat_id), int(user_id))
        except TelegramError as exc:
            raise map_telegram_error(exc) from exc
        return member.status in ("creator", "administrator")

    def _require_bot(self) -> TelegramBot:
        if self._bot is None:
            raise RuntimeError("the telegram channel is not started")
        return self._bot

    async def _store(self, update: Update) -> None:
        inbound = callback_to_inbound(update, self._clock.now()) or update_to_inbound(update)
        if inbound is not None:
            await self._on_message(inbound)
        query = update.callback_query
        if query is not None:
            try:
                # After storing: the press is safe first; the user's spinner stops now.
                await query.answer()
            except TelegramError as exc:
                logger.warning("Could not answer callback query: %s", exc)


def _chat_ref(chat_id: str) -> int | str:
    """Return a numeric chat id as int; keep ``@channelname`` as text."""
    try:
        return int(chat_id)
    except ValueError:
        return chat_id
