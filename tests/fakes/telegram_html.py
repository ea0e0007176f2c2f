"""Telegram's HTML entity parser, ported from TDLib: the fake refuses what Telegram refuses.

Follows ``do_parse_html`` and ``decode_html_entity`` in TDLib's ``td/telegram/MessageEntity.cpp``:
offsets in error messages are UTF-8 byte offsets, entity offsets are UTF-16 code units, only the
named entities ``lt gt amp quot`` are decoded (any other ``&name;`` stays literal text, as on the
real server), and unknown attributes are ignored rather than refused. Blockquotes cannot nest
(TDLib drops the inner one; this fake refuses it so the mistake is visible in tests).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SUPPORTED_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "s",
        "strike",
        "del",
        "u",
        "ins",
        "span",
        "tg-spoiler",
        "tg-emoji",
        "pre",
        "code",
        "blockquote",
    }
)
_SIMPLE_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
}
_NAMED = {b"lt": "<", b"gt": ">", b"amp": "&", b"quot": '"'}
_SPACES = b" \t\r\n\f\v"
_URL_SCHEMES = ("http://", "https://", "tg://", "ftp://", "tonsite://")


class EntityParseError(Exception):
    """The HTML is not valid Telegram HTML; ``str(exc)`` is the server's wording."""


@dataclass(slots=True)
class ParsedText:
    """Text after entity parsing, with Bot API ``MessageEntity`` dicts."""

    text: str
    entities: list[dict[str, Any]] = field(default_factory=list)


@dataclass(slots=True)
class _Open:
    tag: str
    argument: str
    utf16_offset: int
    result_pos: int
    byte_pos: int


def utf16_len(text: str) -> int:
    """Count UTF-16 code units, the unit Telegram measures text and entities in."""
    return len(text.encode("utf-16-le")) // 2


def _decode_entity(data: bytes, pos: int) -> tuple[str, int] | None:
    """Decode the entity at ``pos``; return (character, next position) or None if not one."""
    end = pos + 1
    if data[end : end + 1] == b"#":
        end += 1
        value = 0
        if data[end : end + 1] == b"x":
            end += 1
            while end < len(data) and chr(data[end]) in "0123456789abcdefABCDEF":
                value = value * 16 + int(chr(data[end]), 16)
                end += 1
        else:
            while end < len(data) and 48 <= data[end] <= 57:
                value = value * 10 + data[end] - 48
                end += 1
        if value == 0 or value >= 0x10FFFF or end - pos >= 10:
            return None
        if 0xD800 <= value <= 0xDFFF:
            raise EntityParseError(
                "Text contains invalid Unicode characters after decoding HTML entities, "
                "check for unmatched surrogate code units"
            )
        char = chr(value)
    else:
        while end < len(data) and chr(data[end]).isascii() and chr(data[end]).isalpha():
            end += 1
        name = data[pos + 1 : end]
        if name not in _NAMED:
            return None
        char = _NAMED[name]
    if data[end : end + 1] == b";":
        end += 1
    return char, end


def _is_alnum(byte: int) -> bool:
    return chr(byte).isascii() and chr(byte).isalnum()


def _url_ok(url: str) -> bool:
    """Approximate TDLib's ``check_url``: invalid links silently lose their entity."""
    lowered = url.lower()
    if lowered.startswith(_URL_SCHEMES):
        return len(lowered.split("://", 1)[1]) > 0
    return "://" not in lowered and "." in lowered and " " not in lowered


def parse_html(html: str) -> ParsedText:
    """Parse Telegram HTML into text and entities, raising ``EntityParseError`` like the server."""
    data = html.encode("utf-8")
    size = len(data)
    out: list[str] = []
    out_len = 0
    utf16 = 0
    entities: list[dict[str, Any]] = []
    stack: list[_Open] = []

    def at(k: int) -> int:
        return data[k] if k < size else 0

    i = 0
    while i < size:
        c = data[i]
        if c == 0x26:  # '&'
            decoded = _decode_entity(data, i)
            if decoded is not None:
                char, i = decoded
                out.append(char)
                out_len += 1
                utf16 += utf16_len(char)
                continue
        if c != 0x3C:  # not '<': copy one whole UTF-8 character
            width = 1 if c < 0x80 else 2 if c < 0xE0 else 3 if c < 0xF0 else 4
            char = data[i : i + width].decode("utf-8")
            out.append(char)
            out_len += 1
            utf16 += utf16_len(char)
            i += width
            continue
        begin = i
        i += 1
        if at(i) != 0x2F:  # start tag
            while i < size and at(i) not in _SPACES and at(i) != 0x3E:
                i += 1
            if i >= size:
                raise EntityParseError(f"Unclosed start tag at byte offset {begin}")
            tag = data[begin + 1 : i].decode("utf-8", "replace").lower()
            if tag not in SUPPORTED_TAGS:
                raise EntityParseError(f'Unsupported start tag "{tag}" at byte offset {begin}')
            argument, i = _parse_attributes(data, i, tag, begin)
            if tag == "span" and argument != "spoiler":
                raise EntityParseError(
                    f'Tag "span" must have class "tg-spoiler" at byte offset {begin}'
                )
            if tag == "blockquote" and any(o.tag == "blockquote" for o in stack):
                raise EntityParseError(f"Blockquote can't be nested at byte offset {begin}")
            stack.append(_Open(tag, argument, utf16, out_len, begin))
            i += 1  # skip '>'
            continue
        # end tag
        if not stack:
            raise EntityParseError(f"Unexpected end tag at byte offset {begin}")
        while i < size and at(i) not in _SPACES and at(i) != 0x3E:
            i += 1
        end_name = data[begin + 2 : i].decode("utf-8", "replace")
        while i < size and at(i) in _SPACES:
            i += 1
        if at(i) != 0x3E:
            raise EntityParseError(f"Unclosed end tag at byte offset {begin}")
        i += 1
        top = stack.pop()
        if end_name and end_name != top.tag:
            raise EntityParseError(
                f'Unmatched end tag at byte offset {begin}, expected "</{top.tag}>", '
                f'found "</{end_name}>"'
            )
        if utf16 > top.utf16_offset:
            entity = _make_entity(top, utf16, "".join(out[top.result_pos :]))
            if entity is not None:
                entities.append(entity)
    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].tag}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return ParsedText("".join(out), entities)


def _parse_attributes(data: bytes, i: int, tag: str, begin: int) -> tuple[str, int]:
    """Read attributes up to '>'; return the tag's meaningful argument and the '>' position."""
    size = len(data)

    def at(k: int) -> int:
        return data[k] if k < size else 0

    argument = ""
    while at(i) != 0x3E:
        while i < size and at(i) in _SPACES:
            i += 1
        if at(i) == 0x3E:
            break
        name_start = i
        while i < size and at(i) not in _SPACES and at(i) not in (0x3D, 0x3E):
            i += 1
        name = data[name_start:i].decode("utf-8", "replace")
        if not name:
            raise EntityParseError(
                f'Empty attribute name in the tag "{tag}" at byte offset {begin}'
            )
        while i < size and at(i) in _SPACES:
            i += 1
        if at(i) != 0x3D:
            if tag == "blockquote" and name == "expandable":
                argument = "1"
                continue
            raise EntityParseError(
                "Expected equal sign in declaration of an attribute of the tag "
                f'"{tag}" at byte offset {begin}'
            )
        i += 1
        while i < size and at(i) in _SPACES:
            i += 1
        if i >= size:
            raise EntityParseError(f'Unclosed start tag "{tag}" at byte offset {begin}')
        value, i = _attribute_value(data, i)
        if i >= size:
            raise EntityParseError(f"Unclosed start tag at byte offset {begin}")
        if (tag == "a" and name == "href") or (tag == "tg-emoji" and name == "emoji-id"):
            argument = value
        elif tag == "code" and name == "class" and value.startswith("language-"):
            argument = value[len("language-") :]
        elif tag == "span" and name == "class" and value.startswith("tg-"):
            argument = value[len("tg-") :]
    return argument, i


def _attribute_value(data: bytes, i: int) -> tuple[str, int]:
    size = len(data)
    quote = data[i]
    if quote not in (0x22, 0x27):
        start = i
        while i < size and (_is_alnum(data[i]) or data[i] in b".-"):
            i += 1
        if i < size and data[i] not in _SPACES and data[i] != 0x3E:
            raise EntityParseError(f"Unexpected end of name token at byte offset {start}")
        return data[start:i].decode("ascii").lower(), i
    i += 1
    chars: list[str] = []
    raw = bytearray()
    while i < size and data[i] != quote:
        if data[i] == 0x26:
            decoded = _decode_entity(data, i)
            if decoded is not None:
                chars.append(raw.decode("utf-8", "replace"))
                raw.clear()
                chars.append(decoded[0])
                i = decoded[1]
                continue
        raw.append(data[i])
        i += 1
    chars.append(raw.decode("utf-8", "replace"))
    if i < size:
        i += 1
    return "".join(chars), i


def _make_entity(top: _Open, utf16_end: int, inner_text: str) -> dict[str, Any] | None:
    offset, length = top.utf16_offset, utf16_end - top.utf16_offset
    base: dict[str, Any] = {"offset": offset, "length": length}
    if top.tag in _SIMPLE_TYPES:
        return {"type": _SIMPLE_TYPES[top.tag], **base}
    if top.tag == "a":
        url = top.argument or inner_text
        return {"type": "text_link", **base, "url": url} if _url_ok(url) else None
    if top.tag == "blockquote":
        kind = "expandable_blockquote" if top.argument else "blockquote"
        return {"type": kind, **base}
    if top.tag == "tg-emoji":
        return {"type": "custom_emoji", **base, "custom_emoji_id": top.argument}
    if top.tag == "pre":
        return {"type": "pre", **base}
    return {"type": "code", **base}
