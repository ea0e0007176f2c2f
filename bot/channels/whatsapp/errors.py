"""Translate Twilio API errors into Minbar's neutral channel errors."""

from __future__ import annotations

import email.utils
from collections.abc import Mapping
from datetime import UTC, datetime

from twilio.base.exceptions import TwilioRestException, TwilioServiceException

from bot.core.errors import (
    ChannelError,
    ChannelUnavailable,
    DestinationInvalid,
    PermanentError,
    RateLimited,
    RecipientUnreachable,
    TransientError,
)

DEFAULT_RETRY_AFTER = 1.0

UNREACHABLE_CODES: Mapping[int, str] = {
    63016: "outside_window",
    63014: "blocked",
    63024: "invalid_recipient",
    63003: "not_on_whatsapp",
    21610: "opted_out",
}
"""Twilio codes meaning "this person cannot get free-form messages now" → neutral error_key."""
SENDER_LIMIT_CODES = frozenset({63017, 63018})
"""The sender's messaging limit (Meta's tier, or the account's rate): wait, then try once more."""

_RATE_LIMITS = {63018, 63017, 20429}
_INVALID_DESTINATION = {21211: "invalid_number", 21614: "not_mobile"}
_PERMANENT = {
    21617: "body_too_long",
    63007: "invalid_sender",
    # Meta 2001/2003 and 2000 (docs/whatsapp/api/error-code-mapping): the admins' to fix.
    63027: "template_missing",
    63028: "template_variables_invalid",
    # Meta 402: the WhatsApp Business account has an eligibility or payment problem.
    63020: "sender_account_problem",
}
_UNAUTHORIZED = 20003
_OUTSIDE_WINDOW = 63016


def map_twilio_error(
    exc: TwilioRestException | TwilioServiceException, retry_after: str | None
) -> ChannelError:
    """Translate a Twilio API error into a neutral one, by Twilio code first, then HTTP status."""
    code = exc.code if isinstance(exc.code, int) else None
    status = int(exc.status) if exc.status else 0
    detail = f"twilio {code or status}"
    if code == _UNAUTHORIZED or status == 401:
        # Wrong credentials are the operator's to fix; no message or recipient is at fault.
        return ChannelUnavailable(f"unauthorized: {detail}")
    if code == _OUTSIDE_WINDOW:
        # The window is ours to track (the preflight); the person stays subscribed.
        return PermanentError("outside_window", detail)
    if code is not None and code in UNREACHABLE_CODES:
        return RecipientUnreachable(UNREACHABLE_CODES[code], detail)
    if code in _RATE_LIMITS or status == 429:
        return RateLimited(retry_seconds(retry_after), detail, scope="channel")
    if code in _INVALID_DESTINATION:
        return DestinationInvalid(_INVALID_DESTINATION[code], detail)
    if code in _PERMANENT:
        return PermanentError(_PERMANENT[code], detail)
    if status >= 500:
        return TransientError("server_error", detail)
    if 400 <= status < 500:
        return PermanentError(f"twilio_{code or status}", detail)
    return TransientError("unexpected_status", detail)


def retry_seconds(header: str | None) -> float:
    """Read Retry-After as seconds or an HTTP date; fall back to a short pause."""
    if not header:
        return DEFAULT_RETRY_AFTER
    header = header.strip()
    try:
        return max(float(header), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return DEFAULT_RETRY_AFTER
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)
