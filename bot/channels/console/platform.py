"""The console platform: a terminal that stands in for the real ones, and its own name."""

from __future__ import annotations

from bot.channels.platform import Platform
from bot.core.channel import Capabilities
from bot.core.rates import RatePolicy

CONSOLE_ADMIN = "console-admin"
"""The sender id of ``minbar chat --admin``."""
CONSOLE_CAPABILITIES = Capabilities(buttons=True, edits=True)


CONSOLE = Platform(
    name="console",
    mode=lambda config: "console",
    capabilities=lambda config: CONSOLE_CAPABILITIES,
    # Nothing to protect in a terminal; a console standing in for a platform keeps its pace.
    rate_policy=lambda config: RatePolicy.unlimited(),
    admins=lambda config: frozenset({CONSOLE_ADMIN}),
)
