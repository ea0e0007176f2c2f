"""Neutral messages rendered as Telegram HTML, checked with the fake server's own parser."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.channels.telegram.render import (
    RenderedTelegram,
    render_html,
    render_keyboard,
    split_points,
    utf16_len,
    visible_len,
)
from bot.core.ids import ChannelName, ChatId
from bot.core.messages import Choice, OutboundMessage, Recipient, Span
from tests.channels.hostile_corpus import CORPUS_IDS, HOSTILE_CORPUS
from tests.fakes.telegram_html import parse_html
from tests.fakes.telegram_methods import ApiError, check_text

TO = Recipient(ChannelName("telegram"), ChatId("42"))

STYLES: dict[str, Callable[[str], tuple[Span, ...]]] = {
    "plain": lambda t: (Span(t),),
    "bold": lambda t: (Span(t, bold=True),),
    "italic": lambda t: (Span(t, italic=True),),
    "link": lambda t: (Span(t, link='https://forum.example/index.php?topic=1&a="b"'),),
    "quote": lambda t: (Span(t, quote=True),),
    "mixed": lambda t: (
        Span("Intro: ", bold=True),
        Span(t, italic=True, quote=True),
        Span(" end", link="tg://resolve?domain=x"),
    ),
}


def message(*spans: Span, **kwargs: object) -> OutboundMessage:
    return OutboundMessage(TO, tuple(spans), **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("style", list(STYLES))
@pytest.mark.parametrize(("case_id", "text"), HOSTILE_CORPUS, ids=CORPUS_IDS)
def test_hostile_text_renders_to_accepted_parts_that_keep_the_text(
    case_id: str, text: str, style: str
) -> None:
    """Every corpus text in every style passes Telegram's parser and limits, losing nothing."""
    msg = message(*STYLES[style](text))
    parts = render_html(msg)
    visible = []
    for part in parts:
        check_text(part.text, "HTML")  # raises ApiError exactly where the server answers 400
        parsed = parse_html(part.text)
        assert visible_len(part.text) == utf16_len(parsed.text)
        visible.append(parsed.text)
    assert "".join(visible) == msg.plain_text


def test_only_safe_entities_are_emitted() -> None:
    """Typed named entities are escaped, so the output holds only lt/gt/amp/quot/numeric."""
    [part] = render_html(message(Span("&nbsp; &hellip; <b> \"x\" 'y'")))
    assert part.text == "&amp;nbsp; &amp;hellip; &lt;b&gt; &quot;x&quot; &#x27;y&#x27;"


def test_spans_render_nested_tags_and_one_blockquote_per_run() -> None:
    """Bold, italic, link and consecutive quote spans produce the expected tags."""
    [part] = render_html(
        message(
            Span("A", bold=True, italic=True),
            Span("q1", quote=True),
            Span("q2", quote=True, link="https://x.example/?a=1&b=2"),
            Span("z"),
        )
    )
    assert part.text == (
        '<b><i>A</i></b><blockquote>q1<a href="https://x.example/?a=1&amp;b=2">q2</a></blockquote>z'
    )
    entities = sorted(parse_html(part.text).entities, key=lambda e: (e["offset"], e["type"]))
    assert entities == [
        {"type": "bold", "offset": 0, "length": 1},
        {"type": "italic", "offset": 0, "length": 1},
        {"type": "blockquote", "offset": 1, "length": 4},
        {"type": "text_link", "offset": 3, "length": 2, "url": "https://x.example/?a=1&b=2"},
    ]


@pytest.mark.parametrize(
    "href",
    [
        "javascript:alert(1)",
        "ftp://x.example",
        "mailto:a@b.c",
        "data:text/html,x",
        "https://x.example/a b",
    ],
)
def test_unsafe_links_render_as_plain_text(href: str) -> None:
    """Links that are not http, https or tg are shown as plain text without an anchor."""
    [part] = render_html(message(Span("click", link=href)))
    assert part.text == "click"


def test_exactly_4096_utf16_units_stay_one_message() -> None:
    """A text at the limit is not split."""
    parts = render_html(message(Span("🌙" * 2048)))
    assert len(parts) == 1
    check_text(parts[0].text, "HTML")


def test_one_unit_over_the_limit_is_refused_by_the_fake_and_split_by_the_renderer() -> None:
    """The fake refuses 4097 units; the renderer makes two parts that pass."""
    text = "a" * 4097
    with pytest.raises(ApiError, match="message is too long"):
        check_text(text, "HTML")
    parts = render_html(message(Span(text)))
    assert [visible_len(p.text) for p in parts] == [4096, 1]


def test_long_text_splits_at_paragraph_boundaries_and_reopens_tags() -> None:
    """A long bold text splits after a blank line and each part carries its own <b>."""
    para = "word " * 500 + "\n\n"
    parts = render_html(message(Span(para * 3, bold=True)))
    assert [parse_html(p.text).text for p in parts] == [para, para, para]
    assert all(p.text.startswith("<b>") and p.text.endswith("</b>") for p in parts)


def test_emoji_text_never_splits_inside_a_surrogate_pair() -> None:
    """A 5000-emoji text splits between emoji and every part is valid UTF-16."""
    parts = render_html(message(Span("🌙" * 5000)))
    assert [visible_len(p.text) for p in parts] == [4096, 4096, 1808]


def test_split_prefers_sentence_then_space_boundaries() -> None:
    """Without newlines the cut comes after a sentence end, else at a space."""
    text = "x" * 3000 + ". " + "y" * 2000
    assert split_points(text, 4096, 4096) == [0, 3002, len(text)]
    words = "abc " * 2000
    cuts = split_points(words, 4096, 4096)
    assert all(words[c - 1] == " " for c in cuts[1:-1])


def test_keyboard_only_on_the_last_part_and_preview_flag_on_every_part() -> None:
    """Buttons go under the last part; link_preview=False disables previews everywhere."""
    parts = render_html(message(Span("z " * 3000), choices=(Choice("Yes", data="y:1"),)))
    assert [p.reply_markup is not None for p in parts] == [False, True]
    assert all(p.link_preview_disabled for p in parts)
    [single] = render_html(message(Span("hi"), link_preview=True))
    assert single.link_preview_disabled is False


def test_choices_become_callback_and_url_buttons() -> None:
    """Data choices become callback buttons and url choices url buttons, one per row."""
    markup = render_keyboard(
        (Choice("Book", data="book:7"), Choice("Read on forum", url="https://forum.example/t/7"))
    )
    assert markup == {
        "inline_keyboard": [
            [{"text": "Book", "callback_data": "book:7"}],
            [{"text": "Read on forum", "url": "https://forum.example/t/7"}],
        ]
    }


def test_callback_data_over_64_bytes_is_refused() -> None:
    """32 Arabic letters are 64 bytes and pass; 33 are 66 bytes and raise ValueError."""
    assert render_keyboard((Choice("ok", data="ب" * 32),)) is not None
    with pytest.raises(ValueError, match="64"):
        render_keyboard((Choice("too long", data="ب" * 33),))


def test_message_link_without_a_choice_adds_no_button() -> None:
    """The renderer never invents a button for ``message.link``."""
    [part] = render_html(message(Span("News"), link="https://forum.example/t/1"))
    assert part.reply_markup is None


def test_photo_caption_limited_to_1024_and_rest_sent_as_text() -> None:
    """With an image the first part is a caption of at most 1024 units."""
    parts = render_html(message(Span("c" * 3000), image_url="https://forum.example/p.jpg"))
    assert parts[0] == RenderedTelegram("c" * 1024, None, True, "https://forum.example/p.jpg")
    assert parts[0].caption == "c" * 1024
    check_text(parts[0].text, "HTML", caption=True)
    assert [p.photo_url for p in parts[1:]] == [None]
    assert visible_len(parts[1].text) == 3000 - 1024
