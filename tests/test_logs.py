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


@pytest.mark.parametrize(
    "line",
    [
        "Headers: {'Authorization': 'Basic QUMzZjJhOWM3ZDFlNGI2YThmMGMyZDQ6c2VjcmV0'}",
        "authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig-nature_x",
        "Calling Bot API endpoint `setWebhook` with parameters `{'secret_token': 'abc12'}`",
        "X-Telegram-Bot-Api-Secret-Token: abc12",
        "POST /Accounts?auth_token=abc12&x=1",
        "connecting to postgresql+asyncpg://minbar:abc12@db/minbar",
    ],
    ids=["basic", "bearer", "ptb-secret-token", "secret-header", "auth-query", "url-password"],
)
def test_secrets_are_redacted_by_shape_even_when_not_configured(line: str) -> None:
    """Auth headers, secret-token parameters and URL passwords go even when too short to list."""
    redacted = RedactingFilter().redact(line)
    assert "***" in redacted
    assert "abc12" not in redacted
    assert "QUMzZjJh" not in redacted
    assert "eyJhbGci" not in redacted


def test_ordinary_words_after_basic_survive() -> None:
    """Prose such as "basic settings" is not mistaken for a credential."""
    line = "Using basic settings; password authentication failed for user minbar"
    assert RedactingFilter().redact(line) == line


def test_a_token_and_its_listed_part_leave_one_marker(restore_logging: None) -> None:
    """With the token and its part both listed, the token is replaced whole, once."""
    part = TOKEN.split(":")[1]
    assert RedactingFilter([part, TOKEN]).redact(f"token={TOKEN}") == "token=***"


def test_a_secret_json_escapes_is_redacted_in_json_tracebacks(restore_logging: None) -> None:
    """A password with a quote is found in a JSON line's exception text, where it is escaped."""
    secret = 'pa"ss\\word-42'
    out = io.StringIO()
    configure_logging("INFO", "json", secrets=[secret], stream=out)
    try:
        raise RuntimeError(f"login with {secret} refused")
    except RuntimeError:
        logging.getLogger("bot.test").exception("Connect failed")
    line = json.loads(out.getvalue().strip())
    assert "refused" in line["exception"]
    assert secret not in line["exception"]
    assert "pass" not in out.getvalue()


def test_an_unformattable_call_never_prints_its_arguments(
    restore_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """A format string with too few arguments is logged redacted, not dumped raw by logging."""
    out = io.StringIO()
    configure_logging("INFO", "text", secrets=["s3cr3t-auth-token"], stream=out)
    logging.getLogger("some.library").warning("auth %s %s", "s3cr3t-auth-token")
    assert "unformattable arguments" in out.getvalue()
    assert "s3cr3t-auth-token" not in out.getvalue() + capsys.readouterr().err
