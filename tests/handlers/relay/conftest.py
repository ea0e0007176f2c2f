"""Helpers for the relay's tests: its knobs are plain data on the handler context."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Literal

from bot.core.ids import ChannelName, ChatId
from bot.core.messages import ChatKind, Recipient
from handlers.context import HandlerContext
from handlers.settings import RelaySettings, ScreeningSettings, SpamPolicy


def with_relay(ctx: HandlerContext, **knobs: Any) -> HandlerContext:
    """Give ``ctx`` the relay settings ``RelaySettings(**knobs)`` and return it.

    The relay reads ``ctx.settings.relay`` on every call, so a test can change the knobs
    between polls as a restart with another config.toml would.
    """
    ctx.settings = replace(ctx.settings, relay=RelaySettings(**knobs))
    return ctx


def with_screening(
    ctx: HandlerContext,
    mode: Literal["auto", "review"] = "auto",
    *,
    chats: tuple[Recipient, ...] = (),
    spam: SpamPolicy | None = None,
    **knobs: Any,
) -> HandlerContext:
    """Give ``ctx`` relay settings screening in ``mode``, with cards going to ``chats``."""
    screening = ScreeningSettings(mode=mode, spam=spam or SpamPolicy(), review_chats=chats)
    return with_relay(ctx, screening=screening, **knobs)


def privately(*user_ids: str) -> tuple[Recipient, ...]:
    """Return the private Telegram chats of ``user_ids`` (bot.app's default review chats)."""
    return tuple(Recipient(ChannelName("telegram"), ChatId(u), ChatKind.PRIVATE) for u in user_ids)
