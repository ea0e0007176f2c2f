"""Request parsing and validation rules of the fake Telegram Bot API (pure functions)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qsl

from tests.fakes.telegram_html import EntityParseError, ParsedText, parse_html, utf16_len

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
_JSON_FIELDS = frozenset(
    {"reply_markup", "link_preview_options", "commands", "allowed_updates", "scope", "entities"}
)
_SECRET_RE = re.compile(r"[A-Za-z0-9_-]+")
_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
# TDLib trims these around a message before measuring it.
_TRIM = " \t\r\n"


class ApiError(Exception):
    """A Bot API failure: the HTTP status, the exact description and optional parameters."""

    def __init__(self, code: int, description: str, parameters: dict[str, Any] | None = None):
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def envelope(self) -> dict[str, Any]:
        """Return the JSON body Telegram sends for this error."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


@dataclass(frozen=True, slots=True)
class UploadedFile:
    """A file part of a multipart request."""

    filename: str
    content: bytes


def parse_body(content_type: str, body: bytes) -> dict[str, Any]:
    """Decode a JSON, form-encoded or multipart request body into parameters."""
    if not body:
        return {}
    if "application/json" in content_type:
        try:
            data = json.loads(body)
        except ValueError as exc:
            raise ApiError(400, "Bad Request: can't parse JSON encoded request") from exc
        if not isinstance(data, dict):
            raise ApiError(400, "Bad Request: request body must be a JSON object")
        return data
    if "multipart/form-data" in content_type:
        head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
        message = BytesParser(policy=HTTP).parsebytes(head + body)
        params: dict[str, Any] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True)
            raw = payload if isinstance(payload, bytes) else b""
            filename = part.get_filename()
            if filename is not None:
                params[str(name)] = UploadedFile(filename, raw)
            else:
                params[str(name)] = raw.decode("utf-8")
        return decode_json_fields(params)
    return decode_json_fields(dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True)))


def decode_json_fields(params: dict[str, Any]) -> dict[str, Any]:
    """Decode the fields that form encoding carries as JSON strings."""
    out = dict(params)
    for key in _JSON_FIELDS & out.keys():
        value = out[key]
        if isinstance(value, str):
            try:
                out[key] = json.loads(value)
            except ValueError as exc:
                raise ApiError(400, f"Bad Request: can't parse {key} JSON object") from exc
    return out


def int_param(params: dict[str, Any], name: str, default: int | None = None) -> int | None:
    """Read an integer parameter sent as a number or a string."""
    value = params.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise ApiError(400, f"Bad Request: invalid {name} specified") from exc


def bool_param(params: dict[str, Any], name: str) -> bool:
    """Read a boolean parameter sent as JSON true or the string "true"."""
    value = params.get(name)
    return value is True or (isinstance(value, str) and value.lower() in ("true", "1"))


def check_text(text: object, parse_mode: object, *, caption: bool = False) -> ParsedText:
    """Parse and measure a message text or caption exactly where Telegram would refuse it."""
    raw = "" if text is None else str(text)
    mode = str(parse_mode or "")
    if mode.lower() == "html":
        try:
            parsed = parse_html(raw)
        except EntityParseError as exc:
            raise ApiError(400, f"Bad Request: can't parse entities: {exc}") from exc
    elif mode:
        if mode.lower() in ("markdown", "markdownv2"):
            raise ApiError(400, "Bad Request: the fake server implements only HTML parse mode")
        raise ApiError(400, f"Bad Request: unsupported parse_mode {mode!r}")
    else:
        parsed = ParsedText(raw)
    parsed = _trim(parsed)
    if not parsed.text and not caption:
        raise ApiError(400, "Bad Request: message text is empty")
    limit = CAPTION_LIMIT if caption else TEXT_LIMIT
    if utf16_len(parsed.text) > limit:
        what = "message caption is too long" if caption else "message is too long"
        raise ApiError(400, f"Bad Request: {what}")
    return parsed


def _trim(parsed: ParsedText) -> ParsedText:
    stripped_left = parsed.text.lstrip(_TRIM)
    lead = utf16_len(parsed.text) - utf16_len(stripped_left)
    text = stripped_left.rstrip(_TRIM)
    total = utf16_len(text)
    entities = []
    for entity in parsed.entities:
        start = max(0, entity["offset"] - lead)
        end = min(total, entity["offset"] + entity["length"] - lead)
        if end > start:
            entities.append({**entity, "offset": start, "length": end - start})
    return ParsedText(text, entities)


def check_reply_markup(markup: object) -> dict[str, Any] | None:
    """Validate an inline keyboard the way the server does; return it unchanged."""
    if markup is None or markup == "":
        return None
    if not isinstance(markup, dict):
        raise ApiError(400, "Bad Request: object expected as reply markup")
    if "inline_keyboard" not in markup:
        return markup
    rows = markup["inline_keyboard"]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise ApiError(
            400,
            'Bad Request: field "inline_keyboard" of the InlineKeyboardMarkup '
            "must be an Array of Arrays",
        )
    for row in rows:
        for button in row:
            _check_button(button)
    return markup


def _check_button(button: object) -> None:
    if not isinstance(button, dict) or not str(button.get("text", "")):
        raise ApiError(400, "Bad Request: text buttons are unallowed in the inline keyboard")
    actions = [k for k in button if k not in ("text", "icon_custom_emoji_id", "style")]
    if len(actions) != 1:
        raise ApiError(400, "Bad Request: text buttons are unallowed in the inline keyboard")
    if "callback_data" in button:
        size = len(str(button["callback_data"]).encode("utf-8"))
        if not 1 <= size <= 64:
            raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
    if "url" in button:
        url = str(button["url"])
        if not re.match(r"(?i)(https?://[^\s/]+\.|tg://)\S*", url):
            raise ApiError(400, "Bad Request: BUTTON_URL_INVALID")


def check_secret_token(secret: object) -> str:
    """Validate ``setWebhook.secret_token`` (empty means no secret)."""
    value = "" if secret is None else str(secret)
    if len(value) > 256:
        raise ApiError(400, "Bad Request: secret token is too long")
    if value and not _SECRET_RE.fullmatch(value):
        raise ApiError(400, "Bad Request: secret token contains unallowed characters")
    return value


def check_commands(commands: object) -> list[dict[str, str]]:
    """Validate ``setMyCommands.commands``."""
    if not isinstance(commands, list):
        raise ApiError(400, "Bad Request: can't parse commands JSON object")
    if len(commands) > 100:
        raise ApiError(400, "Bad Request: too many commands specified")
    out = []
    for item in commands:
        if not isinstance(item, dict):
            raise ApiError(400, "Bad Request: BotCommand must be an Object")
        command = str(item.get("command", "")).lstrip("/")
        description = str(item.get("description", ""))
        if not _COMMAND_RE.fullmatch(command):
            raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
        if not 1 <= len(description) <= 256:
            raise ApiError(400, "Bad Request: command description must be non-empty")
        out.append({"command": command, "description": description})
    return out
