"""Reading the first post's full HTML from SMF's print page."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.forum.errors import FeedError
from bot.forum.excerpt import plain_excerpt
from bot.forum.printpage import parse_printpage

FIXTURES = Path(__file__).resolve().parents[3] / "shared/fixtures/smf"


def capture(name: str) -> str:
    """Return a captured SMF page, or skip when the captures are not checked out."""
    path = FIXTURES / name
    if not path.is_file():
        pytest.skip(f"SMF captures not found at {FIXTURES} (shared/ must sit beside the clone)")
    return path.read_text(encoding="utf-8")


def test_long_khutbah_comes_out_whole() -> None:
    """Topic 9's print page holds all ten parts, which the feed cut after 252 characters."""
    body = parse_printpage(capture("extras/printpage_topic_9.html"))
    assert body.startswith("<b>Full text of this Friday&#39;s khutbah (Jumu&#39;ah)")
    assert body.endswith("Audio recording will be shared next week in shaa Allah.</i>")
    assert body.count("<b>Part ") == 10
    assert "postheader" not in body
    assert "print_options" not in body
    assert len(body) > 17_000


def test_full_body_feeds_the_excerpt() -> None:
    """The print-page body goes through the same HTML-to-text conversion as a teaser."""
    text = plain_excerpt(parse_printpage(capture("extras/printpage_topic_9.html")), 90)
    assert text == (
        "Full text of this Friday's khutbah (Jumu'ah), as delivered at the central masjid."
        "\n\nPart 1…"
    )


def test_nested_divs_stay_inside_the_body() -> None:
    """Rendered BBCode such as [center] nests divs; only the post's own </div> ends it."""
    page = (
        '<div class="postheader">Title</div><div class="postbody">'
        'a<div class="centertext">b</div>c</div><!-- .postbody -->'
        '<div class="postbody">second post</div>'
    )
    assert parse_printpage(page) == 'a<div class="centertext">b</div>c'


def test_error_page_is_reported_as_login_page() -> None:
    """A missing or hidden topic gives SMF's login/error page, which has no post body."""
    with pytest.raises(FeedError) as caught:
        parse_printpage(capture("extras/topic_999.html"))
    assert caught.value.kind == "login_page"


def test_unclosed_body_is_malformed() -> None:
    """A page cut off mid-post is not passed on as if complete."""
    with pytest.raises(FeedError) as caught:
        parse_printpage('<div class="postbody">text <div>more')
    assert caught.value.kind == "malformed"
