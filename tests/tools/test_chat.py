"""`minbar chat`: a terminal conversation through the same handlers as the platforms."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from bot.core.errors import ConfigError
from bot.tools.chat import run_chat
from tests.service_config import service_config


async def test_a_conversation_gets_an_answer_to_every_line(tmp_path: Path) -> None:
    """/start, free text, an unknown command and /help each get their answer, in order."""
    config = service_config(tmp_path, web={"enabled": False})
    stdin = io.StringIO("/start\nsalaam alaikum\n/nonsense\n/help\n/quit\nnever read\n")
    stdout = io.StringIO()
    handled = await run_chat(config, user="amina", name="Amina", stdin=stdin, stdout=stdout)
    text = stdout.getvalue()
    assert handled == 4
    greeting = text.index("Assalamu alaikum, Amina!")
    pointer = text.index("Send /help to see what I can do.")
    unknown = text.index("Unknown command /nonsense. Send /help for the list.")
    listing = text.index("/chatid — Show this chat's id")
    assert greeting < pointer < unknown < listing
    assert "/status" not in text[listing:]  # not an admin


async def test_the_console_admin_may_ask_for_status(tmp_path: Path) -> None:
    """Chatting as the console admin, /status reports the database and channels."""
    config = service_config(tmp_path, web={"enabled": False})
    stdout = io.StringIO()
    await run_chat(config, user="console-admin", stdin=io.StringIO("/status\n"), stdout=stdout)
    text = stdout.getvalue()
    assert "Database: ok" in text
    assert "Channels: console up, telegram up, whatsapp up" in text


async def test_talking_as_a_whatsapp_person_shows_what_whatsapp_would(tmp_path: Path) -> None:
    """With --platform whatsapp the answers go to a WhatsApp chat and show bold as stars."""
    config = service_config(tmp_path, web={"enabled": False})
    stdout = io.StringIO()
    await run_chat(
        config, name="Musa", platform="whatsapp", stdin=io.StringIO("/start\n"), stdout=stdout
    )
    text = stdout.getvalue()
    assert "── whatsapp → console-user (private) ──" in text
    assert "*Assalamu alaikum, Musa!*" in text
    assert "── console →" not in text


async def test_an_unknown_platform_is_refused_with_the_choices(tmp_path: Path) -> None:
    """Asking to talk on a platform the build does not have names the ones it has."""
    config = service_config(tmp_path, web={"enabled": False})
    with pytest.raises(ConfigError, match=r"'signal'.*console, telegram, whatsapp"):
        await run_chat(config, platform="signal", stdin=io.StringIO(""), stdout=io.StringIO())


async def test_a_chat_on_a_live_config_never_touches_the_platforms(tmp_path: Path) -> None:
    """With live Telegram and WhatsApp configured, chat still uses console channels only."""
    from bot.config import build_config
    from tests.service_config import service_data

    data = service_data(tmp_path, web={"enabled": False})
    data["telegram"] = {"mode": "live", "base_url": "http://127.0.0.1:9/bot"}
    data["whatsapp"] = {"mode": "live"}
    data["twilio"] = {"api_base_url": "http://127.0.0.1:9"}
    environ = {
        "MINBAR_TELEGRAM__TOKEN": "7350917461:" + "A" * 35,
        "MINBAR_TWILIO__ACCOUNT_SID": "AC" + "1" * 32,
        "MINBAR_TWILIO__AUTH_TOKEN": "t" * 32,
    }
    config = build_config(data, environ)
    stdout = io.StringIO()
    await run_chat(config, platform="telegram", stdin=io.StringIO("/start\n"), stdout=stdout)
    # Port 9 (discard) is closed: a real adapter would have failed to start.
    text = stdout.getvalue()
    assert "── telegram → console-user (private) ──" in text
    assert "Assalamu alaikum" in text
