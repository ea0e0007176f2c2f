"""Telegram adapter: python-telegram-bot underneath, neutral messages in and out.

It only translates (``inbound.py`` for updates, ``render.py`` for messages, ``errors.py`` for
failures) and decides nothing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from starlette.routing import BaseRoute
from telegram import (
    BotCommand,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import Application, CallbackContext, TypeHandler
from telegram.request import BaseRequest

from bot.channels.telegram.errors import map_telegram_error
from bot.channels.telegram.inbound import CHANNEL_NAME, callback_to_inbound, update_to_inbound
from bot.channels.telegram.platform import TELEGRAM_CAPABILITIES
from bot.channels.telegram.render import RenderedTelegram, render_html
from bot.channels.telegram.webhook import telegram_route
from bot.core.channel import Capabilities, InboundHandler
from bot.core.clock import Clock, SystemClock
from bot.core.errors import ConfigError, PermanentError
from bot.core.ids import ChannelName
from bot.core.messages import DeliveryResult, InboundMessage, OutboundMessage

logger = logging.getLogger(__name__)

__all__ = ["TELEGRAM_CAPABILITIES", "TelegramChannel"]

ALLOWED_UPDATES = ("message", "callback_query", "my_chat_member")
_SECRET_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")
_AnyApp = Application[Any, Any, Any, Any, Any, Any]


class TelegramChannel:
    """The Telegram Bot API channel, built on a PTB ``Application`` without its rate limiter."""

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
        self._webhook_secret = webhook_secret or _derived_secret(token)
        self._request = request
        self._get_updates_request = get_updates_request
        self._clock = clock or SystemClock()
        self._app: _AnyApp | None = None

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

    async def start(self) -> None:
        """Connect, then long-poll or register the webhook."""
        builder = (
            Application.builder()
            .token(self._token)
            .base_url(self._base_url)
            .base_file_url(self._base_file_url)
            .job_queue(None)
        )
        if self._request is not None:
            builder = builder.request(self._request)
        if self._get_updates_request is not None:
            builder = builder.get_updates_request(self._get_updates_request)
        if self._webhook_url:
            builder = builder.updater(None)
        app: _AnyApp = builder.build()
        app.add_handler(TypeHandler(Update, self._on_update))
        app.add_error_handler(self._on_error)
        self._app = app
        try:
            await app.initialize()
            if self._webhook_url:
                await app.bot.set_webhook(
                    self._webhook_url,
                    secret_token=self._webhook_secret,
                    allowed_updates=list(ALLOWED_UPDATES),
                )
            await app.start()
            if app.updater is not None:
                await app.updater.start_polling(allowed_updates=list(ALLOWED_UPDATES))
        except TelegramError as exc:
            await self.stop()
            raise map_telegram_error(exc) from exc

    async def stop(self) -> None:
        """Stop polling and processing, then close connections."""
        app, self._app = self._app, None
        if app is None:
            return
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()

    async def process_webhook(self, data: dict[str, Any]) -> None:
        """Queue one webhook update for processing (call after ``check_webhook_secret``)."""
        app = self._require_app()
        await app.update_queue.put(Update.de_json(data, app.bot))

    async def send(self, message: OutboundMessage) -> DeliveryResult:
        """Send ``message`` (split if long) and return the id of the first Telegram message."""
        app = self._require_app()
        if message.kind in self._link_preview:
            # Link previews are configured per message kind (telegram.link_preview).
            message = replace(message, link_preview=self._link_preview[message.kind])
        try:
            parts = render_html(message)
        except ValueError as exc:
            raise PermanentError("invalid_message", str(exc)) from exc
        chat_id = _chat_ref(message.recipient.chat_id)
        if message.edit_of is not None:
            return await self._edit(app, chat_id, message.edit_of, parts)
        first_id: int | None = None
        for part in parts:
            try:
                sent = await self._send_part(app, chat_id, message.recipient.thread_id, part)
            except TelegramError as exc:
                raise map_telegram_error(exc) from exc
            first_id = sent.message_id if first_id is None else first_id
        return DeliveryResult(provider_message_id=str(first_id))

    async def _edit(
        self, app: _AnyApp, chat_id: int | str, edit_of: str, parts: list[RenderedTelegram]
    ) -> DeliveryResult:
        """Replace the text and keyboard of an earlier message."""
        if len(parts) != 1 or parts[0].photo_url is not None:
            raise PermanentError("invalid_edit", "an edit must be one text message")
        try:
            message_id = int(edit_of)
        except ValueError as exc:
            raise PermanentError("invalid_edit", f"not a Telegram message id: {edit_of!r}") from exc
        part = parts[0]
        markup = (
            InlineKeyboardMarkup.de_json(part.reply_markup, app.bot)
            if part.reply_markup is not None
            else None
        )
        try:
            await app.bot.edit_message_text(
                part.text,
                chat_id=chat_id,
                message_id=message_id,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
                link_preview_options=LinkPreviewOptions(is_disabled=part.link_preview_disabled),
            )
        except BadRequest as exc:
            lowered = exc.message.lower()
            # A retried edit that already landed: the message shows what we wanted.
            if "message is not modified" in lowered:
                return DeliveryResult(provider_message_id=edit_of)
            if "message to edit not found" in lowered:
                raise PermanentError("edit_target_missing", exc.message) from exc
            raise map_telegram_error(exc) from exc
        except TelegramError as exc:
            raise map_telegram_error(exc) from exc
        return DeliveryResult(provider_message_id=edit_of)

    async def _send_part(
        self, app: _AnyApp, chat_id: int | str, thread_id: int | None, part: RenderedTelegram
    ) -> Message:
        markup = (
            InlineKeyboardMarkup.de_json(part.reply_markup, app.bot)
            if part.reply_markup is not None
            else None
        )
        if part.photo_url is not None:
            sent: Message = await app.bot.send_photo(
                chat_id,
                part.photo_url,
                caption=part.text or None,
                parse_mode=ParseMode.HTML,
                message_thread_id=thread_id,
                reply_markup=markup,
            )
            return sent
        sent = await app.bot.send_message(
            chat_id,
            part.text,
            parse_mode=ParseMode.HTML,
            message_thread_id=thread_id,
            reply_markup=markup,
            link_preview_options=LinkPreviewOptions(is_disabled=part.link_preview_disabled),
        )
        return sent

    async def publish_commands(self, commands: Mapping[str, str]) -> None:
        """Publish ``name -> description`` as the bot's command menu."""
        app = self._require_app()
        try:
            await app.bot.set_my_commands([BotCommand(n, d) for n, d in commands.items()])
        except TelegramError as exc:
            raise map_telegram_error(exc) from exc

    async def is_chat_admin(self, chat_id: str, user_id: str) -> bool:
        """Return whether ``user_id`` is the creator or an administrator of ``chat_id``."""
        app = self._require_app()
        try:
            member = await app.bot.get_chat_member(_chat_ref(chat_id), int(user_id))
        except TelegramError as exc:
            raise map_telegram_error(exc) from exc
        return member.status in ("creator", "administrator")

    def _require_app(self) -> _AnyApp:
        if self._app is None:
            raise RuntimeError("the telegram channel is not started")
        return self._app

    async def _on_update(
        self, update: Update, context: CallbackContext[Any, Any, Any, Any]
    ) -> None:
        inbound = await self._to_inbound(update)
        if inbound is not None:
            await self._on_message(inbound)

    async def _on_error(self, update: object, context: CallbackContext[Any, Any, Any, Any]) -> None:
        update_id = update.update_id if isinstance(update, Update) else None
        logger.error("Telegram update %s failed", update_id, exc_info=context.error)

    async def _to_inbound(self, update: Update) -> InboundMessage | None:
        query = update.callback_query
        if query is not None:
            try:
                # Answer first: the user's button spins until we do, whatever the handler does.
                await query.answer()
            except TelegramError as exc:
                logger.warning("Could not answer callback query: %s", exc)
            return callback_to_inbound(update, self._clock.now())
        return update_to_inbound(update)


def _chat_ref(chat_id: str) -> int | str:
    """Return a numeric chat id as int; keep ``@channelname`` as text."""
    try:
        return int(chat_id)
    except ValueError:
        return chat_id


def _derived_secret(token: str) -> str:
    """Return a stable webhook secret from the token (HMAC, so the token cannot be recovered)."""
    digest = hmac.new(token.encode(), b"minbar webhook secret", hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")
