"""FeedError: the neutral, typed fault of the forum feed."""

from __future__ import annotations

import pytest

from bot.core.errors import ForumError
from bot.forum.errors import FeedError, FeedErrorKind


@pytest.mark.parametrize(
    ("kind", "status", "retryable"),
    [
        ("timeout", None, True),
        ("connection", None, True),
        ("http_status", 502, True),
        ("http_status", 429, True),
        ("http_status", 404, False),
        ("login_page", None, False),
        ("empty", None, False),
        ("malformed", None, False),
        ("unsupported_feed", None, False),
        ("too_large", None, False),
    ],
)
def test_retryable_only_for_passing_trouble(
    kind: FeedErrorKind, status: int | None, retryable: bool
) -> None:
    """Network hiccups and server errors may pass; configuration problems will not."""
    assert FeedError(kind, "x", status_code=status).retryable is retryable


def test_is_a_forum_error_with_kind_and_detail() -> None:
    """Callers can catch ForumError and still read the stable kind."""
    error = FeedError("http_status", "the forum answered HTTP 503", status_code=503)
    assert isinstance(error, ForumError)
    assert (error.kind, error.detail, error.status_code) == (
        "http_status",
        "the forum answered HTTP 503",
        503,
    )
    assert str(error) == "http_status: the forum answered HTTP 503"
    assert str(FeedError("empty")) == "empty"
