"""SmfFeedSource against a respx-faked forum serving the real SMF captures."""

from __future__ import annotations

import gzip
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import respx

from bot.core.errors import ConfigError
from bot.core.ids import TopicId
from bot.forum.errors import FeedError
from bot.forum.smf import SmfFeedSource, printpage_url, with_limit
from bot.forum.source import ForumSource

FIXTURES = Path(__file__).resolve().parents[3] / "shared/fixtures/smf"
FEED_URL = "https://forum.example/index.php?action=.xml;sa=news;type=smf"
XML = {"content-type": "text/xml; charset=UTF-8"}


def capture(name: str) -> bytes:
    """Return a captured SMF response body, or skip when the captures are not checked out."""
    path = FIXTURES / name
    if not path.is_file():
        pytest.skip(f"SMF captures not found at {FIXTURES} (shared/ must sit beside the clone)")
    return path.read_bytes()


async def test_fetch_sets_limit_and_returns_topics_newest_first(
    respx_mock: respx.MockRouter,
) -> None:
    """The limit goes into SMF's ;-separated query and the answer is cut to it as well."""
    route = respx_mock.get(url__startswith="https://forum.example/index.php").respond(
        200, headers=XML, content=capture("after/feed_news_smf.xml")
    )
    source = SmfFeedSource(FEED_URL)
    try:
        topics = await source.fetch_topics(3)
    finally:
        await source.aclose()
    assert [t.topic_id for t in topics] == [13, 11, 10]
    assert str(route.calls.last.request.url) == FEED_URL + ";limit=3"


async def test_gzip_body_as_smf_sends_it_is_decoded(respx_mock: respx.MockRouter) -> None:
    """SMF compresses feeds by default; the captured body arrives gzip-encoded."""
    body = gzip.compress(capture("after/feed_news_rss2.xml"))
    respx_mock.get(url__startswith="https://forum.example/").respond(
        200,
        headers={"content-type": "application/rss+xml; charset=UTF-8", "content-encoding": "gzip"},
        content=body,
    )
    async with httpx.AsyncClient() as client:
        topics = await SmfFeedSource(FEED_URL, client=client).fetch_topics(5)
    assert [t.topic_id for t in topics] == [13, 11, 10, 9, 8]


async def test_user_agent_does_not_look_like_a_browser(respx_mock: respx.MockRouter) -> None:
    """A "Mozilla" agent without cookies makes SMF stuff PHPSESSID into every HTML link."""
    route = respx_mock.get(url__startswith="https://forum.example/").respond(
        200, headers=XML, content=capture("after/feed_news_smf.xml")
    )
    async with httpx.AsyncClient() as client:
        await SmfFeedSource(FEED_URL, client=client).fetch_topics(5)
    agent = route.calls.last.request.headers["user-agent"]
    assert agent.startswith("Minbar/")
    assert "mozilla" not in agent.lower()


async def test_limit_param_off_leaves_the_url_alone(respx_mock: respx.MockRouter) -> None:
    """Some front ends reject unknown parameters; then the feed's own default is used."""
    route = respx_mock.get(url__startswith="https://forum.example/").respond(
        200, headers=XML, content=capture("after/feed_news_smf.xml")
    )
    async with httpx.AsyncClient() as client:
        topics = await SmfFeedSource(FEED_URL, client=client, limit_param=False).fetch_topics(2)
    assert str(route.calls.last.request.url) == FEED_URL
    assert [t.topic_id for t in topics] == [13, 11]


@pytest.mark.parametrize(
    ("query", "limit", "expected"),
    [
        ("?action=.xml;sa=news", 20, "?action=.xml;sa=news;limit=20"),
        ("?action=.xml;limit=5;sa=news", 50, "?action=.xml;sa=news;limit=50"),
        ("?action=.xml&sa=news&limit=5", 9, "?action=.xml&sa=news&limit=9"),
        ("?action=.xml;sa=news", 1000, "?action=.xml;sa=news;limit=255"),
        ("", 0, "?limit=1"),
    ],
    ids=["add", "replace", "ampersands", "cap-255", "floor-1"],
)
def test_with_limit(query: str, limit: int, expected: str) -> None:
    """limit= is added or replaced, kept within SMF's 1..255, in the admin's separator style."""
    script = "https://f.example/index.php"
    assert with_limit(script + query, limit) == script + expected


@pytest.mark.parametrize(
    ("status", "retryable"), [(500, True), (503, True), (429, True), (404, False), (403, False)]
)
async def test_non_2xx_is_http_status_error(
    respx_mock: respx.MockRouter, status: int, retryable: bool
) -> None:
    """The status code is kept, and only server-side trouble is worth retrying soon."""
    respx_mock.get(url__startswith="https://forum.example/").respond(status, text="oops")
    async with httpx.AsyncClient() as client:
        with pytest.raises(FeedError) as caught:
            await SmfFeedSource(FEED_URL, client=client).fetch_topics(5)
    assert caught.value.kind == "http_status"
    assert caught.value.status_code == status
    assert caught.value.retryable is retryable


@pytest.mark.parametrize(
    ("fault", "kind"),
    [(httpx.ReadTimeout("slow"), "timeout"), (httpx.ConnectError("refused"), "connection")],
    ids=["timeout", "connection"],
)
async def test_transport_faults_become_feed_errors(
    respx_mock: respx.MockRouter, fault: Exception, kind: str
) -> None:
    """Timeouts and refused connections are neutral, retryable feed errors."""
    respx_mock.get(url__startswith="https://forum.example/").mock(side_effect=fault)
    async with httpx.AsyncClient() as client:
        with pytest.raises(FeedError) as caught:
            await SmfFeedSource(FEED_URL, client=client).fetch_topics(5)
    assert caught.value.kind == kind
    assert caught.value.retryable


async def test_login_page_answer_is_login_page(respx_mock: respx.MockRouter) -> None:
    """The captured 200 text/html answer for board=999 is recognised."""
    respx_mock.get(url__startswith="https://forum.example/").respond(
        200,
        headers={"content-type": "text/html; charset=UTF-8"},
        content=capture("extras/feed_board999.response.html"),
    )
    async with httpx.AsyncClient() as client:
        with pytest.raises(FeedError) as caught:
            await SmfFeedSource(FEED_URL, client=client).fetch_topics(5)
    assert caught.value.kind == "login_page"


async def test_empty_answer_is_empty(respx_mock: respx.MockRouter) -> None:
    """Feeds switched off give 200 with nothing in it."""
    respx_mock.get(url__startswith="https://forum.example/").respond(200, content=b"")
    async with httpx.AsyncClient() as client:
        with pytest.raises(FeedError) as caught:
            await SmfFeedSource(FEED_URL, client=client).fetch_topics(5)
    assert caught.value.kind == "empty"


async def test_declared_huge_body_is_refused(respx_mock: respx.MockRouter) -> None:
    """A Content-Length above the cap is refused before reading."""
    respx_mock.get(url__startswith="https://forum.example/").respond(
        200, headers=XML, content=capture("after/feed_news_smf.xml")
    )
    async with httpx.AsyncClient() as client:
        with pytest.raises(FeedError) as caught:
            await SmfFeedSource(FEED_URL, client=client, max_bytes=1000).fetch_topics(5)
    assert caught.value.kind == "too_large"


async def test_streamed_huge_body_is_cut_off(respx_mock: respx.MockRouter) -> None:
    """Without a Content-Length the cap is enforced while reading."""

    async def endless() -> AsyncIterator[bytes]:
        yield b'<?xml version="1.0"?><rss version="2.0"><channel>'
        for _ in range(100):
            yield b"<!-- padding -->" * 64

    respx_mock.get(url__startswith="https://forum.example/").mock(
        return_value=httpx.Response(200, headers=XML, content=endless())
    )
    async with httpx.AsyncClient() as client:
        with pytest.raises(FeedError) as caught:
            await SmfFeedSource(FEED_URL, client=client, max_bytes=10_000).fetch_topics(5)
    assert caught.value.kind == "too_large"


async def test_bundled_sample_feed_needs_no_network() -> None:
    """bundled:<name> reads the copy shipped in bot/sample_data."""
    source = SmfFeedSource("bundled:feed_news_smf.xml")
    topics = await source.fetch_topics(2)
    await source.aclose()
    assert [(t.topic_id, t.board_id) for t in topics] == [(13, 2), (11, 4)]


async def test_file_url_reads_a_local_feed(tmp_path: Path) -> None:
    """file:///abs/path is read from disk; a missing file is unreadable, not a crash."""
    path = tmp_path / "feed.xml"
    path.write_bytes(capture("before/feed_news_rss2.xml"))
    topics = await SmfFeedSource(path.as_uri()).fetch_topics(10)
    assert [t.topic_id for t in topics] == [10, 9, 8, 7, 6]
    with pytest.raises(FeedError) as caught:
        await SmfFeedSource((tmp_path / "gone.xml").as_uri()).fetch_topics(10)
    assert caught.value.kind == "unreadable"


@pytest.mark.parametrize(
    "url",
    [
        "https://f.example/index.php?action=.xml;sa=recent;type=rss2",
        "https://f.example/index.php?action=.xml;type=rss2",
        "ftp://f.example/feed.xml",
        "forum.example/index.php",
        "file:relative/feed.xml",
        "bundled:no_such_feed.xml",
        "bundled:../core/ids.py",
    ],
    ids=["recent", "default-sa-recent", "ftp", "no-scheme", "relative-file", "unknown", "escape"],
)
def test_bad_feed_urls_are_config_errors(url: str) -> None:
    """Wrong URLs fail at start-up with a message naming the key, not at the first poll."""
    with pytest.raises(ConfigError, match=r"forum\.feed_url"):
        SmfFeedSource(url)


async def test_zero_limit_is_a_programming_error() -> None:
    """Asking for no topics at all is a caller bug."""
    with pytest.raises(ValueError, match="at least 1"):
        await SmfFeedSource("bundled:feed_news_smf.xml").fetch_topics(0)


async def test_aclose_closes_only_its_own_client() -> None:
    """An injected client belongs to the caller and stays open."""
    async with httpx.AsyncClient() as client:
        injected = SmfFeedSource(FEED_URL, client=client)
        await injected.aclose()
        assert not client.is_closed
    owned = SmfFeedSource(FEED_URL)
    await owned.aclose()
    assert owned._client is not None
    assert owned._client.is_closed


def test_is_a_forum_source() -> None:
    """SmfFeedSource satisfies the ForumSource port the handlers depend on."""
    assert isinstance(SmfFeedSource("bundled:feed_news_smf.xml"), ForumSource)


def test_printpage_url_is_built_from_the_feed_url() -> None:
    """The print page lives on the same index.php as the feed."""
    url = printpage_url(FEED_URL + ";limit=5#x", TopicId(9))
    assert url == "https://forum.example/index.php?action=printpage;topic=9.0"


async def test_fetch_full_body_reads_the_print_page(respx_mock: respx.MockRouter) -> None:
    """The full 17k-character khutbah comes from action=printpage, not the 255-char teaser."""
    respx_mock.get("https://forum.example/index.php?action=printpage;topic=9.0").respond(
        200,
        headers={"content-type": "text/html; charset=UTF-8"},
        content=capture("extras/printpage_topic_9.html"),
    )
    async with httpx.AsyncClient() as client:
        body = await SmfFeedSource(FEED_URL, client=client).fetch_full_body(TopicId(9))
    assert body.startswith("<b>Full text of this Friday&#39;s khutbah")
    assert "<b>Part 10</b>" in body
    assert body.endswith("Audio recording will be shared next week in shaa Allah.</i>")


async def test_full_body_needs_a_forum() -> None:
    """A bundled sample has no print page to fetch."""
    with pytest.raises(FeedError) as caught:
        await SmfFeedSource("bundled:feed_news_smf.xml").fetch_full_body(TopicId(9))
    assert caught.value.kind == "unsupported_feed"
