"""Render neutral outbound messages as Telegram HTML, split to Telegram's length limits.

Every piece of text goes through ``html.escape(..., quote=True)``, so only ``&lt; &gt; &amp;
&quot;`` and numeric references are ever emitted, which Telegram's entity parser always accepts.
Limits are measured on the *visible* text (after entity parsing) in UTF-16 code units, the way
the Bot API counts (docs/platform-facts.md 1.2, 1.5).
"""

from __future__ import annotations

import html
import itertools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.core.messages import Choice, OutboundMessage, Span

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64
_LINK_SCHEMES = ("http://", "https://", "tg://")
_TAG_RE = re.compile(r"<[^>]*>")
_ENTITY_RE = re.compile(r"&(?:lt|gt|amp|quot|#[0-9]+|#x[0-9a-fA-F]+);")
# Preferred split points, best first: paragraph, line, sentence end, word gap.
_BOUNDARIES = (
    re.compile(r"\n\s*\n"),
    re.compile(r"\n"),
    re.compile(r"[.!?…؟](?=\s)\s*"),
    re.compile(r"\s+"),
)


@dataclass(frozen=True, slots=True)
class RenderedTelegram:
    """One Telegram send: HTML text (or photo caption), keyboard and preview setting."""

    text: str
    reply_markup: dict[str, Any] | None = None
    link_preview_disabled: bool = True
    photo_url: str | None = None

    @property
    def caption(self) -> str | None:
        """Return the caption when this part is a photo, else None."""
        return self.text if self.photo_url is not None else None


def utf16_len(text: str) -> int:
    """Count UTF-16 code units, the unit Telegram measures text in."""
    return len(text.encode("utf-16-le")) // 2


def visible_len(markup: str) -> int:
    """Return the UTF-16 length of HTML produced here, as Telegram counts it after parsing."""
    return utf16_len(_ENTITY_RE.sub(_unescape_one, _TAG_RE.sub("", markup)))


def _unescape_one(match: re.Match[str]) -> str:
    return html.unescape(match.group(0))


def render_html(message: OutboundMessage) -> list[RenderedTelegram]:
    """Render ``message`` as one or more Telegram sends; the keyboard goes on the last one.

    Raises:
        ValueError: a choice's ``data`` is longer than 64 bytes or a choice has no action.
    """
    keyboard = render_keyboard(message.choices)
    text = message.plain_text
    first_limit = CAPTION_LIMIT if message.image_url else TEXT_LIMIT
    cuts = split_points(text, first_limit, TEXT_LIMIT)
    preview_off = not message.link_preview
    parts: list[RenderedTelegram] = []
    for index, (start, end) in enumerate(itertools.pairwise(cuts)):
        body = render_spans(slice_spans(message.spans, start, end))
        last = index == len(cuts) - 2
        photo = message.image_url if index == 0 else None
        parts.append(RenderedTelegram(body, keyboard if last else None, preview_off, photo))
    return parts


def render_spans(spans: Sequence[Span]) -> str:
    """Render spans as Telegram HTML; runs of quote spans share one blockquote."""
    out: list[str] = []
    in_quote = False
    for span in spans:
        if span.quote != in_quote:
            out.append("<blockquote>" if span.quote else "</blockquote>")
            in_quote = span.quote
        out.append(_render_span(span))
    if in_quote:
        out.append("</blockquote>")
    return "".join(out)


def _render_span(span: Span) -> str:
    body = html.escape(span.text, quote=True)
    if span.link is not None and is_allowed_link(span.link):
        body = f'<a href="{html.escape(span.link, quote=True)}">{body}</a>'
    if span.italic:
        body = f"<i>{body}</i>"
    if span.bold:
        body = f"<b>{body}</b>"
    return body


def is_allowed_link(url: str) -> bool:
    """Return whether Telegram may show ``url`` as a link (http, https, tg)."""
    return url.strip().lower().startswith(_LINK_SCHEMES) and not any(c.isspace() for c in url)


def render_keyboard(choices: Sequence[Choice]) -> dict[str, Any] | None:
    """Render choices as an inline keyboard, one button per row."""
    if not choices:
        return None
    rows: list[list[dict[str, str]]] = []
    for choice in choices:
        button: dict[str, str] = {"text": choice.label}
        if choice.url is not None:
            if not is_allowed_link(choice.url):
                raise ValueError(f"button url must be http(s) or tg: {choice.url!r}")
            button["url"] = choice.url
        elif choice.data is not None:
            size = len(choice.data.encode("utf-8"))
            if not 1 <= size <= CALLBACK_DATA_LIMIT:
                raise ValueError(
                    f"callback data is {size} bytes; Telegram allows 1-64, use a short id"
                )
            button["callback_data"] = choice.data
        else:
            raise ValueError(f"choice {choice.label!r} has neither data nor url")
        rows.append([button])
    return {"inline_keyboard": rows}


def split_points(text: str, first_limit: int, limit: int) -> list[int]:
    """Return cut indices ``[0, ..., len(text)]`` so every piece fits its UTF-16 limit."""
    cuts = [0]
    start = 0
    budget = first_limit
    while utf16_len(text[start:]) > budget:
        end = _fit(text, start, budget)
        cut = _clean_cut(text, start, end)
        cuts.append(cut)
        start = cut
        budget = limit
    cuts.append(len(text))
    return cuts


def _fit(text: str, start: int, budget: int) -> int:
    """Return the largest end index whose slice fits ``budget`` UTF-16 units."""
    used = 0
    end = start
    while end < len(text):
        width = 2 if ord(text[end]) > 0xFFFF else 1
        if used + width > budget:
            break
        used += width
        end += 1
    return end


def _clean_cut(text: str, start: int, end: int) -> int:
    """Pick the best boundary in ``text[start:end]``, preferring the later half of the window."""
    window = text[start:end]
    floor = len(window) // 2
    for pattern in _BOUNDARIES:
        matches = [m.end() for m in pattern.finditer(window) if m.end() > floor]
        if matches and window[: matches[-1]].strip():
            return start + matches[-1]
    cut = end
    # Keep combining marks with their base character when forced to cut mid-word.
    while cut - 1 > start and cut < len(text) and unicodedata.combining(text[cut]):
        cut -= 1
    return cut


def slice_spans(spans: Sequence[Span], start: int, end: int) -> list[Span]:
    """Return the spans covering ``[start, end)`` of the concatenated text."""
    out: list[Span] = []
    pos = 0
    for span in spans:
        span_end = pos + len(span.text)
        lo, hi = max(start, pos), min(end, span_end)
        if lo < hi:
            piece = span.text[lo - pos : hi - pos]
            out.append(Span(piece, span.bold, span.italic, span.link, span.quote))
        pos = span_end
    return out
