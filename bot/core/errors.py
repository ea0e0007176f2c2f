"""Neutral errors: adapters raise these, the core records them on the destination."""

from __future__ import annotations

from typing import Literal


class BotError(Exception):
    """Base of every error Minbar raises on purpose."""


class ConfigError(BotError):
    """The configuration is invalid; the message names the key and the problem."""


class ForumError(BotError):
    """The forum feed could not be read or understood."""


class ChannelError(BotError):
    """Sending through a channel failed.

    ``error_key`` is a short, stable reason (``blocked``, ``chat_not_found``) stored on the
    recipient; ``retryable`` tells the outbox whether another attempt may succeed.
    """

    retryable: bool = False

    def __init__(self, error_key: str, detail: str = "") -> None:
        super().__init__(f"{error_key}: {detail}" if detail else error_key)
        self.error_key = error_key
        self.detail = detail


class RecipientUnreachable(ChannelError):
    """The person blocked the bot, left, or opted out; do not try again until they return."""


class DestinationInvalid(ChannelError):
    """The chat does not exist or the bot may not post there; fix the configuration."""


class DestinationMigrated(ChannelError):
    """A Telegram group became a supergroup; resend to ``new_chat_id``."""

    retryable = True

    def __init__(self, new_chat_id: str, detail: str = "") -> None:
        super().__init__("migrated", detail)
        self.new_chat_id = new_chat_id


class RateLimited(ChannelError):
    """The platform asked us to wait ``retry_after`` seconds before the next try."""

    retryable = True

    def __init__(
        self,
        retry_after: float,
        detail: str = "",
        *,
        scope: Literal["recipient", "channel"] = "recipient",
    ) -> None:
        super().__init__("rate_limited", detail or f"retry after {retry_after:g}s")
        self.retry_after = retry_after
        self.scope = scope


class ChannelUnavailable(RateLimited):
    """The whole channel refuses us (bad token or credentials): pause it, keep every message."""

    def __init__(self, detail: str = "", *, retry_after: float = 300.0) -> None:
        super().__init__(retry_after, detail, scope="channel")
        self.error_key = "channel_unavailable"
        self.args = (f"channel_unavailable: {detail}",)


class TransientError(ChannelError):
    """A timeout, 5xx or connection failure; retried with backoff."""

    retryable = True


class PermanentError(ChannelError):
    """The platform refused this message for good (bad request); never retried."""
