"""Turn SMF's rendered HTML teaser into short neutral spans that every channel can show.

SMF cuts a feed body to 255 characters of BBCode *before* rendering it and appends "...", so a
teaser can end in a literal ``[img width=400]``, ``[...`` or a half URL that SMF auto-linked.
Those leftovers are removed here; the channel renderers escape the resulting plain text later.
"""

from __future__ import annotations

import re
import unicodedata
from html.parser import HTMLParser

from bot.core.messages import Span

_Style = tuple[bool, bool, str | None, bool]
"""(bold, italic, link, quote) of one character."""

_PLAIN: _Style = (False, False, None, False)
_VOID = frozenset({"br", "img", "hr", "input", "meta", "link", "wbr", "source", "area", "col"})
_BLOCK = frozenset(
    {"div", "p", "ul", "ol", "li", "blockquote", "table", "tr", "pre", "center", "dl", "dt", "dd"}
    | {"h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "header", "footer"}
)
_BOLD = frozenset({"b", "strong", "h1", "h2", "h3", "h4", "h5", "h6"})
_ITALIC = frozenset({"i", "em"})
# <cite> is SMF's "Quote from: Name on <date>" header; the quote reads fine without it.
_DROPPED = frozenset({"script", "style", "cite", "head", "title", "template", "noscript"})
_DROPPED_CLASSES = frozenset({"codeheader", "quoteheader", "quotefooter"})

# Rendered BBCode never leaves brackets behind unless SMF's cut made the tag unparseable.
_BBCODE = re.compile(
    r"\[/?(?:img|url|iurl|email|ftp|quote|code|php|html|size|color|font|b|i|u|s|li|list|"
    r"center|left|right|rtl|ltr|table|tr|td|youtube|flash|attach|hr|sup|sub|pre|tt|glow|"
    r"shadow|move|me|abbr|acronym|bdo|time|member|spoiler|nobbc)\b[^\[\]\n]{0,200}\]",
    re.IGNORECASE,
)
_TRUNCATION_MARK = re.compile(r"\.\.\.\s*$")
_HALF_TAG = re.compile(r"\[[^\[\]\n]{0,200}$")
_HALF_URL = re.compile(r"(?:https?://|www\.)\S*$", re.IGNORECASE)
_SPACES = re.compile(r"[ \t\r\f\v]+")
_SOURCE_WHITESPACE = re.compile(r"[ \t\r\n\f]+")
_SPACE_AROUND_NEWLINE = re.compile(r" ?\n ?")
_EMPTY_BULLET = re.compile(r"(?:^|\n)•(?=\n|$)")
_MANY_NEWLINES = re.compile(r"\n{3,}")
_JOINERS = frozenset({"\u200d", "\ufe0e", "\ufe0f"})


def html_to_spans(body_html: str, *, max_chars: int = 600) -> tuple[Span, ...]:
    """Convert SMF's rendered HTML into spans of at most ``max_chars`` characters."""
    builder = _SpanBuilder()
    builder.feed(body_html)
    builder.close()
    text = _StyledText(builder.chars, builder.styles)
    _clean(text)
    if len(text.chars) > max_chars:
        _trim(text, max_chars)
    return text.spans()


def plain_excerpt(body_html: str, max_chars: int = 600) -> str:
    """Return the same excerpt as :func:`html_to_spans` without markup."""
    return "".join(span.text for span in html_to_spans(body_html, max_chars=max_chars))


class _StyledText:
    """A string with one style per character, edited by regular expressions."""

    def __init__(self, chars: str, styles: list[_Style]) -> None:
        self.chars = chars
        self.styles = styles

    def sub(self, pattern: re.Pattern[str], replacement: str = "") -> None:
        """Replace every match; replacement characters take the matched text's first style."""
        parts: list[str] = []
        styles: list[_Style] = []
        pos = 0
        for match in pattern.finditer(self.chars):
            parts.append(self.chars[pos : match.start()])
            styles.extend(self.styles[pos : match.start()])
            if replacement and match.end() > match.start():
                parts.append(replacement)
                styles.extend([self.styles[match.start()]] * len(replacement))
            pos = match.end()
        parts.append(self.chars[pos:])
        styles.extend(self.styles[pos:])
        self.chars, self.styles = "".join(parts), styles

    def cut(self, start: int, end: int) -> None:
        """Keep only ``chars[start:end]``."""
        self.chars, self.styles = self.chars[start:end], self.styles[start:end]

    def strip(self) -> None:
        """Remove surrounding whitespace."""
        start = len(self.chars) - len(self.chars.lstrip())
        self.cut(start, len(self.chars.rstrip()))

    def append(self, suffix: str) -> None:
        """Add text in the last character's style, minus any link."""
        bold, italic, _, quote = self.styles[-1] if self.styles else _PLAIN
        self.chars += suffix
        self.styles.extend([(bold, italic, None, quote)] * len(suffix))

    def spans(self) -> tuple[Span, ...]:
        """Group runs of equal style into spans."""
        out: list[Span] = []
        start = 0
        for index in range(1, len(self.chars) + 1):
            if index == len(self.chars) or self.styles[index] != self.styles[start]:
                bold, italic, link, quote = self.styles[start]
                out.append(Span(self.chars[start:index], bold, italic, link, quote))
                start = index
        return tuple(out)


def _clean(text: _StyledText) -> None:
    text.sub(re.compile("\xa0"), " ")
    text.sub(_BBCODE)
    text.sub(_SPACES, " ")
    text.sub(_SPACE_AROUND_NEWLINE, "\n")
    text.strip()
    if _TRUNCATION_MARK.search(text.chars):
        text.sub(_TRUNCATION_MARK)
        _drop_cut_leftovers(text)
        text.sub(_EMPTY_BULLET)
        text.strip()
        if text.chars:
            text.append("…")
    text.sub(_EMPTY_BULLET)
    text.sub(_MANY_NEWLINES, "\n\n")
    text.strip()


def _drop_cut_leftovers(text: _StyledText) -> None:
    text.strip()
    text.sub(_HALF_TAG)
    text.strip()
    # A URL cut mid-way is auto-linked by SMF to a dead address: drop the whole trailing link.
    if text.chars and text.styles[-1][2] is not None:
        link = text.styles[-1][2]
        start = len(text.styles)
        while start > 0 and text.styles[start - 1][2] == link:
            start -= 1
        if _HALF_URL.fullmatch(text.chars[start:].strip()):
            text.cut(0, start)
    text.sub(_HALF_URL)
    text.strip()
    text.sub(_HALF_TAG)
    text.strip()


def _trim(text: _StyledText, max_chars: int) -> None:
    limit = max(1, max_chars - 1)
    boundary = max(text.chars.rfind(" ", 0, limit + 1), text.chars.rfind("\n", 0, limit + 1))
    if boundary < limit // 2:
        # One enormous word (the Cyrillic spam): cut it, but not inside a grapheme.
        boundary = limit
        while boundary > 1 and (
            _continues_grapheme(text.chars[boundary]) or text.chars[boundary - 1] == "\u200d"
        ):
            boundary -= 1
    text.cut(0, boundary)
    text.strip()
    text.sub(re.compile(r"(?:\n•)?[\s,;:]*$"))
    text.append("…")


def _continues_grapheme(char: str) -> bool:
    is_skin_tone = "\U0001f3fb" <= char <= "\U0001f3ff"
    return char in _JOINERS or is_skin_tone or unicodedata.combining(char) > 0


class _SpanBuilder(HTMLParser):
    """Walk the HTML once, recording each visible character with its style."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._parts: list[str] = []
        self.styles: list[_Style] = []
        self._open: list[tuple[str, _Style, bool]] = []
        """Open elements: (tag, style inside it, content dropped)."""

    @property
    def chars(self) -> str:
        return "".join(self._parts)

    def _style(self) -> _Style:
        return self._open[-1][1] if self._open else _PLAIN

    def _dropping(self) -> bool:
        return bool(self._open) and self._open[-1][2]

    def _emit(self, text: str, style: _Style) -> None:
        if text and not self._dropping():
            self._parts.append(text)
            self.styles.extend([style] * len(text))

    def _line_start(self) -> None:
        if self._parts and not self._parts[-1].endswith("\n"):
            self._emit("\n", (False, False, None, self._style()[3]))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Open an element: note its style and emit line breaks and bullets."""
        quote = self._style()[3]
        if tag == "br":
            self._emit("\n", (False, False, None, quote))
            return
        if tag == "hr":
            self._line_start()
            return
        if tag in _VOID:
            return
        if tag in _BLOCK:
            self._line_start()
        bold, italic, link, quote = self._style()
        values = dict(attrs)
        classes = set((values.get("class") or "").split())
        dropped = self._dropping() or tag in _DROPPED or bool(classes & _DROPPED_CLASSES)
        if tag == "a":
            href = (values.get("href") or "").strip()
            link = href if href.lower().startswith(("http://", "https://")) else None
        style = (bold or tag in _BOLD, italic or tag in _ITALIC, link, quote or tag == "blockquote")
        self._open.append((tag, style, dropped))
        if tag == "li":
            self._emit("• ", (False, False, None, style[3]))

    def handle_endtag(self, tag: str) -> None:
        """Close the element and any unclosed ones inside it."""
        if not any(open_tag == tag for open_tag, _, _ in self._open):
            return
        while self._open:
            closed = self._open.pop()[0]
            if closed in _BLOCK:
                self._line_start()
            if closed == tag:
                break

    def handle_data(self, data: str) -> None:
        """Record visible text in the current style."""
        # As in a browser, line breaks in the HTML source are spaces; SMF writes <br> for real ones.
        if not any(tag == "pre" for tag, _, _ in self._open):
            data = _SOURCE_WHITESPACE.sub(" ", data)
        self._emit(data, self._style())
