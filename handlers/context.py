"""What a handler may use: repositories, the outbox port, the clock, channels and settings."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.core.channel import Capabilities, ChannelRegistry
from bot.core.clock import Clock
from bot.core.commands import CommandRegistry
from bot.core.ids import ChannelName
from bot.core.messages import ChatKind, Choice, InboundMessage, Span, text_message
from bot.core.status import StatusProvider, StatusSnapshot
from bot.domain.dialogs import OFFER_FLOW
from bot.domain.outbox import NewOutboxItem
from bot.forum.source import ForumSource
from bot.i18n import LANGUAGES, Catalogs, Speech
from bot.i18n.catalog import shared_catalogs
from bot.i18n.speech import speech_in
from bot.outbox.port import OutboxPort
from bot.storage.repositories import Repositories
from handlers.settings import FeatureSettings

if TYPE_CHECKING:
    from handlers.flows import Flow

logger = logging.getLogger(__name__)

__all__ = ["AdminPolicy", "HandlerContext", "StatusProvider", "StatusSnapshot"]

OFFER_TTL = timedelta(hours=24)
"""How long numbered options offered outside a flow can still be picked by their number."""


@dataclass(frozen=True, slots=True)
class AdminPolicy:
    """The allowlist of admins per channel (Telegram user ids, WhatsApp numbers)."""

    by_channel: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def is_admin(self, channel: ChannelName | str, user_id: str) -> bool:
        """Return whether ``user_id`` on ``channel`` is an admin."""
        return user_id in self.by_channel.get(str(channel), frozenset())


@dataclass(slots=True)
class HandlerContext:
    """Dependencies of every handler; built once in ``bot.app``."""

    repos: Repositories
    outbox: OutboxPort
    clock: Clock
    admins: AdminPolicy
    commands: CommandRegistry[HandlerContext]
    status: StatusProvider
    channels: ChannelRegistry
    """The channels of this process and every platform's capabilities."""
    settings: FeatureSettings = field(default_factory=FeatureSettings)
    forum: ForumSource | None = None
    """The forum feed; only the leader's jobs read it."""
    flows: Mapping[str, Flow] = field(default_factory=dict)
    """Every feature's flows by name (and by button prefix), so any handler can start one."""
    catalogs: Catalogs = field(default_factory=shared_catalogs)
    redispatch: Callable[[InboundMessage], Awaitable[None]] | None = None
    """The dispatcher's entry, set by it: a flow may hand a kept message back (the first
    message of a chat, answered once its language is chosen)."""

    def speech_in(self, language: str | None) -> Speech:
        """Return the speech of ``language`` (the default language when None)."""
        code = language or self.settings.default_language
        settings = self.settings
        return speech_in(
            code,
            self.catalogs.translations(code),
            settings.tz,
            hijri_dates=settings.hijri_dates,
            hijri_offset_days=settings.hijri_offset_days,
        )

    async def language_of(self, channel: str, chat_id: str) -> str | None:
        """Return the language one chat chose, or None."""
        sub = await self.repos.subscribers.get(channel, chat_id)
        return sub.settings.language if sub is not None else None

    async def speech_for(self, channel: str, chat_id: str) -> Speech:
        """Return the speech of one chat: the language it chose, else the default."""
        return self.speech_in(await self.language_of(channel, chat_id))

    async def speech(self, message: InboundMessage) -> Speech:
        """Return the speech of the chat ``message`` came from."""
        return await self.speech_for(message.channel, message.chat_id)

    @property
    def tz(self) -> ZoneInfo:
        """Return the service's time zone (dates people read are local)."""
        return self.settings.tz

    @property
    def bot_name(self) -> str:
        """Return the name the bot introduces itself with."""
        return self.settings.bot_name

    def capabilities(self, channel: str) -> Capabilities:
        """Return what ``channel`` can show and demands."""
        return self.channels.capabilities(channel)

    async def refuse(self, message: InboundMessage, text: str) -> None:
        """Say no in a private chat; in a group only log it (anyone could flood the group)."""
        if message.chat_kind is ChatKind.PRIVATE:
            await self.reply(message, text)
        else:
            logger.info(
                "Refused %s:%s in %s silently: %s",
                message.channel,
                message.sender_id,
                message.chat_id,
                text,
            )

    async def reply(
        self,
        message: InboundMessage,
        spans: Iterable[Span] | str,
        *,
        choices: Iterable[Choice] = (),
        part: int = 0,
        edit_of: str | None = None,
        remember: bool = True,
    ) -> str:
        """Queue an answer to ``message`` in the same chat; return its outbox key.

        Idempotent per inbound message and part. Choices offered on a platform without
        buttons are remembered in the chat's dialog row, so a typed number picks one; that
        replaces whatever the row held (the last list a person saw is what a number means).
        Flows pass ``remember=False``: they keep their options in their own row.
        """
        key = answer_key(message, part, edit=edit_of is not None)
        out = text_message(message.reply_to, spans, choices=choices, kind="reply")
        if edit_of is not None:
            out = replace(out, edit_of=edit_of)
        offered = [c for c in out.choices if c.data is not None]
        numbered = bool(offered) and not self.capabilities(message.channel).buttons
        if numbered:
            language, prompt = await self._numbered(message)
            out = replace(out, language=language, choice_prompt=prompt)
        await self.outbox.enqueue([NewOutboxItem(key, out)])
        if remember and numbered:
            await self.repos.dialogs.save(
                message.channel,
                message.chat_id,
                flow=OFFER_FLOW,
                step="",
                data={},
                ttl_seconds=OFFER_TTL.total_seconds(),
                options=offered,
                prompt_ref=key,
            )
        return key

    async def _numbered(self, message: InboundMessage) -> tuple[str | None, str]:
        """Return the language and number prompt of a numbered answer to ``message``."""
        language = await self.language_of(message.channel, message.chat_id)
        if language is None and self.settings.ask_language:
            # Not chosen yet (the language menu itself): the prompt speaks every language.
            prompts = [self.speech_in(code)._("Reply with a number") for code in LANGUAGES]
            return None, " · ".join(prompts)
        t = self.speech_in(language)
        return t.code, t._("Reply with a number")


def answer_key(message: InboundMessage, part: int = 0, *, edit: bool = False) -> str:
    """Return the outbox key of the answer to ``message`` (one per message, part and kind)."""
    ref = message.message_ref or f"anon:{uuid.uuid4().hex}"
    return f"reply:{ref}:{part}" + (":edit" if edit else "")
