"""Render neutral outbound messages as WhatsApp text, numbered choices and template variables.

WhatsApp formats ``*bold*``, ``_italic_``, ``~strike~`` and backtick code, and treats a line
starting with ``> `` as a quote. Forum titles and user text contain those characters on purpose
("5*3", "file_name_v2"), so user text is neutralised: a marker character is swapped for its
fullwidth twin (U+FF0A, U+FF3F, U+FF5E, U+FF40; U+FF1E for a leading ">") only when another
copy of the same character sits on the same output line, because WhatsApp never pairs markers
across lines and a lone marker stays literal. Fullwidth twins were chosen over zero-width
spaces because WhatsApp only recognises the ASCII markers, so the result does not depend on how
a client treats invisible characters; the swap keeps the length, so truncation can be computed
before escaping. URLs are never touched.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from bot.core.choices import selectable_choices
from bot.core.errors import PermanentError
from bot.core.messages import OutboundMessage, Span

MAX_BODY = 1600
"""Twilio rejects a longer ``Body`` (error 21617)."""

ELLIPSIS = "…"
CHOICE_PROMPT = "Reply with a number"
MAX_CHOICE_LABEL = 80

_MARKERS = "*_~`"
_BLANK_RUN = re.compile(r"\n{3,}")
_TWINS = {"*": "\uff0a", "_": "\uff3f", "~": "\uff5e", "`": "\uff40", ">": "\uff1e"}


@dataclass(frozen=True, slots=True)
class WhatsAppTemplate:
    """A Meta-approved Content API template and the order of its numbered variables."""

    content_sid: str
    variables: tuple[str, ...] = ()
    """Names of ``OutboundMessage.template_values`` for ``{{1}}``, ``{{2}}``…, in order."""
    language: str = "en"
    """The language of ``content_sid``, the fallback."""
    by_language: Mapping[str, str] = field(default_factory=dict)
    """The Content SID of the same template approved in another language."""

    def choose(self, language: str | None) -> tuple[str, str]:
        """Return the Content SID for ``language`` and the language it is in (else the fallback)."""
        if language is not None and language != self.language and language in self.by_language:
            return self.by_language[language], language
        return self.content_sid, self.language


@dataclass(frozen=True, slots=True)
class RenderedWhatsApp:
    """The text body to send and whether it had to be shortened."""

    body: str
    truncated: bool = False


@dataclass(frozen=True, slots=True)
class _Piece:
    text: str
    user: bool  # user text may be neutralised; markup and URLs never are


def body_length(text: str) -> int:
    """Return the length Twilio may count: UTF-16 code units, so emoji count twice."""
    return len(text.encode("utf-16-le")) // 2


def render_whatsapp(message: OutboundMessage, *, prompt: str = CHOICE_PROMPT) -> RenderedWhatsApp:
    """Render spans, link and choices as one WhatsApp body of at most 1600 characters.

    The number prompt is the message's own (in its language) when the features gave one.
    """
    tail = _tail_pieces(message, message.choice_prompt or prompt)
    tail_len = sum(body_length(p.text) for p in tail)
    spans = list(message.spans)
    truncated = False
    if _spans_length(spans) + tail_len > MAX_BODY:
        spans = _trim_spans(spans, MAX_BODY - tail_len - len(ELLIPSIS))
        truncated = True
    pieces = [piece for span in spans for piece in _render_span(span)]
    if truncated:
        pieces.append(_Piece(ELLIPSIS, user=False))
    body = _BLANK_RUN.sub("\n\n", _neutralise(pieces + tail)).strip()
    if body_length(body) > MAX_BODY:
        # Only reachable when the link and choices alone are too long.
        body, truncated = _hard_cut(body, MAX_BODY - len(ELLIPSIS)) + ELLIPSIS, True
    return RenderedWhatsApp(body, truncated)


def content_variables(template: WhatsAppTemplate, values: Sequence[tuple[str, str]]) -> str:
    """Return the ``ContentVariables`` JSON string for ``template``; refuse missing values."""
    named = dict(values)
    out: dict[str, str] = {}
    for position, name in enumerate(template.variables, start=1):
        value = _template_value(named.get(name, ""))
        if not value:
            # Twilio rejects empty or null variables (error 21656), so fail before sending.
            raise PermanentError("template_values", f"no value for {name!r}")
        out[str(position)] = value
    return json.dumps(out, ensure_ascii=False)


def _template_value(value: str) -> str:
    # Meta refuses parameters with newlines, tabs or more than four consecutive spaces.
    return " ".join(value.split())


def _tail_pieces(message: OutboundMessage, prompt: str) -> list[_Piece]:
    tail: list[_Piece] = []
    link = message.link
    if link and link not in {s.link for s in message.spans} and link not in message.plain_text:
        tail += [_Piece("\n\n", user=False), _Piece(link, user=False)]
    numbered = selectable_choices(message.choices)
    links = [c for c in message.choices if c.url is not None]
    if numbered or links:
        tail.append(_Piece("\n", user=False))
    for number, choice in enumerate(numbered, start=1):
        tail.append(_Piece(f"\n{number}. ", user=False))
        tail.append(_Piece(_clip(choice.label), user=True))
    for choice in links:
        tail.append(_Piece("\n", user=False))
        tail.append(_Piece(_clip(choice.label), user=True))
        tail.append(_Piece(f": {choice.url}", user=False))
    if numbered:
        tail.append(_Piece(f"\n{prompt}", user=False))
    return tail


def _clip(label: str) -> str:
    label = " ".join(label.split())
    if len(label) <= MAX_CHOICE_LABEL:
        return label
    return _hard_cut(label, MAX_CHOICE_LABEL - 1) + ELLIPSIS


def _render_span(span: Span) -> list[_Piece]:
    if span.link is not None:
        if span.text.strip() in {"", span.link}:
            return [_Piece(span.link, user=False)]
        label = _styled(Span(span.text, bold=span.bold, italic=span.italic))
        return [*label, _Piece(f" ({span.link})", user=False)]
    pieces = _styled(span)
    if span.quote:
        return _quoted(pieces)
    return pieces


def _styled(span: Span) -> list[_Piece]:
    """Wrap each non-blank line in the span's markers, outside its surrounding blanks."""
    marks = ("*" if span.bold else "") + ("_" if span.italic else "")
    if not marks:
        return [_Piece(span.text, user=True)]
    pieces: list[_Piece] = []
    for index, line in enumerate(span.text.split("\n")):
        if index:
            pieces.append(_Piece("\n", user=False))
        core = line.strip()
        if not core:
            pieces.append(_Piece(line, user=True))
            continue
        lead = line[: len(line) - len(line.lstrip())]
        trail = line[len(line.rstrip()) :]
        pieces += [
            _Piece(lead, user=True),
            _Piece(marks, user=False),
            _Piece(core, user=True),
            _Piece(marks[::-1], user=False),
            _Piece(trail, user=True),
        ]
    return pieces


def _quoted(pieces: list[_Piece]) -> list[_Piece]:
    out: list[_Piece] = [_Piece("\n> ", user=False)]
    for piece in pieces:
        head, *rest = piece.text.split("\n")
        out.append(_Piece(head, piece.user))
        for line in rest:
            out += [_Piece("\n> ", user=False), _Piece(line, piece.user)]
    out.append(_Piece("\n", user=False))
    return out


def _span_length(span: Span) -> int:
    return sum(body_length(p.text) for p in _render_span(span))


def _spans_length(spans: Sequence[Span]) -> int:
    return sum(_span_length(s) for s in spans)


def _trim_spans(spans: Sequence[Span], budget: int) -> list[Span]:
    """Keep whole spans while they fit, then the longest word-boundary prefix of the next."""
    kept: list[Span] = []
    used = 0
    for span in spans:
        size = _span_length(span)
        if used + size <= budget:
            kept.append(span)
            used += size
            continue
        if span.link is None:
            prefix = _fitting_prefix(span, budget - used)
            if prefix is not None:
                kept.append(prefix)
        # A link that does not fit whole is dropped: half a URL is worse than none.
        break
    return kept


def _fitting_prefix(span: Span, budget: int) -> Span | None:
    low, high, best = 0, len(span.text), None
    while low <= high:
        middle = (low + high) // 2
        candidate = _word_prefix(span.text, middle)
        trial = Span(candidate, span.bold, span.italic, None, span.quote)
        if candidate.strip() and _span_length(trial) <= budget:
            best, low = trial, middle + 1
        else:
            high = middle - 1
    return best


def _word_prefix(text: str, limit: int) -> str:
    """Cut ``text`` to ``limit`` characters, backing up to a space when one is near."""
    if limit >= len(text):
        return text
    cut = text.rfind(" ", 0, limit + 1)
    if cut < limit * 0.6:  # one very long word: cut inside it rather than lose most text
        return _hard_cut(text, limit)
    return text[:cut].rstrip()


def _hard_cut(text: str, limit: int) -> str:
    """Cut by UTF-16 length without splitting a combining mark or an emoji sequence."""
    cut = 0
    size = 0
    for index, char in enumerate(text):
        size += body_length(char)
        if size > limit:
            break
        cut = index + 1
    while 0 < cut < len(text) and _joins(text[cut - 1], text[cut]):
        cut -= 1
    return text[:cut]


def _joins(before: str, after: str) -> bool:
    return (
        unicodedata.combining(after) != 0
        or unicodedata.category(after) == "Mn"
        or after in "\u200d\ufe0f\ufe0e"
        or before == "\u200d"
        or 0x1F3FB <= ord(after) <= 0x1F3FF  # skin-tone modifiers
    )


def _neutralise(pieces: Sequence[_Piece]) -> str:
    """Join pieces, swapping user marker characters that could pair on their line."""
    lines: list[list[_Piece]] = [[]]
    for piece in pieces:
        head, *rest = piece.text.split("\n")
        lines[-1].append(_Piece(head, piece.user))
        for part in rest:
            lines.append([_Piece(part, piece.user)])
    return "\n".join(_neutralise_line(line) for line in lines)


def _neutralise_line(pieces: Sequence[_Piece]) -> str:
    whole = "".join(p.text for p in pieces)
    crowded = {m for m in _MARKERS if whole.count(m) >= 2}
    out: list[str] = []
    for piece in pieces:
        text = piece.text
        if piece.user:
            text = "".join(_TWINS[ch] if ch in crowded else ch for ch in text)
            if "".join(out).strip() in {"", ">"} and text.lstrip().startswith(">"):
                # A user line starting with ">" would render as a (nested) quote.
                stripped = text.lstrip()
                text = text[: len(text) - len(stripped)] + _TWINS[">"] + stripped[1:]
        out.append(text)
    return "".join(out)
