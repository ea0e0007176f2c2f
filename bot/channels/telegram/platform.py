"""The Telegram platform as ``bot.app`` sees it: read from ``[telegram]`` and ``[admins]``."""

from __future__ import annotations

from bot.channels.platform import ChannelHooks, Platform
from bot.channels.telegram.render import TEXT_LIMIT
from bot.config import Config
from bot.core.channel import Capabilities, Channel
from bot.core.ids import ChannelName, ChatId
from bot.core.messages import ChatKind, Recipient
from bot.core.rates import RatePolicy

NAME = ChannelName("telegram")
TELEGRAM_CAPABILITIES = Capabilities(
    buttons=True, edits=True, max_text=TEXT_LIMIT, contact_request=True
)


def chat_kind_of(chat_id: str) -> ChatKind:
    """Return the kind of a Telegram chat from its id (groups are negative, channels @named)."""
    if chat_id.startswith("-"):
        return ChatKind.GROUP
    if chat_id.startswith("@"):
        return ChatKind.CHANNEL
    return ChatKind.PRIVATE


def _rate(config: Config) -> RatePolicy:
    tg = config.telegram.rate
    return RatePolicy(
        global_per_second=tg.global_per_second,
        global_burst=tg.global_burst,
        per_chat_per_second=tg.per_chat_per_second,
        per_chat_burst=tg.per_chat_burst,
        per_group_per_minute=tg.per_group_per_minute,
        per_group_burst=tg.per_group_burst,
    )


def _admin_chats(config: Config) -> list[Recipient]:
    """Return the review chats, or else each Telegram admin privately."""
    chats = list(config.relay.review_chats) or sorted(str(a) for a in config.admins.telegram)
    return [Recipient(NAME, ChatId(chat), chat_kind_of(chat)) for chat in chats]


def _build(config: Config, hooks: ChannelHooks) -> Channel:
    from bot.channels.telegram.adapter import TelegramChannel

    settings = config.telegram
    assert settings.token is not None  # the config check requires it in live mode
    secret = settings.webhook_secret
    return TelegramChannel(
        settings.token.get_secret_value(),
        hooks.on_inbound,
        base_url=settings.base_url,
        base_file_url=settings.base_file_url,
        webhook_url=settings.webhook_url,
        webhook_secret=secret.get_secret_value() if secret else None,
        link_preview=settings.link_preview,
        on_unreadable=hooks.on_unreadable,
    )


def _warnings(config: Config) -> list[str]:
    if (
        config.telegram.mode == "live"
        and not config.telegram.webhook_url
        and not config.database.is_sqlite
    ):
        return [
            "telegram long polling allows one process per bot; to run several processes on "
            "PostgreSQL set telegram.webhook_url"
        ]
    return []


TELEGRAM = Platform(
    name=NAME,
    mode=lambda config: config.telegram.mode,
    capabilities=lambda config: TELEGRAM_CAPABILITIES,
    rate_policy=_rate,
    admins=lambda config: frozenset(str(a) for a in config.admins.telegram),
    build_live=_build,
    admin_chats=_admin_chats,
    warnings=_warnings,
)
