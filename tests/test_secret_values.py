"""The secrets a configuration holds, in every form a log line or an error could show them."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from bot.channels.telegram.adapter import TelegramChannel
from bot.channels.telegram.webhook import derived_webhook_secret
from bot.config import build_config
from bot.core.messages import InboundMessage
from bot.secret_values import environment_secret_values, secret_values
from tests.service_config import service_data

TOKEN = "7081234567:AAGk2q9Zr4TbWv8nLmPq3sYh6JdFe1cUo0w"
SID = "AC3f2a9c7d1e4b6a8f0c2d4e6f8a0b1c3d"
AUTH = "9d1c7e2b4a6f8e0d2c4b6a8f0e2d4c6b"
HOOK_SECRET = "configured_hook-secret_42"
ENVIRON = {
    "MINBAR_TELEGRAM__TOKEN": TOKEN,
    "MINBAR_TELEGRAM__WEBHOOK_SECRET": HOOK_SECRET,
    "MINBAR_TWILIO__ACCOUNT_SID": SID,
    "MINBAR_TWILIO__AUTH_TOKEN": AUTH,
}


async def _ignore(message: InboundMessage) -> None:
    """Drop an inbound message (the channel is never started)."""


@pytest.mark.parametrize(
    "token",
    [TOKEN, "123456789:AAE-short_but_valid", "1:a", "5550001112:" + "Zz9_-" * 7],
    ids=["typical", "short-part", "tiny", "long"],
)
def test_the_derived_secret_is_the_one_the_telegram_channel_registers(token: str) -> None:
    """The secret the redactor derives is the one the channel registers with Telegram."""
    channel = TelegramChannel(token, _ignore)
    assert derived_webhook_secret(token) == channel.webhook_secret


def test_every_secret_and_its_derived_forms_are_listed(tmp_path: Path) -> None:
    """Token, its secret part, both webhook secrets, the Twilio pair and its header are listed."""
    config = build_config(service_data(tmp_path), ENVIRON)
    values = secret_values(config)
    basic = base64.b64encode(f"{SID}:{AUTH}".encode()).decode("ascii")
    derived = derived_webhook_secret(TOKEN)
    expected = {TOKEN, TOKEN.split(":")[1], derived, HOOK_SECRET, SID, AUTH, basic}
    assert set(values) == expected
    assert [len(v) for v in values] == sorted((len(v) for v in values), reverse=True)


def test_a_database_password_is_listed_encoded_and_decoded(tmp_path: Path) -> None:
    """A PostgreSQL URL's password is a secret too, as written and as a driver would show it."""
    data = service_data(tmp_path)
    data["database"] = {"url": "postgresql+asyncpg://minbar:p%40ss-w0rd!@db:5432/minbar"}
    values = secret_values(build_config(data, {}))
    assert {"p%40ss-w0rd!", "p@ss-w0rd!"} <= set(values)


def test_a_config_without_secrets_lists_none(tmp_path: Path) -> None:
    """The embedded defaults hold no secret, so nothing is listed."""
    assert secret_values(build_config(service_data(tmp_path), {})) == ()


def test_the_environment_alone_yields_the_same_secrets(tmp_path: Path) -> None:
    """The environment gives the loaded config's list, and a value the config would refuse."""
    config = build_config(service_data(tmp_path), ENVIRON)
    assert environment_secret_values(ENVIRON) == secret_values(config)
    assert "not-a-token" in environment_secret_values({"MINBAR_TELEGRAM__TOKEN": "not-a-token"})
