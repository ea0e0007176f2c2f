"""Logging: JSON lines when asked, and no token ever reaches a log line."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from bot.logs import RedactingFilter, configure_logging

TOKEN = "7350917461:AAHk3fPq9xZ-bench_Token_Value_1234567"


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """Put the root logger back as pytest had it."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_json_lines_carry_level_logger_and_message(restore_logging: None) -> None:
    """With log_format = "json" each record is one parseable JSON object."""
    out = io.StringIO()
    configure_logging("INFO", "json", stream=out)
    logging.getLogger("bot.test").info("Relayed topic %s to %s", 13, "@attaqwaa")
    record = json.loads(out.getvalue().strip())
    assert (record["level"], record["logger"]) == ("INFO", "bot.test")
    assert record["message"] == "Relayed topic 13 to @attaqwaa"


def test_a_bot_token_in_a_url_is_redacted(restore_logging: None) -> None:
    """A Bot API URL logged by any library shows *** instead of the token."""
    out = io.StringIO()
    configure_logging("DEBUG", "text", secrets=[TOKEN], stream=out)
    logging.getLogger("some.library").warning(
        "POST https://api.telegram.org/bot%s/sendMessage failed", TOKEN
    )
    assert TOKEN not in out.getvalue()
    assert "bot***/sendMessage" in out.getvalue()


def test_configured_secrets_are_redacted_even_without_a_known_shape() -> None:
    """Any configured secret (a Twilio auth token) is replaced wherever it appears."""
    assert (
        RedactingFilter(["s3cr3t-auth-token"]).redact("auth=s3cr3t-auth-token&x=1")
        == "auth=***&x=1"
    )


def test_httpx_request_lines_are_silenced(restore_logging: None) -> None:
    """httpx logs request URLs (with the token) at INFO, so its logger is held at WARNING."""
    configure_logging("DEBUG", "text", stream=io.StringIO())
    assert not logging.getLogger("httpx").isEnabledFor(logging.INFO)


def test_a_token_inside_a_traceback_is_redacted(restore_logging: None) -> None:
    """Exception text is formatted after filters run; the formatter redacts it too."""
    out = io.StringIO()
    configure_logging("INFO", "text", secrets=[TOKEN], stream=out)
    try:
        raise RuntimeError(f"request to https://api.telegram.org/bot{TOKEN}/getMe failed")
    except RuntimeError:
        logging.getLogger("bot.test").exception("Start failed")
    assert "Start failed" in out.getvalue()
    assert "RuntimeError" in out.getvalue()
    assert TOKEN not in out.getvalue()
