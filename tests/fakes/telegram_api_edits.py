"""editMessageText and getChatMember of the fake Telegram Bot API, with their test control."""

from __future__ import annotations

import time
from typing import Any

from tests.fakes.telegram_api_state import FakeTelegramState, SentMessage
from tests.fakes.telegram_methods import ApiError, check_reply_markup, check_text, int_param

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
MEMBER_STATUSES = ("creator", "administrator", "member", "restricted", "left", "kicked")
_ADMIN_RIGHTS = (
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
)
_MEMBER_RIGHTS = (
    "can_send_messages",
    "can_send_audios",
    "can_send_documents",
    "can_send_photos",
    "can_send_videos",
    "can_send_video_notes",
    "can_send_voice_notes",
    "can_send_polls",
    "can_send_other_messages",
    "can_add_web_page_previews",
    "can_change_info",
    "can_invite_users",
    "can_pin_messages",
    "can_manage_topics",
    "can_edit_tag",
)


class FakeTelegramEdits(FakeTelegramState):
    """Adds message edits and member lookups to the fake's state."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.member_statuses: dict[tuple[int, int], str] = {}
        self.edits: list[SentMessage] = []
        """Each accepted edit, as the message read right after it."""

    def set_member_status(self, chat_id: int, user_id: int, status: str) -> None:
        """Make ``user_id`` have ``status`` in ``chat_id`` (default for everyone: "member")."""
        if status not in MEMBER_STATUSES:
            raise ValueError(f"unsupported status {status!r}")
        self.member_statuses[(chat_id, user_id)] = status

    async def _edit_message_text(self, p: dict[str, Any]) -> dict[str, Any]:
        chat = self._target(p)
        message_id = int_param(p, "message_id")
        if message_id is None:
            raise ApiError(400, "Bad Request: message identifier is not specified")
        original = next(
            (m for m in self.sent if m.chat_id == chat.id and m.message_id == message_id), None
        )
        if original is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        if original.photo is not None:
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        parsed = check_text(p.get("text"), p.get("parse_mode"))
        # Without reply_markup Telegram removes the inline keyboard.
        markup = check_reply_markup(p.get("reply_markup"))
        if (parsed.text, parsed.entities, markup) == (
            original.text,
            original.entities,
            original.reply_markup,
        ):
            raise ApiError(400, NOT_MODIFIED)
        self._admit(chat)
        original.text, original.html = parsed.text, str(p["text"])
        original.entities, original.reply_markup = parsed.entities, markup
        original.link_preview_options = p.get("link_preview_options")
        self.edits.append(
            SentMessage(
                chat.id,
                message_id,
                parsed.text,
                original.html,
                parsed.entities,
                markup,
                original.thread_id,
                original.link_preview_options,
            )
        )
        return {**self._message(chat, original), "edit_date": int(time.time())}

    async def _get_chat_member(self, p: dict[str, Any]) -> dict[str, Any]:
        chat = self._find_chat(p)
        user_id = int_param(p, "user_id")
        if user_id is None:
            raise ApiError(400, "Bad Request: user_id is empty")
        status = self.member_statuses.get((chat.id, user_id), "member")
        return chat_member(status, self._user(user_id))


def chat_member(status: str, user: dict[str, Any]) -> dict[str, Any]:
    """Return the Bot API ``ChatMember`` object of one status, with its required fields."""
    out: dict[str, Any] = {"status": status, "user": user}
    if status == "creator":
        out["is_anonymous"] = False
    elif status == "administrator":
        out.update({"can_be_edited": False, "is_anonymous": False})
        out.update(dict.fromkeys(_ADMIN_RIGHTS, True))
    elif status == "restricted":
        out.update({"is_member": True, "until_date": 0})
        out.update(dict.fromkeys(_MEMBER_RIGHTS, False))
    elif status == "kicked":
        out["until_date"] = 0
    return out
