"""No secret reaches a log line or the command line's output, at any level (issue 9, item 5).

The service runs at DEBUG with every library logger open (httpx, httpcore, telegram, twilio,
uvicorn) through polling, webhook set-up, a Twilio inbound message with its status callbacks, a
crash traceback and a rejected token, and every line it writes is scanned for each secret in
each form: the token, the part after ``<bot id>:``, the webhook secret (derived or configured),
the Twilio auth token and its basic-auth header. A second, unfiltered handler sees the same
records, so each scan also proves the secret was really there to leak.
"""

from __future__ import annotations

import asyncio
import base64
import io
import logging
import os
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.app import Service
from bot.channels.telegram.webhook import derived_webhook_secret
from bot.cli import app as cli
from bot.config import Config, build_config
from bot.core.errors import ChannelUnavailable
from bot.domain.topics import Topic
from bot.logs import RedactingFilter, configure_logging
from bot.secret_values import secret_values
from tests.e2e.conftest import AUTH, SID, TOKEN, WEBHOOK_SECRET, eventually, running_service
from tests.fakes.telegram_api import FakeTelegramApi
from tests.fakes.twilio_api import FakeTwilioApi
from tests.service_config import service_data, write_config

ROOT = Path(__file__).resolve().parents[1]
USER = 502
AMINA = "+2348030000001"
BASIC = base64.b64encode(f"{SID}:{AUTH}".encode()).decode("ascii")
REJECTED = "7081234999:AAHx7p2Lq9Wm4Rt6Yv8Bn1Cd3Fg5Hj7Kl9z"
LIBRARIES = ("httpx", "httpcore", "telegram", "twilio", "aiohttp", "uvicorn", "apscheduler")
ENVIRON = {
    "MINBAR_TELEGRAM__TOKEN": TOKEN,
    "MINBAR_TWILIO__ACCOUNT_SID": SID,
    "MINBAR_TWILIO__AUTH_TOKEN": AUTH,
}


def secrets_of(token: str, webhook_secret: str | None = None) -> dict[str, str]:
    """Return each secret by name, as a reader of the logs must never see it."""
    found = {
        "token": token,
        "token part": token.partition(":")[2],
        "derived webhook secret": derived_webhook_secret(token),
        "Twilio auth token": AUTH,
        "basic-auth header": BASIC,
    }
    if webhook_secret is not None:
        found["configured webhook secret"] = webhook_secret
    return found


def leaks(text: str, secrets: Mapping[str, str]) -> list[str]:
    """Return the names of the secrets that appear in ``text``."""
    return [name for name, value in secrets.items() if value in text]


class RawLines(logging.Handler):
    """Keep every record as formatted text, unredacted: the proof that a secret was there."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        """Store the formatted record."""
        self.lines.append(self.format(record))


class Capture:
    """The service's log output, written through its redactor, and the same records raw."""

    def __init__(self) -> None:
        self.out = io.StringIO()
        self.raw = RawLines()

    async def install(self, service: Service) -> None:
        """Configure logging as `minbar run` does, at DEBUG, with every logger reaching root."""
        self.configure(service.config)

    def configure(self, config: Config) -> None:
        """Install the production handler for ``config`` and open every library logger."""
        configure_logging("DEBUG", "text", secrets=secret_values(config), stream=self.out)
        # First in line: the redacting filter rewrites each record for the handlers after it.
        logging.getLogger().handlers.insert(0, self.raw)
        names = [*logging.root.manager.loggerDict, *LIBRARIES]
        for name in names:
            logger = logging.getLogger(name)
            # The fakes' uvicorn keeps its own stderr handler; send everything to root instead.
            logger.setLevel(logging.NOTSET)
            logger.propagate, logger.handlers, logger.disabled = True, [], False

    @property
    def raw_text(self) -> str:
        """Return the unredacted lines."""
        return "\n".join(self.raw.lines)


@pytest.fixture
def capture() -> Iterator[Capture]:
    """A capture whose changes to the logging tree are undone afterwards."""
    root = logging.getLogger()
    root_handlers, root_level = list(root.handlers), root.level
    saved = {
        name: (lg.level, lg.propagate, list(lg.handlers), lg.disabled)
        for name, lg in logging.root.manager.loggerDict.items()
        if isinstance(lg, logging.Logger)
    }
    yield Capture()
    root.handlers[:] = root_handlers
    root.setLevel(root_level)
    for name, lg in logging.root.manager.loggerDict.items():
        if isinstance(lg, logging.Logger):
            level, propagate, handlers, disabled = saved.get(
                name, (logging.NOTSET, True, [], False)
            )
            lg.setLevel(level)
            lg.propagate, lg.handlers, lg.disabled = propagate, handlers, disabled


class CrashingSource:
    """A forum source whose error text quotes every secret, as a careless library might."""

    async def fetch_topics(self, limit: int) -> list[Topic]:
        """Fail the way a client that puts credentials in its message would."""
        raise RuntimeError(
            f"GET https://api.telegram.org/bot{TOKEN}/getMe failed; Authorization: Basic "
            f"{BASIC}; secret_token={derived_webhook_secret(TOKEN)}; twilio={AUTH}"
        )

    async def aclose(self) -> None:
        """Release nothing."""


async def test_polling_whatsapp_and_a_crash_at_debug_print_no_secret(
    tmp_path: Path, capture: Capture
) -> None:
    """Long polling, a Twilio inbound and its status callbacks, and a crash leak nothing."""
    async with (
        FakeTelegramApi.running(TOKEN, long_poll_cap=0.3) as telegram,
        FakeTwilioApi.running(SID, AUTH) as twilio,
    ):
        telegram.add_private_chat(USER, "Amina")
        async with running_service(
            tmp_path,
            telegram=telegram,
            twilio=twilio,
            source=CrashingSource(),
            prepare=capture.install,
        ) as h:
            telegram.push_message(USER, USER, "/start")
            await eventually(lambda: bool(h.sent_to(USER)), what="a reply on Telegram")
            await twilio.send_inbound(h.inbound_url, AMINA, "hello")
            await eventually(lambda: len(twilio.callbacks) >= 2, what="two status callbacks")
            await eventually(lambda: "Job forum:poll failed" in capture.raw_text, what="a crash")
    secrets = secrets_of(TOKEN)
    assert "Traceback" in capture.out.getvalue()
    assert (
        "RuntimeError: GET https://api.telegram.org/bot***/getMe failed" in capture.out.getvalue()
    )
    assert leaks(capture.out.getvalue(), secrets) == []
    # Unfiltered, the same records carry all of them: httpx URLs, PTB's URLs, the traceback.
    assert leaks(capture.raw_text, secrets) == list(secrets)
    raw_requests = [line for line in capture.raw.lines if line.startswith("httpx ")]
    assert raw_requests
    assert all(TOKEN in line for line in raw_requests if "/bot" in line)


@pytest.mark.parametrize("configured", [None, WEBHOOK_SECRET], ids=["derived", "configured"])
async def test_webhook_set_up_at_debug_prints_no_secret(
    tmp_path: Path, capture: Capture, configured: str | None
) -> None:
    """PTB logs setWebhook's parameters at DEBUG; the registered secret is never among them."""
    environ = {"MINBAR_TELEGRAM__WEBHOOK_SECRET": configured} if configured else {}
    async with FakeTelegramApi.running(TOKEN, long_poll_cap=0.3) as telegram:
        telegram.add_private_chat(USER, "Amina")
        async with running_service(
            tmp_path,
            telegram=telegram,
            telegram_webhook=True,
            environ=environ,
            prepare=capture.install,
        ) as h:
            registered = telegram.webhook_secret
            telegram.push_message(USER, USER, "/start")
            await eventually(lambda: bool(h.sent_to(USER)), what="a reply by webhook")
    assert registered == (configured or derived_webhook_secret(TOKEN))
    secrets = secrets_of(TOKEN, configured)
    assert leaks(capture.out.getvalue(), secrets) == []
    set_webhook = [line for line in capture.raw.lines if "`setWebhook` with parameters" in line]
    assert set_webhook
    assert all(registered in line for line in set_webhook)


def test_the_derived_secret_is_redacted_only_because_the_redactor_knows_it(
    tmp_path: Path,
) -> None:
    """The derived secret has no recognisable shape: without the config's list it would leak."""
    config = build_config(service_data(tmp_path), ENVIRON)
    derived = derived_webhook_secret(TOKEN)
    line = f"Telegram will send {derived} in every webhook request"
    assert derived in RedactingFilter().redact(line)
    assert derived not in RedactingFilter(secret_values(config)).redact(line)


def test_a_logged_record_with_the_derived_secret_is_redacted_in_text_and_json(
    tmp_path: Path, capture: Capture
) -> None:
    """PTB's setWebhook line, logged as PTB does, shows *** in both log formats."""
    config = build_config(service_data(tmp_path), ENVIRON)
    secret = derived_webhook_secret(TOKEN)
    params = {"url": "https://bot.example.net/webhooks/telegram", "secret": secret}
    for fmt in ("text", "json"):
        out = io.StringIO()
        configure_logging("DEBUG", fmt, secrets=secret_values(config), stream=out)
        raw = RawLines()
        logging.getLogger().handlers.insert(0, raw)
        logging.getLogger("telegram.Bot").debug(
            "Calling Bot API endpoint `%s` with parameters `%s`", "setWebhook", params
        )
        assert derived_webhook_secret(TOKEN) in raw.lines[0]
        assert derived_webhook_secret(TOKEN) not in out.getvalue()
        assert "setWebhook" in out.getvalue()


def _clean_environ(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MINBAR_")}
    return {**env, **extra}


@pytest.mark.slow
async def test_a_rejected_token_exits_non_zero_without_printing_it(tmp_path: Path) -> None:
    """`minbar run` at DEBUG against a Bot API that answers 401 to getMe names no secret."""
    async with FakeTelegramApi.running(TOKEN) as telegram:
        data = service_data(tmp_path, service={"log_level": "DEBUG"}, web={"enabled": False})
        data["telegram"] = {"mode": "live", "base_url": telegram.base_url}
        config = write_config(tmp_path / "config.toml", data)
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            "--config",
            str(config),
            cwd=ROOT,
            env=_clean_environ(MINBAR_TELEGRAM__TOKEN=REJECTED),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
    output = out.decode() + err.decode()
    assert proc.returncode not in (0, None), output
    assert "rejected" in output.lower()
    assert "Calling Bot API endpoint `getMe`" in output  # DEBUG lines were written
    rejected = {
        "token": REJECTED,
        "token part": REJECTED.partition(":")[2],
        "derived webhook secret": derived_webhook_secret(REJECTED),
    }
    assert leaks(output, rejected) == []


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    """A CLI runner with the test secrets as the only MINBAR_ variables."""
    for key in list(os.environ):
        if key.startswith("MINBAR_"):
            monkeypatch.delenv(key)
    for key, value in ENVIRON.items():
        monkeypatch.setenv(key, value)
    return CliRunner()


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (ChannelUnavailable(f"invalid_token: The token `{TOKEN}` was rejected by the server."), 2),
        (RuntimeError(f"POST https://api.telegram.org/bot{TOKEN}/x; Basic {BASIC}; {AUTH}"), 1),
    ],
    ids=["rejected-token", "crash"],
)
def test_cli_errors_and_crash_tracebacks_are_redacted(
    runner: CliRunner,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capture: Capture,
    error: Exception,
    code: int,
) -> None:
    """An error's message and a crash's traceback reach the terminal with *** for each secret."""

    async def fail(runtime: object) -> None:
        raise error

    monkeypatch.setattr("bot.runtime.run_until_stopped", fail)
    data = service_data(tmp_path, service={"log_level": "DEBUG"}, web={"enabled": False})
    config = write_config(tmp_path / "config.toml", data)
    result = runner.invoke(cli, ["run", "--config", str(config)])
    assert result.exit_code == code, result.output
    assert TOKEN in str(error)
    assert leaks(result.output, secrets_of(TOKEN)) == []
    if code == 1:
        assert "Traceback" in result.output
        assert "RuntimeError: POST https://api.telegram.org/bot***/x; Basic ***" in result.output
    else:
        assert "invalid_token: The token `***` was rejected by the server." in result.output
