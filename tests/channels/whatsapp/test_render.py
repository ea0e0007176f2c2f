"""Tests for the WhatsApp renderer: formatting, neutralising markers, limits, choices."""

from __future__ import annotations

import json

import pytest

from bot.channels.whatsapp.render import (
    MAX_BODY,
    WhatsAppTemplate,
    body_length,
    content_variables,
    render_whatsapp,
)
from bot.core.choices import match_choice
from bot.core.errors import PermanentError
from bot.core.ids import ChannelName, ChatId
from bot.core.messages import Choice, OutboundMessage, Recipient, Span, bold, italic, link, plain
from tests.channels.hostile_corpus import HOSTILE_CORPUS

TO = Recipient(ChannelName("whatsapp"), ChatId("+2348012345678"))
CHOICES = (Choice("Umrah packages", "umrah"), Choice("Hajj packages", "hajj"))

_INLINE_CORPUS = (
    "*bold* _it_ ~s~ `code` ```mono```",
    "5*3 = 15 and 2*2 = 4",
    "file_name_v2_final.pdf",
    "> not a quote\n>> nor this",
    "<b>&amp;</b> &nbsp; <script>alert(1)</script>",
    "عرض العمرة 🕋 " * 30,
    "👨‍👩‍👧‍👦" * 500,
    "e\u0301" * 900,
    "\u200f\u202e reversed \u2066 isolate",
    "x" * 5000,
    "word " * 700,
    "",
    "\n\n\n",
    "*",
    "_*~`",
)


def _corpus() -> list[tuple[str, str]]:
    inline = [(f"inline-{n}", text) for n, text in enumerate(_INLINE_CORPUS)]
    return inline + list(HOSTILE_CORPUS)


def _message(*spans: Span, **kwargs: object) -> OutboundMessage:
    return OutboundMessage(TO, spans, **kwargs)  # type: ignore[arg-type]


def test_bold_italic_and_links_use_whatsapp_markup() -> None:
    """Bold and italic spans get * and _ markers; a link shows as text followed by its URL."""
    body = render_whatsapp(
        _message(
            bold("Umrah"),
            plain(" offer "),
            italic("now"),
            plain(" "),
            link("Read", "https://f.example/t?topic=5.0"),
        )
    ).body
    assert body == "*Umrah* offer _now_ Read (https://f.example/t?topic=5.0)"


def test_link_whose_text_is_the_url_is_shown_once() -> None:
    """A link span whose text equals its URL renders as the bare URL."""
    url = "https://f.example/index.php?topic=7.0"
    assert render_whatsapp(_message(link(url, url))).body == url


def test_markers_wrap_text_inside_surrounding_spaces() -> None:
    """Spaces at the edges of a bold span stay outside the markers, which WhatsApp needs."""
    assert render_whatsapp(_message(plain("a"), bold(" b "), plain("c"))).body == "a *b* c"


def test_bold_across_lines_is_closed_on_each_line() -> None:
    """WhatsApp never formats across a newline, so each line of a bold span gets its own pair."""
    assert render_whatsapp(_message(bold("one\ntwo"))).body == "*one*\n*two*"


def test_quote_span_prefixes_every_line() -> None:
    """A quote span becomes lines starting with "> "."""
    body = render_whatsapp(_message(plain("He said:"), Span("first\nsecond", quote=True))).body
    assert body == "He said:\n> first\n> second"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("5*3 and 2*2", "5\uff0a3 and 2\uff0a2", id="paired-asterisks"),
        pytest.param("file_name_v2", "file\uff3fname\uff3fv2", id="paired-underscores"),
        pytest.param("~50 to ~60", "\uff5e50 to \uff5e60", id="paired-tildes"),
        pytest.param("use `ls` here", "use \uff40ls\uff40 here", id="backticks"),
        pytest.param("5*3", "5*3", id="lone-asterisk-stays"),
        pytest.param("> fake quote", "\uff1e fake quote", id="leading-quote"),
        pytest.param("a > b", "a > b", id="inner-gt-stays"),
    ],
)
def test_user_markers_that_could_pair_are_neutralised(text: str, expected: str) -> None:
    """Marker characters in user text are swapped for fullwidth twins only where they could pair."""
    assert render_whatsapp(_message(plain(text))).body == expected


def test_user_asterisk_inside_bold_span_cannot_close_it() -> None:
    """An asterisk in a bold title is neutralised so it cannot end the bold early."""
    assert render_whatsapp(_message(bold("5*3 deal"))).body == "*5\uff0a3 deal*"


def test_urls_are_never_altered() -> None:
    """Underscores in URLs stay ASCII even when the line has other underscores."""
    url = "https://f.example/a_b_c"
    body = render_whatsapp(_message(italic("new"), plain(" "), link(url, url))).body
    assert body == f"_new_ {url}"


def test_message_link_is_appended_once() -> None:
    """The message's link is added on its own paragraph unless the text already shows it."""
    url = "https://f.example/t/9"
    assert render_whatsapp(_message(plain("Hi"), link=url)).body == f"Hi\n\n{url}"
    assert render_whatsapp(_message(link(url, url), link=url)).body == url


def test_choices_become_numbered_options_with_a_prompt() -> None:
    """Choices render as a numbered list followed by the reply instruction."""
    body = render_whatsapp(_message(plain("Which trip?"), choices=CHOICES)).body
    assert body == "Which trip?\n\n1. Umrah packages\n2. Hajj packages\nReply with a number"


def test_url_choices_are_listed_without_a_number() -> None:
    """A URL choice cannot be picked by reply, so it is shown as a plain link line."""
    choices = (Choice("Umrah", "u"), Choice("Website", url="https://agency.example"))
    body = render_whatsapp(_message(plain("Pick"), choices=choices)).body
    assert body == "Pick\n\n1. Umrah\nWebsite: https://agency.example\nReply with a number"


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        pytest.param("1", "umrah", id="digit"),
        pytest.param(" 2 ", "hajj", id="spaces"),
        pytest.param("2.", "hajj", id="trailing-dot"),
        pytest.param("\u0662", "hajj", id="arabic-indic-digit"),
        pytest.param("UMRAH", "umrah", id="label-word-case"),
        pytest.param("Hàjj", "hajj", id="label-word-diacritic"),
        pytest.param("hajj packages", "hajj", id="full-label"),
        pytest.param("packages", None, id="ambiguous-word"),
        pytest.param("3", None, id="out-of-range"),
        pytest.param("0", None, id="zero"),
        pytest.param("", None, id="empty"),
        pytest.param("maybe later", None, id="unrelated"),
    ],
)
def test_match_choice_maps_replies_back(reply: str, expected: str | None) -> None:
    """Numbers, tolerant spellings and unique label words map back to the chosen option."""
    found = match_choice(reply, CHOICES)
    assert (found.data if found else None) == expected


def test_match_choice_numbers_skip_url_choices() -> None:
    """Numbering in match_choice follows the rendered list, which skips URL choices."""
    choices = (Choice("Site", url="https://a.example"), Choice("Umrah", "u"))
    assert match_choice("1", choices) == Choice("Umrah", "u")


def test_long_body_is_trimmed_at_a_word_with_ellipsis_and_keeps_link() -> None:
    """An over-long text is cut at a word boundary, ends with an ellipsis, and keeps the link."""
    url = "https://f.example/index.php?topic=42.0"
    result = render_whatsapp(_message(plain("word " * 600), link=url, choices=CHOICES))
    assert result.truncated
    assert body_length(result.body) <= MAX_BODY
    assert "word…" in result.body
    assert result.body.endswith(
        f"{url}\n\n1. Umrah packages\n2. Hajj packages\nReply with a number"
    )


def test_link_span_that_does_not_fit_is_dropped_whole() -> None:
    """A link span is never cut in half: if it does not fit, it is left out."""
    url = "https://f.example/" + "p" * 80
    result = render_whatsapp(_message(plain("a " * 790), link("more", url)))
    assert url not in result.body
    assert "https://f.example/p" not in result.body
    assert body_length(result.body) <= MAX_BODY


def test_trimmed_bold_span_keeps_balanced_markers() -> None:
    """Cutting inside a bold span still closes the bold before the ellipsis."""
    result = render_whatsapp(_message(bold("long " * 500)))
    assert result.body.startswith("*long")
    assert result.body.endswith("long*…")


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("مرحبا بكم في رحلة العمرة " * 100, id="arabic"),
        pytest.param("🕋🤲🏽 " * 700, id="emoji"),
        pytest.param("👨‍👩‍👧‍👦" * 700, id="zwj-family"),
    ],
)
def test_length_limit_counts_utf16_units_for_arabic_and_emoji(text: str) -> None:
    """Arabic and emoji bodies stay within 1600 UTF-16 units and never split a character."""
    result = render_whatsapp(_message(plain(text)))
    assert result.truncated
    assert body_length(result.body) <= MAX_BODY
    kept = result.body.removesuffix("…")
    assert text.startswith(kept)
    assert not kept.endswith("\u200d")


def test_short_text_is_not_truncated() -> None:
    """A short message is passed through untouched and not marked truncated."""
    result = render_whatsapp(_message(plain("Salam")))
    assert result == type(result)("Salam", truncated=False)


@pytest.mark.parametrize(("case_id", "text"), _corpus(), ids=[c for c, _ in _corpus()])
def test_hostile_text_never_crashes_or_exceeds_limit(case_id: str, text: str) -> None:
    """Any text, in any span style, with choices and a link, renders within 1600."""
    spans = (
        bold(text),
        plain(text),
        italic(text),
        Span(text, quote=True),
        link(text, "https://x.example"),
    )
    many = tuple(Choice(text or "x", str(i)) for i in range(12))
    result = render_whatsapp(_message(*spans, choices=many, link="https://f.example/t"))
    assert body_length(result.body) <= MAX_BODY


def test_content_variables_follow_template_order_as_json_string() -> None:
    """Template values are mapped to {{1}}, {{2}} in the template's declared order."""
    template = WhatsAppTemplate("HX" + "a" * 32, ("title", "url"))
    raw = content_variables(
        template, (("url", "https://f.example/t"), ("title", "New\tUmrah\n offer"))
    )
    assert json.loads(raw) == {"1": "New Umrah offer", "2": "https://f.example/t"}


def test_content_variables_refuse_a_missing_value() -> None:
    """A template value that is missing or blank is refused before Twilio rejects it (21656)."""
    template = WhatsAppTemplate("HX" + "a" * 32, ("title", "url"))
    with pytest.raises(PermanentError) as caught:
        content_variables(template, (("title", "x"), ("url", "  ")))
    assert caught.value.error_key == "template_values"


@pytest.mark.parametrize(("case_id", "text"), _corpus(), ids=[c for c, _ in _corpus()])
def test_hostile_plain_text_never_creates_formatting(case_id: str, text: str) -> None:
    """In plain user text no line keeps two copies of a marker, so nothing can pair."""
    body = render_whatsapp(_message(plain(text))).body
    for line in body.split("\n"):
        assert all(line.count(marker) < 2 for marker in "*_~`"), line
        assert not line.lstrip().startswith(">"), line
