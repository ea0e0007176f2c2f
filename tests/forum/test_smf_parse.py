"""Parsing real SMF 2.1 feed captures (and a few hand-made edge cases) into topics."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.forum.errors import FeedError
from bot.forum.smf_parse import parse_feed
from bot.forum.source import Topic

FIXTURES = Path(__file__).resolve().parents[3] / "shared/fixtures/smf"
NEWS_FORMATS = [
    "feed_news_smf.xml",
    "feed_news_rss2.xml",
    "feed_news_rss.xml",
    "feed_news_atom.xml",
]


def capture(name: str) -> bytes:
    """Return a captured SMF response body, or skip when the captures are not checked out."""
    path = FIXTURES / name
    if not path.is_file():
        pytest.skip(f"SMF captures not found at {FIXTURES} (shared/ must sit beside the clone)")
    return path.read_bytes()


def rss2(items: str, channel_link: str = "http://f.example/index.php") -> bytes:
    """Build a minimal SMF-shaped rss2 document around ``items``."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
        f"<title>F</title><link>{channel_link}</link>{items}</channel></rss>"
    ).encode()


def rss2_item(
    *,
    title: str = "Hello",
    link: str = "http://f.example/index.php?topic=42.0",
    category: str = "News",
    pub_date: str = "Fri, 27 Nov 2026 09:11:37 GMT",
    guid: str = "tag:f.example,2026-11-27:topic=42",
) -> str:
    """Build one rss2 <item> the way SMF writes it."""
    return (
        f"<item><title>{title}</title><link>{link}</link><description>x</description>"
        f"<category>{category}</category><pubDate>{pub_date}</pubDate>"
        f'<guid isPermaLink="false">{guid}</guid></item>'
    )


@pytest.mark.parametrize("name", NEWS_FORMATS)
def test_every_news_format_lists_the_same_topics(name: str) -> None:
    """smf, rss2, rss 0.92 and atom captures of one moment give identical topics."""
    reference = parse_feed(capture("after/feed_news_smf.xml"))
    topics = parse_feed(capture(f"after/{name}"))

    def comparable(topic: Topic) -> tuple[object, ...]:
        return (
            topic.topic_id,
            topic.subject,
            topic.link,
            topic.posted_at,
            topic.board_name,
            topic.body_html,
            topic.guid,
        )

    assert [comparable(t) for t in topics] == [comparable(t) for t in reference]
    assert [t.topic_id for t in topics] == [13, 11, 10, 9, 8]


def test_smf_format_numbers_the_boards() -> None:
    """Only type=smf carries board ids; rss2 and atom name the board without a number."""
    smf = parse_feed(capture("after/feed_news_smf.xml"))
    atom = parse_feed(capture("after/feed_news_atom.xml"))
    assert [t.board_id for t in smf] == [2, 4, 2, 2, 4]
    assert [t.board_id for t in atom] == [None] * 5


def test_authors_come_from_smf_and_atom_but_not_guest_rss2() -> None:
    """Guests get no <author> in rss2, so only smf and atom name the starter."""
    for name in ("after/feed_news_smf.xml", "after/feed_news_atom.xml"):
        authors = [t.author for t in parse_feed(capture(name))]
        assert authors[:2] == ["admin", "Al-Hikmah Travels & Tours"]
    assert {t.author for t in parse_feed(capture("after/feed_news_rss2.xml"))} == {None}


def test_rss2_author_keeps_the_name_and_never_the_email() -> None:
    """SMF's "email (Name)" author (topic 1 by a guest poster) yields just the name."""
    topics = parse_feed(capture("after/feed_news_rss2_limit50.xml"))
    welcome = next(t for t in topics if t.topic_id == 1)
    assert welcome.author == "Simple Machines"


def test_late_approved_topic_appears_below_newer_ones_with_its_original_time() -> None:
    """Topic 11, approved after the first poll, shows up second with its 09:09:23 post time."""
    before = parse_feed(capture("before/feed_news_rss2.xml"))
    after = parse_feed(capture("after/feed_news_rss2.xml"))
    assert [t.topic_id for t in before] == [10, 9, 8, 7, 6]
    assert [t.topic_id for t in after] == [13, 11, 10, 9, 8]
    late = after[1]
    assert late.topic_id == 11
    assert late.posted_at == datetime(2026, 11, 27, 9, 9, 23, tzinfo=UTC)
    assert late.guid == "tag:127.0.0.1,2026-11-27:topic=11"


def test_subjects_are_unescaped_exactly_once() -> None:
    """`&amp;`, `&quot;`, `&lt;`, emoji references and Arabic come out as the member typed them."""
    topics = parse_feed(capture("after/feed_news_rss2_limit50.xml"))
    subjects: dict[int, str] = {t.topic_id: t.subject for t in topics}
    assert subjects[6] == (
        'Question: Combining Zuhr & Asr while travelling — "jam\'" or "qasr"? <Need answers>'
    )
    assert subjects[5] == "Ramadan Preparation Checklist \U0001f319\U0001f932"
    assert subjects[4] == "Tafsir Session: Surah Al-Kahf (سورة الكهف) — Weekly Notes"
    assert subjects[11] == (
        "December Umrah Promo: 10 Nights Makkah & Madinah, Visa + Flight + 4★ Hotel from ₦3.2m"
    )


@pytest.mark.parametrize("name", NEWS_FORMATS)
def test_board_name_with_ampersand_is_decoded_once_in_every_format(name: str) -> None:
    """The element text (CDATA) and the atom attribute both give "Umrah & Hajj Travel"."""
    topics = parse_feed(capture(f"after/{name}"))
    assert topics[1].board_name == "Umrah & Hajj Travel"


def test_a_literally_typed_entity_survives_in_element_and_attribute_forms() -> None:
    """A name typed as `A &amp; B` is stored `A &amp;amp; B` and reads `A &amp; B` everywhere."""
    item = rss2_item(
        title="<![CDATA[Use &amp;amp; not &amp;]]>", category="<![CDATA[A &amp;amp; B]]>"
    )
    rss = parse_feed(rss2(item))
    atom = parse_feed(
        b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>T</title>'
        b'<link rel="alternate" href="http://f.example/index.php?topic=42.0" />'
        b'<summary type="html">x</summary><category term="A &amp;amp; B" />'
        b"<published>2026-11-27T09:11:37Z</published>"
        b"<id>tag:f.example,2026-11-27:topic=42</id></entry></feed>"
    )
    assert rss[0].subject == "Use &amp; not &"
    assert rss[0].board_name == "A &amp; B"
    assert atom[0].board_name == "A &amp; B"


def test_description_stays_rendered_html() -> None:
    """The body is SMF's HTML: tags kept, its own entities left for the HTML converter."""
    topic = parse_feed(capture("after/feed_news_rss2.xml"))[0]
    assert "<b>Key points discussed:</b>" in topic.body_html
    assert "feeding &amp; transport" in topic.body_html


@pytest.mark.parametrize("name", NEWS_FORMATS)
def test_times_are_aware_utc(name: str) -> None:
    """Every format's post time parses to the same aware UTC instant."""
    topic = parse_feed(capture(f"after/{name}"))[0]
    assert topic.posted_at == datetime(2026, 11, 27, 9, 11, 37, tzinfo=UTC)
    assert topic.posted_at.utcoffset() is not None
    assert topic.posted_at.utcoffset().total_seconds() == 0  # type: ignore[union-attr]


def test_single_board_rss2_feed_numbers_its_items() -> None:
    """A board=4 feed links its channel to ?board=4.0, so every item is on board 4."""
    topics = parse_feed(capture("after/feed_news_rss2_board4.xml"))
    assert [(t.topic_id, t.board_id) for t in topics] == [(11, 4), (8, 4)]


@pytest.mark.parametrize(
    "name",
    [
        "after/feed_recent_rss2.xml",
        "after/feed_recent_atom.xml",
        "after/feed_recent_smf.xml",
        "after/feed_default.xml",
        "extras/feed_limit1000.xml",
    ],
)
def test_recent_posts_feed_is_refused_with_advice(name: str) -> None:
    """Items of sa=recent are posts, not topics: refuse and tell the admin to use sa=news."""
    with pytest.raises(FeedError) as caught:
        parse_feed(capture(name))
    assert caught.value.kind == "unsupported_feed"
    assert "recent-posts feed" in str(caught.value)
    assert "sa=news" in str(caught.value)


def test_recent_link_without_guid_is_refused() -> None:
    """A ?topic=T.msgM link marks a post even when the guid is missing."""
    item = rss2_item(link="http://f.example/index.php?topic=8.msg21#msg21", guid="")
    with pytest.raises(FeedError, match="recent-posts"):
        parse_feed(rss2(item))


def test_rdf_feed_is_refused_because_it_has_no_ids_or_dates() -> None:
    """RDF items carry only title, link and description."""
    with pytest.raises(FeedError, match="no topic ids and no dates") as caught:
        parse_feed(capture("after/feed_news_rdf.xml"))
    assert caught.value.kind == "unsupported_feed"


@pytest.mark.parametrize("content_type", [None, "text/html; charset=UTF-8"])
def test_html_login_page_is_reported_as_such(content_type: str | None) -> None:
    """SMF answers a hidden or missing board's feed with a 200 HTML login form."""
    with pytest.raises(FeedError) as caught:
        parse_feed(capture("extras/feed_board999.response.html"), content_type=content_type)
    assert caught.value.kind == "login_page"


def test_xml_body_is_parsed_even_if_labelled_html() -> None:
    """A proxy's wrong Content-Type does not hide a real feed."""
    topics = parse_feed(capture("after/feed_news_rss2.xml"), content_type="text/html")
    assert len(topics) == 5


@pytest.mark.parametrize("body", [b"", b"  \r\n\t", b"\xef\xbb\xbf"])
def test_empty_body_means_feeds_are_disabled(body: bytes) -> None:
    """With xmlnews_enable off SMF exits before writing anything."""
    with pytest.raises(FeedError, match="xmlnews_enable") as caught:
        parse_feed(body)
    assert caught.value.kind == "empty"


def test_malformed_xml_reports_the_parser_message() -> None:
    """A cut-off document is malformed, and the parser's position is kept for the admin."""
    with pytest.raises(FeedError, match=r"not well-formed XML: .*line 1") as caught:
        parse_feed(b'<?xml version="1.0"?><rss version="2.0"><channel><item>')
    assert caught.value.kind == "malformed"


@pytest.mark.parametrize(
    "body",
    [
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">]><rss><channel>&lol2;</channel></rss>',
        b'<?xml version="1.0"?><!doctype rss SYSTEM "file:///etc/passwd"><rss/>',
    ],
    ids=["billion-laughs", "external-dtd"],
)
def test_documents_with_a_dtd_are_refused_before_parsing(body: bytes) -> None:
    """Entity declarations are never expanded: the whole document is refused."""
    with pytest.raises(FeedError, match="DTD") as caught:
        parse_feed(body)
    assert caught.value.kind == "malformed"


def test_unknown_root_element_is_unsupported() -> None:
    """Some other XML document is not mistaken for an empty feed."""
    with pytest.raises(FeedError, match="<opml>") as caught:
        parse_feed(b"<opml><body/></opml>")
    assert caught.value.kind == "unsupported_feed"


def test_channel_without_items_is_an_empty_list() -> None:
    """A forum with no topics yet is not an error."""
    assert parse_feed(rss2("")) == []


def test_queryless_topic_link_is_made_canonical() -> None:
    """Links in SMF's queryless form become the canonical index.php?topic=T.0."""
    topics = parse_feed(rss2(rss2_item(link="https://f.example/forum/index.php/topic,42.0.html")))
    assert topics[0].topic_id == 42
    assert topics[0].link == "https://f.example/forum/index.php?topic=42.0"


@pytest.mark.parametrize(
    ("item", "message"),
    [
        (rss2_item(pub_date="yesterday"), "item 1: bad pubDate"),
        (rss2_item(link="http://f.example/index.php?board=1.0"), "item 1: no topic link"),
    ],
    ids=["bad-date", "no-topic-link"],
)
def test_broken_item_is_malformed_with_its_position(item: str, message: str) -> None:
    """A damaged item is reported, naming which one, instead of being silently skipped."""
    with pytest.raises(FeedError, match=message) as caught:
        parse_feed(rss2(item))
    assert caught.value.kind == "malformed"


def test_rss2_date_with_offset_is_converted_to_utc() -> None:
    """A pubDate in another zone is normalised to UTC."""
    topics = parse_feed(rss2(rss2_item(pub_date="Fri, 27 Nov 2026 10:11:37 +0100")))
    assert topics[0].posted_at == datetime(2026, 11, 27, 9, 11, 37, tzinfo=UTC)
    assert topics[0].posted_at.tzinfo is UTC


def test_topic_is_immutable() -> None:
    """Topics are shared between handlers, so nobody may change one in place."""
    topic = parse_feed(capture("after/feed_news_smf.xml"))[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        topic.subject = "changed"  # type: ignore[misc]
