"""Converting SMF's rendered HTML teasers into clean neutral spans."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from bot.core.messages import Span
from bot.forum.excerpt import html_to_spans, plain_excerpt
from bot.forum.smf_parse import parse_feed

FIXTURES = Path(__file__).resolve().parents[3] / "shared/fixtures/smf"
TAG = re.compile(r"</?[A-Za-z][^>]*>")


def capture(name: str) -> bytes:
    """Return a captured SMF response body, or skip when the captures are not checked out."""
    path = FIXTURES / name
    if not path.is_file():
        pytest.skip(f"SMF captures not found at {FIXTURES} (shared/ must sit beside the clone)")
    return path.read_bytes()


def news_bodies() -> dict[int, str]:
    """Return topic id -> body HTML for every topic of the limit=50 news capture."""
    topics = parse_feed(capture("after/feed_news_rss2_limit50.xml"))
    return {t.topic_id: t.body_html for t in topics}


def recent_body(msg_id: int) -> str:
    """Return the description of one post of the recent-posts capture (spam, quotes)."""
    root = ET.fromstring(capture("after/feed_recent_rss2_limit50.xml"))  # noqa: S314 - our capture
    for item in root.iter("item"):
        if (item.findtext("guid") or "").endswith(f":msg={msg_id}"):
            return item.findtext("description") or ""
    raise AssertionError(f"msg {msg_id} not in the capture")


@pytest.mark.parametrize("max_chars", [600, 120, 40])
def test_every_captured_teaser_comes_out_clean(max_chars: int) -> None:
    """No tags, BBCode leftovers, SMF "..." or runs of blank lines survive, within the length."""
    bodies = news_bodies()
    assert sorted(bodies) == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13]
    for topic_id, body in bodies.items():
        text = plain_excerpt(body, max_chars)
        assert text, topic_id
        assert len(text) <= max_chars, topic_id
        assert "[img" not in text, topic_id
        assert "[..." not in text, topic_id
        assert not text.endswith("["), topic_id
        assert "[url" not in text, topic_id
        assert not TAG.search(text), (topic_id, text)
        assert not text.endswith("..."), topic_id
        assert "\n\n\n" not in text, topic_id
        assert text == text.strip(), topic_id


def test_topic_7_loses_the_cut_image_tag_and_half_url() -> None:
    """`[img width=400]` plus an auto-linked half URL are truncation debris, not content."""
    spans = html_to_spans(news_bodies()[7])
    assert "".join(s.text for s in spans) == (
        "Assalamu alaikum everyone,\n\nMy name is Aisha, I live in Ilorin, Kwara State. "
        "I joined to learn and share beneficial knowledge.\n\n"
        "Here is a photo of the central mosque from my last visit:…"
    )
    assert all(s.link is None for s in spans)
    assert Span("Ilorin, Kwara State", bold=True) in spans


def test_topic_4_keeps_arabic_and_drops_the_trailing_half_tag() -> None:
    """The teaser ending in `[...` ends in clean Arabic, diacritics intact."""
    assert plain_excerpt(news_bodies()[4]) == (
        "بِسْمِ اللَّهِ الرَّحْمَٰنِ الرَّحِيمِ\n\n"
        "Notes from this week's tafsir session on Surah Al-Kahf (Chapter 18).\n\n"
        "الْحَمْدُ لِلَّهِ الَّذِي أَنزَلَ عَلَىٰ عَبْدِهِ الْكِتَابَ وَلَمْ يَجْعَل لَّهُ عِوَجًا…"
    )


def test_topic_6_special_characters_become_real_text() -> None:
    """`&lt;`, `&gt;`, `&quot;`, `&#39;` and `&amp;&amp;` are decoded for the renderer to escape."""
    assert plain_excerpt(news_bodies()[6]) == (
        "Assalamu alaikum. I travel Kano -> Abuja every week (distance > 80km). "
        "A few questions:\n\n"
        '1. Is it "jam\'" (combining) or "qasr" (shortening), or both?\n'
        "2. If the journey is < 2 days, do I still shorten?\n"
        '3. Someone told me "5 < 10 && 10 > 5" rules apply, l…'
    )


def test_topic_11_lists_become_bullets_and_emoji_survive() -> None:
    """<ul><li> turns into bullet lines; `&#128331;` becomes the Kaaba emoji."""
    spans = html_to_spans(news_bodies()[11])
    assert spans[0] == Span("DECEMBER UMRAH PROMO", bold=True)
    assert "".join(s.text for s in spans[1:]) == (
        " \U0001f54b\n\nSpend the December holidays in the Haramain!\n\n"
        "• 10 nights: 5 Makkah + 5 Madinah\n"
        "• Umrah visa, return flight (Lagos/Abuja) & airport transfers\n"
        "• 4-star hotels, breakfast included\n\n"
        "Price: fr…"
    )


def test_topic_1_keeps_its_https_link() -> None:
    """An http(s) anchor becomes a link span; &nbsp; becomes an ordinary space."""
    spans = html_to_spans(news_bodies()[1])
    assert (
        Span("ask us for assistance", link="https://www.simplemachines.org/community/index.php")
        in spans
    )
    assert "forum. If" in "".join(s.text for s in spans)


def test_cyrillic_spam_without_spaces_is_cut_hard() -> None:
    """A 252-character single word still ends within the limit, with one ellipsis."""
    text = plain_excerpt(recent_body(4), max_chars=100)
    assert text == "сайт" * 24 + "сай" + "…"
    assert len(text) == 100


def test_spam_at_default_length_only_swaps_smf_dots_for_an_ellipsis() -> None:
    """Under the limit, SMF's "..." truncation mark becomes a single "…"."""
    text = plain_excerpt(recent_body(4))
    assert text == "сайт" * 63 + "…"


def test_quote_reply_becomes_a_quote_span_without_the_cite_header() -> None:
    """SMF's blockquote is a quote; its "Quote from: … on <date>" header is dropped."""
    spans = html_to_spans(recent_body(11))
    assert spans[0] == Span(
        'Is it "jam\'" (combining) or "qasr" (shortening), or both?', quote=True
    )
    assert spans[1].text.startswith("\n\nWa alaikum assalam.")
    assert not spans[1].quote
    assert "Quote from" not in "".join(s.text for s in spans)


def test_smileys_are_dropped() -> None:
    """The `:)` smiley image leaves no alt text behind."""
    spans = html_to_spans(recent_body(13))
    assert spans[-1] == Span("forum rules", link="https://attaqwaa.example/index.php?topic=1.0")


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("a<br><br><br><br>b", (Span("a\n\nb"),)),
        ("<script>alert(1)</script>Hi", (Span("Hi"),)),
        ("&lt;script&gt;alert(1)&lt;/script&gt;", (Span("<script>alert(1)</script>"),)),
        ("a &amp;amp; b", (Span("a &amp; b"),)),
        ("<i>x</i><em>y</em>", (Span("xy", italic=True),)),
        ("<strong><i>both</i></strong>", (Span("both", bold=True, italic=True),)),
        ('<a href="javascript:alert(1)">click</a>', (Span("click"),)),
        ('<a href="mailto:x@y.example">x@y.example</a>', (Span("x@y.example"),)),
        ('<span style="color: red" class="bbc_color">red</span>', (Span("red"),)),
        ("<b>unclosed", (Span("unclosed", bold=True),)),
        ("x</b>y", (Span("xy"),)),
        (
            "\u200f\u05e9\u05dc\u05d5\u05dd \U0001f319",
            (Span("\u200f\u05e9\u05dc\u05d5\u05dd \U0001f319"),),
        ),
        ("spaced\n\t  out", (Span("spaced out"),)),
        ("", ()),
    ],
    ids=[
        "newlines-collapse",
        "script-dropped",
        "escaped-script-is-text",
        "literal-entity",
        "italic",
        "bold-italic",
        "javascript-link",
        "mailto-link",
        "span-unwrapped",
        "unclosed-tag",
        "stray-end-tag",
        "rtl-and-emoji",
        "source-whitespace",
        "empty",
    ],
)
def test_html_conversion(body: str, expected: tuple[Span, ...]) -> None:
    """Each piece of SMF markup maps to the neutral span it means."""
    assert html_to_spans(body) == expected


def test_code_header_is_dropped_but_code_kept() -> None:
    """SMF's "Code: Select" header is chrome; the code itself is content."""
    body = (
        '<div class="codeheader"><span class="code floatleft">Code</span> '
        '<a class="codeoperation smf_select_text">Select</a></div>'
        '<code class="bbc_code">x = 1</code>'
    )
    assert plain_excerpt(body) == "x = 1"


def test_trim_stops_at_a_word_boundary() -> None:
    """Cutting prefers the last space, and the ellipsis counts towards the limit."""
    assert plain_excerpt("alpha beta gamma delta", max_chars=12) == "alpha beta…"


def test_trim_keeps_styles_up_to_the_cut() -> None:
    """A cut inside a bold run keeps the run bold and adds an unlinked ellipsis."""
    body = '<b>bold words here</b> <a href="https://x.example/">tail</a>'
    spans = html_to_spans(body, max_chars=12)
    assert spans == (Span("bold words…", bold=True),)


def test_hard_cut_does_not_split_a_joined_emoji() -> None:
    """A cut inside a ZWJ family emoji moves back to the start of that sequence."""
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    text = plain_excerpt(family * 10, max_chars=9)
    assert text == family + "…"


def test_empty_list_item_left_by_the_cut_is_removed() -> None:
    """`<li>...</li>` after cleaning is an empty bullet and disappears."""
    assert plain_excerpt("Includes:<ul><li>Visa</li><li>...</li></ul>") == "Includes:\n• Visa…"


def test_plain_excerpt_matches_the_spans() -> None:
    """plain_excerpt is the span text joined, so both views agree."""
    body = news_bodies()[8]
    assert plain_excerpt(body, 80) == "".join(s.text for s in html_to_spans(body, max_chars=80))
