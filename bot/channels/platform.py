"""What every platform declares: its mode, capabilities, pace, admins and live adapter.

``bot.app`` wires any platform from this description alone, so adding one is a folder under
``bot/channels/`` with a ``platform.py``, one line in ``bot.channels.PLATFORMS`` and its
config section. A platform in ``console`` mode is printed by the console adapter with the
platform's own capabilities (numbered options where it has no buttons).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

from starlette.routing import BaseRoute

from bot.config import Config
from bot.core.channel import (
    Capabilities,
    Channel,
    InboundHandler,
    ReportHandler,
    UnreadableHandler,
    log_unreadable,
)
from bot.core.messages import Recipient
from bot.core.rates import RatePolicy

Mode = Literal["live", "console", "off"]


@dataclass(frozen=True, slots=True)
class ChannelHooks:
    """What a live adapter is given to hand its traffic on (it keeps no other reference)."""

    on_inbound: InboundHandler
    """Stores a message durably; acknowledge the platform only after it returned."""
    on_report: ReportHandler
    """Stores a delivery report that arrives later (status callbacks), likewise."""
    on_unreadable: UnreadableHandler = log_unreadable
    """Records an update the platform's library cannot parse, before it is skipped."""


def _no_warnings(config: Config) -> list[str]:
    return []


def _no_chats(config: Config) -> list[Recipient]:
    return []


@dataclass(frozen=True, slots=True)
class Platform:
    """One platform as ``bot.app`` sees it; every callable reads only the configuration."""

    name: str
    mode: Callable[[Config], Mode]
    capabilities: Callable[[Config], Capabilities]
    rate_policy: Callable[[Config], RatePolicy]
    admins: Callable[[Config], frozenset[str]]
    """Sender ids allowed to run admin commands on this platform."""
    build_live: Callable[[Config, ChannelHooks], Channel] | None = None
    """The real adapter; None for a platform that only exists in the terminal."""
    admin_chats: Callable[[Config], list[Recipient]] = _no_chats
    """Where admins read cards with buttons (review), when this platform shows buttons."""
    warnings: Callable[[Config], list[str]] = _no_warnings
    """Settings that work against the fakes but not against the real service."""


@runtime_checkable
class ServesWebRoutes(Protocol):
    """A live adapter that receives through webhooks returns the routes to mount."""

    def web_routes(self) -> Sequence[BaseRoute]:
        """Return the routes this adapter serves (none when it polls)."""
        ...
