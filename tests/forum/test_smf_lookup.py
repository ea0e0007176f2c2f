"""SmfFeedSource's late-approval capabilities: board feeds and topic look-ups by print page.

Run against the in-process fake SMF forum, and the print-page parser against a real capture.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest

from bot.core.ids import BoardId, TopicId
from bot.forum.errors import FeedError
from bot.forum.printpage import parse_forum_time, parse_printpage_topic
from bot.forum.smf import SmfFeedSource, board_feed_url
from bot.forum.source import SupportsBoardFeeds, SupportsTopicLookup
from tests.fakes.smf_forum import FakeSmfForum

FIXTURES = Path(__file__).resolve().parents[3] / "shared/fixtures/smf"


@pytest.fixture
def forum() -> FakeSmfForum:
    """A forum with topics in two boards, one held for approval, and a hidden board."""
    fake = FakeSmfForum(boards={1: "General", 2: "News", 4: "Umrah & Hajj", 9: "Staff"})
    fake.hidden_boards.add(9)
    fake.post(2, "Hajj & Umrah <update>", author="Al-Hikmah Travels & Tours", body="Line one\nit's")
    fake.post(4, "Held promo", approved=False)
    fake.post(9, "Staff only")
    fake.post_many(1, 3)
    return fake


@pytest.fixture
async def source(forum: FakeSmfForum) -> AsyncIterator[SmfFeedSource]:
    """The real source on the fake forum, reading type=rss2 (which numbers no board)."""
    async with forum.client() as client:
        yield SmfFeedSource(forum.feed_url("rss2"), client=client)


def test_the_source_declares_both_capabilities(source: SmfFeedSource) -> None:
    """Handlers find the late-approval capabilities by Protocol, not by naming SMF."""
    assert isinstance(source, SupportsBoardFeeds)
    assert isinstance(source, SupportsTopicLookup)


@pytest.mark.parametrize(
    ("feed", "expected"),
    [
        pytest.param(
            "https://f.example/index.php?action=.xml;sa=news;type=smf;limit=50",
            "https://f.example/index.php?action=.xml;sa=news;type=smf;board=4",
            id="semicolons",
        ),
        pytest.param(
            "https://f.example/index.php?action=.xml&sa=news&boards=2,3&c=1",
            "https://f.example/index.php?action=.xml&sa=news&board=4",
            id="ampersands-and-scopes",
        ),
    ],
)
def test_a_board_feed_url_replaces_any_scope(feed: str, expected: str) -> None:
    """The board feed keeps the admin's type and separators and drops other scopes and limits."""
    assert board_feed_url(feed, BoardId(4)) == expected


async def test_a_board_feed_numbers_its_topics_even_in_rss2(
    source: SmfFeedSource, forum: FakeSmfForum
) -> None:
    """rss2 items carry no board id, but a board feed's topics all belong to that board."""
    topics = await source.fetch_board_topics(BoardId(1), 255)
    assert [(t.topic_id, t.board_id) for t in topics] == [(6, 1), (5, 1), (4, 1)]
    assert forum.requests[-1].endswith(";board=1;limit=255")
    assert await source.fetch_board_topics(BoardId(4), 255) == []  # only the held topic


async def test_a_hidden_board_feed_is_a_login_page(source: SmfFeedSource) -> None:
    """SMF answers a guest's feed of a hidden board with its HTML login form."""
    with pytest.raises(FeedError) as caught:
        await source.fetch_board_topics(BoardId(9), 255)
    assert caught.value.kind == "login_page"


async def test_a_looked_up_topic_is_ready_to_relay(source: SmfFeedSource) -> None:
    """The print page gives title, author, board name, date, link and the full body."""
    topic = await source.fetch_topic(TopicId(1))
    assert topic is not None
    assert topic.subject == "Hajj & Umrah <update>"
    assert topic.author == "Al-Hikmah Travels & Tours"
    assert (topic.board_id, topic.board_name) == (None, "News")
    assert topic.link == "http://forum.test/index.php?topic=1.0"
    assert topic.posted_at == datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    assert topic.body_html == "Line one<br>it&#39;s"


@pytest.mark.parametrize(
    "topic_id",
    [
        pytest.param(2, id="unapproved-403"),
        pytest.param(3, id="hidden-board"),
        pytest.param(99, id="missing"),
    ],
)
async def test_a_topic_a_guest_cannot_read_is_none(source: SmfFeedSource, topic_id: int) -> None:
    """Unapproved (HTTP 403), hidden or missing (login page) all mean "not visible now"."""
    assert await source.fetch_topic(TopicId(topic_id)) is None


async def test_an_approved_topic_becomes_visible(
    source: SmfFeedSource, forum: FakeSmfForum
) -> None:
    """Approval makes the print page answer, with the topic's original time."""
    forum.now = lambda: datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    forum.approve(2)
    topic = await source.fetch_topic(TopicId(2))
    assert topic is not None
    assert (topic.subject, topic.board_name) == ("Held promo", "Umrah & Hajj")
    assert topic.posted_at == datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


async def test_a_server_error_is_raised_not_read_as_hidden() -> None:
    """A 5xx must not count as "not visible": the gap is looked up again next poll."""
    client = httpx.AsyncClient(transport=httpx.MockTransport(lambda _: httpx.Response(503)))
    async with client:
        source = SmfFeedSource("http://forum.test/index.php?action=.xml;sa=news", client=client)
        with pytest.raises(FeedError) as caught:
            await source.fetch_topic(TopicId(5))
    assert caught.value.status_code == 503


async def test_a_bundled_feed_answers_from_its_file() -> None:
    """The demo feed needs no network: its board feed and look-up read the same file."""
    source = SmfFeedSource("bundled:feed_news_smf.xml")
    board = await source.fetch_board_topics(BoardId(4), 255)
    assert board
    assert {t.board_id for t in board} == {4}
    assert await source.fetch_topic(board[0].topic_id) == board[0]
    assert await source.fetch_topic(TopicId(999_999)) is None


def test_the_real_print_page_reads_completely() -> None:
    """The captured SMF 2.1.4 print page of topic 9 gives every field a relay needs."""
    path = FIXTURES / "extras/printpage_topic_9.html"
    if not path.is_file():
        pytest.skip(f"SMF captures not found at {FIXTURES}")
    printed = parse_printpage_topic(path.read_text("utf-8"))
    assert printed.subject.startswith("Full Text: Jumu'ah Khutbah on Sabr")
    assert (printed.author, printed.board_name) == ("admin", "General News")
    assert printed.posted_at == datetime(2026, 11, 25, 9, 8, tzinfo=UTC)
    assert len(printed.body_html) > 17_000


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "Nov 25, 2026, 09:08 PM", datetime(2026, 11, 25, 20, 8, tzinfo=UTC), id="smf-default"
        ),
        pytest.param(
            "November 25, 2026, 09:08:30 AM",
            datetime(2026, 11, 25, 8, 8, 30, tzinfo=UTC),
            id="long",
        ),
        pytest.param("Today at 09:08 AM", None, id="unreadable"),
    ],
)
def test_forum_times_are_read_in_the_forum_zone(text: str, expected: datetime | None) -> None:
    """Times are read in the forum's zone (UTC+1 here) and returned as UTC; odd ones give None."""
    assert parse_forum_time(text, timezone(timedelta(hours=1))) == expected
