"""Telegram sends: one rendered part, or an edit of an earlier message, with its errors mapped."""

from __future__ import annotations

from telegram import Bot, InlineKeyboardMarkup, LinkPreviewOptions, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError

from bot.channels.telegram.errors import map_telegram_error
from bot.channels.telegram.pace import RateScope
from bot.channels.telegram.render import RenderedTelegram
from bot.core.errors import PermanentError
from bot.core.messages import DeliveryResult


async def edit_part(
    bot: Bot,
    chat_id: int | str,
    edit_of: str,
    parts: list[RenderedTelegram],
    *,
    rate_scope: RateScope = "channel",
) -> DeliveryResult:
    """Replace the text and keyboard of an earlier message; a 429 holds ``rate_scope``."""
    if len(parts) != 1 or parts[0].photo_url is not None:
        raise PermanentError("invalid_edit", "an edit must be one text message")
    try:
        message_id = int(edit_of)
    except ValueError as exc:
        raise PermanentError("invalid_edit", f"not a Telegram message id: {edit_of!r}") from exc
    part = parts[0]
    markup = (
        InlineKeyboardMarkup.de_json(part.reply_markup, bot)
        if part.reply_markup is not None
        else None
    )
    try:
        await bot.edit_message_text(
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
        raise map_telegram_error(exc, rate_scope=rate_scope) from exc
    except TelegramError as exc:
        raise map_telegram_error(exc, rate_scope=rate_scope) from exc
    return DeliveryResult(provider_message_id=edit_of)


async def send_part(
    bot: Bot, chat_id: int | str, thread_id: int | None, part: RenderedTelegram
) -> Message:
    """Send one rendered part: a photo with its caption, or a text message."""
    markup = (
        InlineKeyboardMarkup.de_json(part.reply_markup, bot)
        if part.reply_markup is not None
        else None
    )
    if part.photo_url is not None:
        sent: Message = await bot.send_photo(
            chat_id,
            part.photo_url,
            caption=part.text or None,
            parse_mode=ParseMode.HTML,
            message_thread_id=thread_id,
            reply_markup=markup,
        )
        return sent
    sent = await bot.send_message(
        chat_id,
        part.text,
        parse_mode=ParseMode.HTML,
        message_thread_id=thread_id,
        reply_markup=markup,
        link_preview_options=LinkPreviewOptions(is_disabled=part.link_preview_disabled),
    )
    return sent
