"""Features, written once against the neutral types; one ``register`` line per feature."""

from __future__ import annotations

from bot.core.commands import CommandRegistry
from handlers import admin
from handlers.context import HandlerContext


def register_commands(registry: CommandRegistry[HandlerContext]) -> None:
    """Register every feature's chat commands."""
    registry.collect_module(admin)
