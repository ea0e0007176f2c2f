"""Logging set-up: text or JSON lines, with secrets kept out."""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TextIO

# Redacted even when the value is not known: a token-shaped string (Bot API URLs carry the
# token as /bot<token>/), an Authorization credential, a URL's password, and the value after a
# key that only ever holds a secret (PTB logs setWebhook's parameters at DEBUG).
_SECRET_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?<![0-9])\d{5,}:[A-Za-z0-9_-]{20,}"), "***"),
    (re.compile(r"(?i)\b(basic|bearer)(\s+)[A-Za-z0-9+/._~-]{16,}=*"), r"\1\2***"),
    (re.compile(r"(?i)(://[^/\s:@]+:)[^/\s@]+@"), r"\1***@"),
    (
        re.compile(
            r"(?i)((?:secret[_-]token|auth[_-]token|api[_-]?key[_-]secret|password)"
            r"""['"]?\s*[:=]\s*['"]?)[^\s'",&}]+"""
        ),
        r"\1***",
    ),
)
# Shorter values would turn ordinary words into *** (the patterns above still apply).
MIN_SECRET_LENGTH = 6


class RedactingFilter(logging.Filter):
    """Replace known secrets and secret-shaped strings in every record."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        forms: set[str] = set()
        for secret in secrets:
            if secret and len(secret) >= MIN_SECRET_LENGTH:
                # JSON lines escape quotes and backslashes, which would hide the plain form.
                forms |= {secret, json.dumps(secret, ensure_ascii=False)[1:-1]}
        # Longest first, so a token goes as a whole before the part of it that is also listed.
        self._secrets = sorted(forms, key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact the formatted message in place."""
        try:
            message = record.getMessage()
            broken = False
        except Exception:
            # logging's own error report would print msg and args verbatim, secrets included.
            message, broken = f"{record.msg!s} (unformattable arguments: {record.args!r})", True
        redacted = self.redact(message)
        if broken or redacted != message:
            record.msg, record.args = redacted, None
        return True

    def redact(self, text: str) -> str:
        """Return ``text`` with secrets replaced by ``***``."""
        for secret in self._secrets:
            text = text.replace(secret, "***")
        for pattern, replacement in _SECRET_PATTERNS:
            text = pattern.sub(replacement, text)
        return text


class RedactingFormatter(logging.Formatter):
    """Format with ``inner``, then redact the whole text (tracebacks included)."""

    def __init__(self, inner: logging.Formatter, redactor: RedactingFilter) -> None:
        super().__init__()
        self._inner = inner
        self._redactor = redactor

    def format(self, record: logging.LogRecord) -> str:
        """Return the redacted, formatted record."""
        return self._redactor.redact(self._inner.format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, exception."""

    def format(self, record: logging.LogRecord) -> str:
        """Return the record as a JSON line."""
        data: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False)


def configure_logging(
    level: str = "INFO",
    fmt: str = "text",
    *,
    secrets: Iterable[str] = (),
    stream: TextIO | None = None,
) -> None:
    """Install one handler on the root logger; silence chatty libraries."""
    handler = logging.StreamHandler(stream or sys.stderr)
    inner: logging.Formatter = (
        JsonFormatter()
        if fmt == "json"
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    redactor = RedactingFilter(secrets)
    # Exception text is formatted after filters run, so the formatter redacts the result too.
    handler.setFormatter(RedactingFormatter(inner, redactor))
    handler.addFilter(redactor)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # httpx logs every request URL at INFO; the redactor covers them, but they are noise.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
