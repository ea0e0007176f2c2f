"""Typed feed faults, so the poller can tell a dead forum from a misconfigured URL."""

from __future__ import annotations

from typing import Literal

from bot.core.errors import ForumError

FeedErrorKind = Literal[
    "timeout",
    "connection",
    "http_status",
    "login_page",
    "empty",
    "malformed",
    "unsupported_feed",
    "too_large",
    "unreadable",
]
"""Stable reasons, stored and shown by ``/status``."""

_RETRYABLE: frozenset[str] = frozenset({"timeout", "connection"})


class FeedError(ForumError):
    """The feed could not be fetched or understood; ``kind`` says why.

    ``status_code`` is set for ``http_status``. ``detail`` is a short human explanation.
    """

    def __init__(self, kind: FeedErrorKind, detail: str = "", *, status_code: int | None = None):
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind: FeedErrorKind = kind
        self.detail = detail
        self.status_code = status_code

    @property
    def retryable(self) -> bool:
        """Return whether the next poll may succeed without anyone changing the setup."""
        # A 5xx or 429 is the forum having a bad minute; 403/404 stay until someone fixes them.
        if self.kind == "http_status":
            return self.status_code is not None and (
                self.status_code >= 500 or self.status_code == 429
            )
        return self.kind in _RETRYABLE
