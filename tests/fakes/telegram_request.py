"""A PTB transport that answers like Telegram and records every call (no network at all).

Inject it with ``Application.builder().request(...)``. ``getMe``, ``sendMessage``, ``sendPhoto``,
``editMessageText``, ``setMyCommands``, ``setWebhook``, ``deleteWebhook`` and
``answerCallbackQuery`` get realistic answers; ``plan_error``/``plan_result`` queue the next
answer for a method; any other call fails the test, so nothing unplanned goes unnoticed.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from typing import Any

import pytest
from telegram.request import BaseRequest, RequestData

BOT_ID = 123456
BOT_USER = {
    "id": BOT_ID,
    "is_bot": True,
    "first_name": "Minbar Test",
    "username": "minbar_test_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}


@dataclass(frozen=True, slots=True)
class RecordedCall:
    """One Bot API call: the method name and the parameters PTB serialised."""

    method: str
    params: dict[str, Any]


class RecordingRequest(BaseRequest):
    """Answers Bot API calls from a plan and records them; see the module docstring."""

    def __init__(self) -> None:
        self.calls: list[RecordedCall] = []
        self._planned: dict[str, deque[tuple[int, dict[str, Any]] | Exception]] = defaultdict(deque)
        self._message_ids: dict[object, int] = defaultdict(lambda: 100)

    @property
    def read_timeout(self) -> float | None:
        """Return no default read timeout."""
        return None

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    def plan_result(self, method: str, result: Any) -> None:
        """Answer the next ``method`` call with ``result``."""
        self._planned[method].append((200, {"ok": True, "result": result}))

    def plan_error(
        self, method: str, code: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        """Answer the next ``method`` call with a Telegram error envelope."""
        body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
        if parameters:
            body["parameters"] = parameters
        self._planned[method].append((code, body))

    def plan_exception(self, method: str, exc: Exception) -> None:
        """Raise ``exc`` from the transport on the next ``method`` call (e.g. ``TimedOut``)."""
        self._planned[method].append(exc)

    def calls_to(self, method: str) -> list[dict[str, Any]]:
        """Return the parameters of every call to ``method``."""
        return [c.params for c in self.calls if c.method == method]

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Record the call and return the planned or automatic answer."""
        api_method = url.rsplit("/", 1)[-1]
        params = dict(request_data.parameters) if request_data is not None else {}
        self.calls.append(RecordedCall(api_method, params))
        if self._planned[api_method]:
            planned = self._planned[api_method].popleft()
            if isinstance(planned, Exception):
                raise planned
            status, body = planned
        else:
            status, body = 200, {"ok": True, "result": self._automatic(api_method, params)}
        return status, json.dumps(body).encode()

    def _automatic(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return BOT_USER
        if method in ("setMyCommands", "setWebhook", "deleteWebhook", "answerCallbackQuery"):
            return True
        if method in ("sendMessage", "sendPhoto"):
            return self._message(method, params)
        if method == "editMessageText":
            return self._edited(params)
        pytest.fail(f"RecordingRequest: unplanned Bot API call {method}({params})")

    def _edited(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = params["chat_id"]
        numeric = isinstance(chat_id, int)
        message: dict[str, Any] = {
            "message_id": int(params["message_id"]),
            "date": int(time.time()) - 60,
            "edit_date": int(time.time()),
            "chat": {
                "id": chat_id if numeric else -1001,
                "type": "private" if numeric and chat_id > 0 else "supergroup",
            },
            "from": BOT_USER,
            "text": params["text"],
        }
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        return message

    def _message(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = params["chat_id"]
        self._message_ids[chat_id] += 1
        numeric = isinstance(chat_id, int)
        chat = {
            "id": chat_id if numeric else -1001,
            "type": "private" if numeric and chat_id > 0 else "supergroup",
        }
        message: dict[str, Any] = {
            "message_id": self._message_ids[chat_id],
            "date": int(time.time()),
            "chat": chat,
            "from": BOT_USER,
        }
        if method == "sendPhoto":
            message["photo"] = [
                {"file_id": "AgAD", "file_unique_id": "u1", "width": 1, "height": 1}
            ]
            if params.get("caption"):
                message["caption"] = params["caption"]
        else:
            message["text"] = params["text"]
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        return message
