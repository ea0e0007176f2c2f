"""Channel adapters, one folder per platform; adding one is a folder and a line below."""

from __future__ import annotations

from bot.channels.console.platform import CONSOLE
from bot.channels.platform import Platform
from bot.channels.telegram.platform import TELEGRAM
from bot.channels.whatsapp.platform import WHATSAPP

PLATFORMS: tuple[Platform, ...] = (
    CONSOLE,
    TELEGRAM,
    WHATSAPP,
)
"""Every platform this build knows, in start order."""
