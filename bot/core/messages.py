"""Neutral message types: what handlers produce and adapters translate."""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.core.ids import ChannelName, ChatId, UserId

_COMMAND_NAME = re.compile(r"[a-z0-9_]{1,64}")
"""Telegram's command alphabet; anything else after a slash is plain text."""


class Membership(enum.StrEnum):
    """The bot's standing in a chat, as the platform reports it."""

    MEMBER = "member"
    LEFT = "left"
    KICKED = "kicked"
    """Blocked by a person, or removed from a group or channel."""


class ChatKind(enum.StrEnum):
    """What kind of conversation a chat is; rate limits and permissions depend on it."""

    PRIVATE = "private"
    GROUP = "group"
    CHANNEL = "channel"

    @classmethod
    def parse(cls, value: str) -> ChatKind:
        """Return the kind named ``value``; anything unknown is treated as a private chat."""
        try:
            return cls(value)
        except ValueError:
            return cls.PRIVATE


@dataclass(frozen=True, slots=True)
class Span:
    """A run of text with the small markup subset every platform can show."""

    text: str
    bold: bool = False
    italic: bool = False
    link: str | None = None
    quote: bool = False
    """Quoted text (Telegram blockquote; a leading bar elsewhere)."""


def plain(text: str) -> Span:
    """Return an unstyled span."""
    return Span(text)


def bold(text: str) -> Span:
    """Return a bold span."""
    return Span(text, bold=True)


def italic(text: str) -> Span:
    """Return an italic span."""
    return Span(text, italic=True)


def link(text: str, url: str) -> Span:
    """Return a span that links to ``url``."""
    return Span(text, link=url)


@dataclass(frozen=True, slots=True)
class Choice:
    """A button (Telegram) or numbered option (WhatsApp) the user can pick."""

    label: str
    data: str | None = None
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Recipient:
    """Where a message goes: one chat on one channel."""

    channel: ChannelName
    chat_id: ChatId
    kind: ChatKind = ChatKind.PRIVATE
    thread_id: int | None = None

    @property
    def key(self) -> str:
        """Return a stable text key for rate limiting and logs."""
        suffix = f"/{self.thread_id}" if self.thread_id is not None else ""
        return f"{self.channel}:{self.chat_id}{suffix}"


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    """A message to send: marked-up text, optional choices, link and image."""

    recipient: Recipient
    spans: tuple[Span, ...]
    choices: tuple[Choice, ...] = ()
    link: str | None = None
    image_url: str | None = None
    kind: str = "reply"
    """Message kind: ``reply``, ``topic_alert``, ``broadcast``, ``admin_alert``, ``review``…"""
    link_preview: bool = False
    template_values: tuple[tuple[str, str], ...] = ()
    """Named values for the pre-approved template of this ``kind``, where a platform needs one."""
    use_template: bool = False
    """Set by the outbox when the platform only accepts a template for this recipient now."""
    edit_of: str | None = None
    """Provider id of an earlier message to replace, where the platform can edit messages."""
    language: str | None = None
    """The language the text is written in; picks the template of that language."""
    choice_prompt: str | None = None
    """How to ask for a number where choices are numbered, in the message's language."""

    @property
    def plain_text(self) -> str:
        """Return the text without markup."""
        return "".join(span.text for span in self.spans)

    def to_payload(self) -> dict[str, Any]:
        """Serialise everything but the recipient, for the outbox row."""
        return {
            "spans": [_span_to_dict(s) for s in self.spans],
            "choices": [{"label": c.label, "data": c.data, "url": c.url} for c in self.choices],
            "link": self.link,
            "image_url": self.image_url,
            "kind": self.kind,
            "link_preview": self.link_preview,
            "template_values": [list(pair) for pair in self.template_values],
            "edit_of": self.edit_of,
            "language": self.language,
            "choice_prompt": self.choice_prompt,
        }

    @classmethod
    def from_payload(cls, recipient: Recipient, payload: Mapping[str, Any]) -> OutboundMessage:
        """Rebuild a message stored with :meth:`to_payload`."""
        return cls(
            recipient=recipient,
            spans=tuple(Span(**s) for s in payload.get("spans", ())),
            choices=tuple(Choice(**c) for c in payload.get("choices", ())),
            link=payload.get("link"),
            image_url=payload.get("image_url"),
            kind=str(payload.get("kind", "reply")),
            link_preview=bool(payload.get("link_preview", False)),
            template_values=tuple((str(k), str(v)) for k, v in payload.get("template_values", ())),
            edit_of=payload.get("edit_of"),
            language=payload.get("language"),
            choice_prompt=payload.get("choice_prompt"),
        )


def _span_to_dict(span: Span) -> dict[str, Any]:
    out: dict[str, Any] = {"text": span.text}
    if span.bold:
        out["bold"] = True
    if span.italic:
        out["italic"] = True
    if span.link is not None:
        out["link"] = span.link
    if span.quote:
        out["quote"] = True
    return out


def text_message(
    recipient: Recipient,
    spans: Iterable[Span] | str,
    *,
    choices: Iterable[Choice] = (),
    link: str | None = None,
    kind: str = "reply",
) -> OutboundMessage:
    """Build an outbound message from plain text or spans."""
    parts = (plain(spans),) if isinstance(spans, str) else tuple(spans)
    return OutboundMessage(recipient, parts, tuple(choices), link=link, kind=kind)


@dataclass(frozen=True, slots=True)
class SharedContact:
    """A phone number someone shared with the platform's contact button."""

    phone: str
    user_id: UserId | None = None
    """Whose number it is, when the platform says (a forwarded card may be someone else's)."""
    name: str | None = None


@dataclass(frozen=True, slots=True)
class Attachment:
    """A photo, voice note, document or other file that came with a message."""

    kind: str
    """``photo``, ``voice``, ``audio``, ``video``, ``document`` or ``other``."""
    ref: str
    """Where the platform keeps it: a Telegram file id, a media URL."""
    mime_type: str | None = None
    name: str | None = None


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """A message, command or button press received from any platform."""

    channel: ChannelName
    chat_id: ChatId
    sender_id: UserId
    text: str
    received_at: datetime
    chat_kind: ChatKind = ChatKind.PRIVATE
    sender_name: str | None = None
    message_ref: str | None = None
    """Opaque platform id of the message (dedupe, replies)."""
    choice_data: str | None = None
    """Set when the user pressed a button: the chosen ``Choice.data``."""
    thread_id: int | None = None
    membership: Membership | None = None
    """Set when the bot's own membership in the chat changed (blocked, added, removed)."""
    origin_message_id: str | None = None
    """For a button press: the platform id of the message that carried the button."""
    contact: SharedContact | None = None
    attachments: tuple[Attachment, ...] = ()
    language_hint: str | None = None
    """The sender's app language where the platform tells it (Telegram's ``language_code``);
    it only preselects the language menu, never chooses."""
    referral: str | None = None
    """The ad a click-to-WhatsApp message came from (the platform's source id)."""

    @property
    def reply_to(self) -> Recipient:
        """Return the recipient that answers this chat."""
        return Recipient(self.channel, self.chat_id, self.chat_kind, self.thread_id)

    @property
    def command(self) -> tuple[str, str] | None:
        """Return ``(name, argument)`` when the text is a slash command, else None."""
        text = self.text.strip()
        if not text.startswith("/") or len(text) < 2:
            return None
        head, _, rest = text.partition(" ")
        name = head[1:].split("@", 1)[0].lower()
        if not _COMMAND_NAME.fullmatch(name):
            return None
        return name, rest.strip()


class DeliveryStatus(enum.StrEnum):
    """What happened to one send attempt."""

    SENT = "sent"
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    """The outcome of a successful ``Channel.send``."""

    status: DeliveryStatus = DeliveryStatus.SENT
    provider_message_id: str | None = None
    reason: str | None = None
    extra: Mapping[str, str] = field(default_factory=dict)
