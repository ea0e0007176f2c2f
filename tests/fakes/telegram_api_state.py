"""Chats, users and the sending methods of the fake Telegram Bot API, plus its test controls."""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.telegram_limits import FloodControl, RateLimits
from tests.fakes.telegram_methods import (
    ApiError,
    UploadedFile,
    check_commands,
    check_reply_markup,
    check_text,
    int_param,
)


@dataclass(slots=True)
class ChatState:
    """One chat as the server knows it, with the bot's standing in it."""

    id: int
    type: str
    title: str | None = None
    first_name: str | None = None
    username: str | None = None
    is_forum: bool = False
    blocked: bool = False
    deactivated: bool = False
    kicked: bool = False
    member: bool = True
    can_post: bool = True
    """False: a member without the right to post (a channel's non-admin, a muted group bot)."""
    migrated_to: int | None = None
    next_message_id: int = 1

    def to_api(self) -> dict[str, Any]:
        """Return the Bot API ``Chat`` object."""
        out: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.title is not None:
            out["title"] = self.title
        if self.first_name is not None:
            out["first_name"] = self.first_name
        if self.username is not None:
            out["username"] = self.username
        if self.is_forum:
            out["is_forum"] = True
        return out


@dataclass(slots=True)
class SentMessage:
    """A message the fake accepted."""

    chat_id: int
    message_id: int
    text: str
    """Visible text after entity parsing (the caption for photos)."""
    html: str
    """The raw text or caption as sent."""
    entities: list[dict[str, Any]]
    reply_markup: dict[str, Any] | None
    thread_id: int | None
    link_preview_options: dict[str, Any] | None
    photo: str | None = None
    time: float = field(default_factory=time.monotonic)


class FakeTelegramState:
    """Server state and the methods that send; the HTTP front lives in ``telegram_api``."""

    def __init__(self, token: str, *, limits: RateLimits, clock: Callable[[], float]) -> None:
        self.token = token
        self.bot_id = int(token.split(":", 1)[0])
        self.bot_user = {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "Minbar Test",
            "username": "minbar_test_bot",
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self.flood = FloodControl(limits, clock)
        self.chats: dict[int, ChatState] = {}
        self.users: dict[int, dict[str, Any]] = {}
        self.sent: list[SentMessage] = []
        self.commands: dict[tuple[str, str, str], list[dict[str, str]]] = {}
        """Menus by (scope type, scope chat id, language code), as ``setMyCommands`` set them."""
        self.answered_callbacks: list[dict[str, Any]] = []
        self.count_429 = 0
        self.violations = 0
        self._open_callbacks: set[str] = set()
        self._callback_ids = itertools.count(4_000_000_001)

    # -- test controls --------------------------------------------------------------------

    def add_private_chat(
        self,
        user_id: int,
        first_name: str = "Test",
        username: str | None = None,
        language_code: str | None = None,
    ) -> ChatState:
        """Create a user who has started the bot (``language_code``: their app's language)."""
        self.users[user_id] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if username:
            self.users[user_id]["username"] = username
        if language_code:
            self.users[user_id]["language_code"] = language_code
        chat = ChatState(user_id, "private", first_name=first_name, username=username)
        self.chats[user_id] = chat
        return chat

    def add_group(
        self,
        chat_id: int,
        title: str,
        kind: str = "group",
        forum: bool = False,
        username: str | None = None,
    ) -> ChatState:
        """Create a group, supergroup or channel the bot is a member of."""
        if kind not in ("group", "supergroup", "channel"):
            raise ValueError(kind)
        chat = ChatState(chat_id, kind, title=title, is_forum=forum, username=username)
        self.chats[chat_id] = chat
        return chat

    def block(self, user_id: int) -> None:
        """Make the user block the bot."""
        self.chats[user_id].blocked = True

    def deactivate(self, user_id: int) -> None:
        """Make the user delete their account."""
        self.chats[user_id].deactivated = True

    def kick_from(self, chat_id: int) -> None:
        """Remove the bot from a group or channel."""
        self.chats[chat_id].kicked = True

    def revoke_posting(self, chat_id: int) -> None:
        """Keep the bot in the chat but without the right to post (not an admin of a channel)."""
        self.chats[chat_id].can_post = False

    def remove_membership(self, chat_id: int) -> None:
        """Make the bot no longer a member (e.g. never added as channel admin)."""
        self.chats[chat_id].member = False

    def migrate(self, group_id: int, new_id: int) -> ChatState:
        """Upgrade a basic group to a supergroup with a new id."""
        old = self.chats[group_id]
        old.migrated_to = new_id
        return self.add_group(new_id, old.title or "", "supergroup")

    def _user(self, user_id: int) -> dict[str, Any]:
        return self.users.setdefault(
            user_id, {"id": user_id, "is_bot": False, "first_name": f"User{user_id}"}
        )

    def _enqueue(self, update: dict[str, Any]) -> int:
        raise NotImplementedError

    def next_update_id(self) -> int:
        """Return the id for the next pushed update."""
        raise NotImplementedError

    def _incoming(
        self, chat: ChatState, from_id: int, text: str, thread_id: int | None
    ) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": self._next_message_id(chat),
            "date": int(time.time()),
            "chat": chat.to_api(),
            "from": self._user(from_id),
            "text": text,
        }
        if text.startswith("/"):
            message["entities"] = [
                {"type": "bot_command", "offset": 0, "length": len(text.split(" ", 1)[0])}
            ]
        if thread_id is not None:
            message["message_thread_id"] = thread_id
            message["is_topic_message"] = True
        return message

    def push_message(
        self, chat_id: int, from_id: int, text: str, thread_id: int | None = None
    ) -> int:
        """Queue an update for a text message a user sent; return its update_id."""
        message = self._incoming(self.chats[chat_id], from_id, text, thread_id)
        return self._enqueue({"update_id": self.next_update_id(), "message": message})

    def push_callback(self, chat_id: int, from_id: int, data: str, message_id: int) -> int:
        """Queue a callback query for a button under one of the bot's messages."""
        query_id = str(next(self._callback_ids))
        self._open_callbacks.add(query_id)
        original = next(
            (m for m in self.sent if m.chat_id == chat_id and m.message_id == message_id), None
        )
        message = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": self.chats[chat_id].to_api(),
            "from": self.bot_user,
            "text": original.text if original else "",
        }
        query = {
            "id": query_id,
            "from": self._user(from_id),
            "message": message,
            "chat_instance": f"ci{chat_id}",
            "data": data,
        }
        return self._enqueue({"update_id": self.next_update_id(), "callback_query": query})

    def push_my_chat_member(
        self, chat_id: int, from_id: int, new_status: str, old_status: str = "member"
    ) -> int:
        """Queue a change of the bot's own membership (member, left or kicked)."""
        chat = self.chats[chat_id]
        if new_status == "kicked":
            chat.kicked = True
        elif new_status == "member":
            chat.kicked, chat.blocked, chat.member = False, False, True
        update = {
            "chat": chat.to_api(),
            "from": self._user(from_id),
            "date": int(time.time()),
            "old_chat_member": _member(old_status, self.bot_user),
            "new_chat_member": _member(new_status, self.bot_user),
        }
        return self._enqueue({"update_id": self.next_update_id(), "my_chat_member": update})

    # -- methods ----------------------------------------------------------------------------

    async def _get_me(self, p: dict[str, Any]) -> dict[str, Any]:
        return self.bot_user

    def _target(self, p: dict[str, Any]) -> ChatState:
        chat = self._find_chat(p)
        if not chat.can_post:
            if chat.type == "channel":
                raise ApiError(400, "Bad Request: need administrator rights in the channel chat")
            raise ApiError(400, "Bad Request: not enough rights to send text messages to the chat")
        pending = self.flood.pending_retry_after(chat.id)
        if pending is not None:
            seconds, violation = pending
            # A client that sends before its retry_after elapsed is misbehaving; count it.
            self.violations += violation
            self._too_many(seconds)
        return chat

    def _find_chat(self, p: dict[str, Any]) -> ChatState:
        """Return the chat ``chat_id`` names, refusing chats the bot cannot reach."""
        raw = p.get("chat_id")
        if isinstance(raw, str) and raw.startswith("@"):
            chat = next((c for c in self.chats.values() if c.username == raw[1:]), None)
        else:
            chat_id = int_param(p, "chat_id")
            if chat_id is None:
                raise ApiError(400, "Bad Request: chat_id is empty")
            chat = self.chats.get(chat_id)
        if chat is None:
            raise ApiError(400, "Bad Request: chat not found")
        if chat.migrated_to is not None:
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": chat.migrated_to},
            )
        if chat.deactivated:
            raise ApiError(403, "Forbidden: user is deactivated")
        if chat.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if chat.kicked:
            raise ApiError(403, f"Forbidden: bot was kicked from the {chat.type} chat")
        if not chat.member:
            raise ApiError(403, f"Forbidden: bot is not a member of the {chat.type} chat")
        return chat

    def _too_many(self, retry_after: int) -> None:
        self.count_429 += 1
        raise ApiError(
            429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
        )

    def _thread(self, chat: ChatState, p: dict[str, Any]) -> int | None:
        thread_id = int_param(p, "message_thread_id")
        if thread_id is not None and not chat.is_forum:
            raise ApiError(400, "Bad Request: message thread not found")
        return thread_id

    def _admit(self, chat: ChatState) -> None:
        retry_after = self.flood.admit(chat.id, chat.type == "private")
        if retry_after is not None:
            self._too_many(retry_after)

    def _next_message_id(self, chat: ChatState) -> int:
        chat.next_message_id += 1
        return chat.next_message_id - 1

    def _message(self, chat: ChatState, sent: SentMessage) -> dict[str, Any]:
        out: dict[str, Any] = {
            "message_id": sent.message_id,
            "date": int(time.time()),
            "chat": chat.to_api(),
            "from": self.bot_user,
        }
        if sent.thread_id is not None:
            out["message_thread_id"], out["is_topic_message"] = sent.thread_id, True
        if sent.reply_markup is not None:
            out["reply_markup"] = sent.reply_markup
        text_key, entities_key = (
            ("caption", "caption_entities") if sent.photo else ("text", "entities")
        )
        if sent.photo:
            out["photo"] = [
                {
                    "file_id": f"AgAD{sent.message_id}",
                    "width": 800,
                    "height": 600,
                    "file_unique_id": f"u{sent.message_id}",
                }
            ]
        if sent.text:
            out[text_key] = sent.text
        if sent.entities:
            out[entities_key] = sent.entities
        return out

    async def _send_message(self, p: dict[str, Any]) -> dict[str, Any]:
        chat = self._target(p)
        thread_id = self._thread(chat, p)
        parsed = check_text(p.get("text"), p.get("parse_mode"))
        markup = check_reply_markup(p.get("reply_markup"))
        self._admit(chat)
        sent = SentMessage(
            chat.id,
            self._next_message_id(chat),
            parsed.text,
            str(p["text"]),
            parsed.entities,
            markup,
            thread_id,
            p.get("link_preview_options"),
        )
        self.sent.append(sent)
        return self._message(chat, sent)

    async def _send_photo(self, p: dict[str, Any]) -> dict[str, Any]:
        chat = self._target(p)
        thread_id = self._thread(chat, p)
        photo = p.get("photo")
        if isinstance(photo, UploadedFile):
            photo_ref = f"upload:{photo.filename}"
        elif isinstance(photo, str) and photo:
            photo_ref = photo
        else:
            raise ApiError(400, "Bad Request: there is no photo in the request")
        parsed = check_text(p.get("caption"), p.get("parse_mode"), caption=True)
        markup = check_reply_markup(p.get("reply_markup"))
        self._admit(chat)
        sent = SentMessage(
            chat.id,
            self._next_message_id(chat),
            parsed.text,
            str(p.get("caption") or ""),
            parsed.entities,
            markup,
            thread_id,
            None,
            photo=photo_ref,
        )
        self.sent.append(sent)
        return self._message(chat, sent)

    async def _set_my_commands(self, p: dict[str, Any]) -> bool:
        self.commands[_menu_key(p)] = check_commands(p.get("commands"))
        return True

    async def _get_my_commands(self, p: dict[str, Any]) -> list[dict[str, str]]:
        return self.commands.get(_menu_key(p), [])

    async def _answer_callback_query(self, p: dict[str, Any]) -> bool:
        query_id = str(p.get("callback_query_id") or "")
        if query_id not in self._open_callbacks:
            raise ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        self._open_callbacks.discard(query_id)
        self.answered_callbacks.append(p)
        return True


def _member(status: str, user: dict[str, Any]) -> dict[str, Any]:
    if status not in ("member", "left", "kicked"):
        raise ValueError(f"unsupported status {status!r}")
    out: dict[str, Any] = {"status": status, "user": user}
    if status == "kicked":
        out["until_date"] = 0
    return out


def _menu_key(p: dict[str, Any]) -> tuple[str, str, str]:
    """Return the (scope type, chat id, language code) a command menu is stored under."""
    scope = p.get("scope") or {"type": "default"}
    language = str(p.get("language_code") or "")
    if language and not re.fullmatch("[a-z]{2}", language):
        raise ApiError(400, "Bad Request: invalid language code specified")
    if scope.get("type") == "chat" and "chat_id" not in scope:
        raise ApiError(400, "Bad Request: chat_id is required for the chat scope")
    return (str(scope.get("type", "default")), str(scope.get("chat_id", "")), language)
