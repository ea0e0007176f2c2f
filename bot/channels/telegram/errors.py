"""Translate python-telegram-bot exceptions into Minbar's neutral channel errors."""

from __future__ import annotations

import datetime as dtm
import os
import warnings

from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.warnings import PTBDeprecationWarning

from bot.channels.telegram.pace import RateScope
from bot.core.errors import (
    ChannelError,
    ChannelUnavailable,
    DestinationInvalid,
    DestinationMigrated,
    PermanentError,
    RateLimited,
    RecipientUnreachable,
    TransientError,
)

# PTB 22 warns whenever it builds or reads an int-valued time period (RetryAfter does both inside
# its constructor) unless this opt-in is set; under warnings-as-errors that would replace the
# RetryAfter we must map. PTB reads the variable at each use, so setting it on import suffices.
os.environ["PTB_TIMEDELTA"] = "true"

# Checked in order against the lower-cased description of a 403 (platform-facts 1.4).
_FORBIDDEN_KEYS = (
    ("blocked", "blocked"),
    ("deactivated", "deactivated"),
    ("kicked", "kicked"),
    ("not a member", "not_member"),
    ("was deleted", "chat_deleted"),
    ("can't initiate conversation", "not_started"),
)

# A group or channel that exists but where the bot may not post (platform-facts 1.4): the
# admins must fix its rights, so it is a destination fault, recorded after the first refusal.
_CANNOT_POST_KEYS = (
    "not enough rights",
    "need administrator rights",
    "have no rights to send",
    "chat_write_forbidden",
    "chat_send_plain_forbidden",
)

_REJECTED = (
    "invalid_token: Telegram answered 401/404 to the bot token; "
    "check MINBAR_TELEGRAM__TOKEN (and telegram.base_url)"
)


def map_telegram_error(exc: TelegramError, *, rate_scope: RateScope = "channel") -> ChannelError:
    """Return the neutral error for a PTB exception (raise it ``from exc``).

    ``rate_scope`` is what a 429 holds: the caller knows whether the chat's own pace explains
    it (``pace``); without that knowledge the whole bot waits, which can never overrun a limit.
    """
    # Order matters: BadRequest and TimedOut are subclasses of NetworkError.
    if isinstance(exc, RetryAfter):
        return RateLimited(retry_after_seconds(exc), exc.message, scope=rate_scope)
    if isinstance(exc, ChatMigrated):
        return DestinationMigrated(str(exc.new_chat_id), exc.message)
    if isinstance(exc, Forbidden | BadRequest) and _cannot_post(exc.message):
        return DestinationInvalid("cannot_post", exc.message)
    if isinstance(exc, Forbidden):
        return RecipientUnreachable(forbidden_key(exc.message), exc.message)
    if isinstance(exc, InvalidToken):
        # A wrong token (or base_url) is the operator's to fix; no message is at fault. PTB's
        # own text is not kept: after getMe it quotes the whole token.
        return ChannelUnavailable(_REJECTED)
    if isinstance(exc, BadRequest):
        if "chat not found" in exc.message.lower():
            return DestinationInvalid("chat_not_found", exc.message)
        return PermanentError("bad_request", exc.message)
    if isinstance(exc, TimedOut | NetworkError):
        return TransientError("network", exc.message)
    if isinstance(exc, Conflict):
        return TransientError("conflict", exc.message)
    return PermanentError("telegram_error", exc.message)


def _cannot_post(description: str) -> bool:
    lowered = description.lower()
    return any(key in lowered for key in _CANNOT_POST_KEYS)


def forbidden_key(description: str) -> str:
    """Return the stable error key for a 403 description."""
    lowered = description.lower()
    for needle, key in _FORBIDDEN_KEYS:
        if needle in lowered:
            return key
    return "forbidden"


def retry_after_seconds(exc: RetryAfter) -> float:
    """Return ``retry_after`` in seconds, whether PTB gives an int or a timedelta."""
    with warnings.catch_warnings():
        # Without PTB_TIMEDELTA=true, PTB warns on every read; both shapes are handled below.
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    if isinstance(value, dtm.timedelta):
        return value.total_seconds()
    return float(value)
