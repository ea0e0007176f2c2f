"""Read new topics from an SMF 2.1 forum through its XML news feed."""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace
from datetime import UTC, tzinfo
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from urllib.parse import unquote, urlsplit

import httpx

from bot.core.clock import Clock, SystemClock
from bot.core.errors import ConfigError
from bot.core.ids import BoardId, TopicId
from bot.forum.errors import FeedError
from bot.forum.printpage import parse_printpage, parse_printpage_topic
from bot.forum.smf_parse import RECENT_FEED_MESSAGE, parse_feed
from bot.forum.source import Topic

# No "Mozilla" in it: SMF treats such cookie-less clients as browsers and rewrites every HTML
# link to carry a PHPSESSID (README of the SMF captures), which pollutes printpage bodies.
DEFAULT_USER_AGENT = "Minbar/0.1 (SMF feed reader; +https://www.simplemachines.org)"
MAX_LIMIT = 255
"""SMF caps ``limit`` at 255 (``Sources/News.php``)."""
DEFAULT_MAX_BYTES = 5 * 1024 * 1024

_BUNDLED_NAME = re.compile(r"[A-Za-z0-9_.-]+")
_SCOPE_PARAMS = frozenset({"board", "boards", "c", "limit"})
_CANONICAL_TOPIC = re.compile(r"""<link\s+rel=["']canonical["']\s+href=["'][^"']*topic=(\d+)\.""")
_HIDDEN_STATUSES = frozenset({403, 404, 410})
"""SMF answers 403 "This topic doesn't exist on this board" for an unapproved topic."""


class SmfFeedSource:
    """A ``ForumSource`` over SMF's ``index.php?action=.xml;sa=news`` feed (any type but rdf).

    ``feed_url`` is an http(s) feed URL, ``file:///abs/path`` or ``bundled:<name>`` (a file of
    ``bot/sample_data``). With ``limit_param`` the http URL's ``limit=`` is set on every fetch.
    The client is closed by :meth:`aclose` only when this source created it. ``forum_tz`` is
    the zone SMF writes guest-facing times in (print pages); ``clock`` dates a looked-up topic
    whose time cannot be read.
    """

    def __init__(
        self,
        feed_url: str,
        *,
        limit_param: bool = True,
        timeout: float = 10.0,
        user_agent: str = DEFAULT_USER_AGENT,
        client: httpx.AsyncClient | None = None,
        max_bytes: int = DEFAULT_MAX_BYTES,
        forum_tz: tzinfo | None = None,
        clock: Clock | None = None,
    ) -> None:
        self._url = feed_url.strip()
        self._scheme = _check_feed_url(self._url)
        self._limit_param = limit_param
        self._timeout = timeout
        self._headers = {"User-Agent": user_agent, "Accept": "application/xml, text/xml, */*"}
        self._max_bytes = max_bytes
        self._forum_tz = forum_tz or UTC
        self._clock = clock or SystemClock()
        self._owns_client = client is None and self._scheme in ("http", "https")
        self._client = client
        if self._owns_client:
            self._client = httpx.AsyncClient(timeout=timeout, follow_redirects=True)

    @property
    def feed_url(self) -> str:
        """Return the configured feed URL."""
        return self._url

    async def fetch_topics(self, limit: int) -> list[Topic]:
        """Fetch the feed and return up to ``limit`` topics, newest first."""
        if limit < 1:
            raise ValueError(f"limit must be at least 1, not {limit}")
        if self._scheme == "bundled":
            body, content_type = _read_bundled(self._url), None
        elif self._scheme == "file":
            body, content_type = await self._read_file(), None
        else:
            url = with_limit(self._url, limit) if self._limit_param else self._url
            body, content_type = await self._get(url)
        return parse_feed(body, content_type=content_type)[:limit]

    async def fetch_board_topics(self, board_id: BoardId, limit: int) -> list[Topic]:
        """Fetch one board's news feed (SMF's ``;board=N``) and return up to ``limit`` topics."""
        if limit < 1:
            raise ValueError(f"limit must be at least 1, not {limit}")
        if self._scheme not in ("http", "https"):
            # A saved feed is one window already: its board's topics are that board's feed.
            topics = await self.fetch_topics(MAX_LIMIT)
            return [t for t in topics if t.board_id == board_id][:limit]
        body, content_type = await self._get(with_limit(board_feed_url(self._url, board_id), limit))
        # The board feed's channel link numbers the board even in rss2 and atom.
        return [
            t if t.board_id is not None else replace(t, board_id=board_id)
            for t in parse_feed(body, content_type=content_type)[:limit]
        ]

    async def fetch_topic(self, topic_id: TopicId) -> Topic | None:
        """Return a topic a guest can read now, from its print page; None if hidden or missing.

        The print page names the board but does not number it, so ``board_id`` is None.
        """
        if self._scheme not in ("http", "https"):
            listed = await self.fetch_topics(MAX_LIMIT)
            return next((t for t in listed if t.topic_id == topic_id), None)
        try:
            body, _ = await self._get(printpage_url(self._url, topic_id))
            page = body.decode("utf-8", errors="replace")
            printed = parse_printpage_topic(page, forum_tz=self._forum_tz)
        except FeedError as exc:
            if exc.kind == "login_page" or exc.status_code in _HIDDEN_STATUSES:
                return None
            raise
        canonical = _CANONICAL_TOPIC.search(page)
        if canonical is not None and int(canonical.group(1)) != topic_id:
            raise FeedError("malformed", f"asked for topic {topic_id}, got {canonical.group(1)}")
        return Topic(
            topic_id=topic_id,
            board_id=None,
            board_name=printed.board_name,
            subject=printed.subject,
            link=topic_url(self._url, topic_id),
            posted_at=printed.posted_at or self._clock.now(),
            author=printed.author,
            body_html=printed.body_html,
        )

    async def fetch_full_body(self, topic_id: TopicId) -> str:
        """Return the full HTML body of the topic's first post (SMF's print page)."""
        if self._scheme not in ("http", "https"):
            raise FeedError("unsupported_feed", f"no print page for a {self._scheme}: feed")
        body, _ = await self._get(printpage_url(self._url, topic_id))
        return parse_printpage(body.decode("utf-8", errors="replace"))

    async def aclose(self) -> None:
        """Close the HTTP client if this source created it."""
        if self._owns_client and self._client is not None:
            await self._client.aclose()

    async def _get(self, url: str) -> tuple[bytes, str | None]:
        client = self._client
        if client is None:
            raise RuntimeError("an http(s) SmfFeedSource always has a client")
        try:
            async with client.stream(
                "GET", url, headers=self._headers, timeout=self._timeout, follow_redirects=True
            ) as response:
                if not response.is_success:
                    raise FeedError(
                        "http_status",
                        f"the forum answered HTTP {response.status_code}",
                        status_code=response.status_code,
                    )
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > self._max_bytes:
                    raise self._too_large()
                chunks: list[bytes] = []
                size = 0
                # Decoded chunks are counted, so a small gzip bomb is stopped as well.
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > self._max_bytes:
                        raise self._too_large()
                    chunks.append(chunk)
                return b"".join(chunks), response.headers.get("content-type")
        except httpx.TimeoutException as exc:
            raise FeedError("timeout", f"no answer within {self._timeout:g}s") from exc
        except httpx.HTTPError as exc:
            raise FeedError("connection", f"{type(exc).__name__}: {exc}") from exc

    async def _read_file(self) -> bytes:
        path = Path(unquote(urlsplit(self._url).path))
        try:
            size = (await asyncio.to_thread(path.stat)).st_size
            if size > self._max_bytes:
                raise self._too_large()
            return await asyncio.to_thread(path.read_bytes)
        except OSError as exc:
            raise FeedError("unreadable", f"cannot read {path}: {exc.strerror}") from exc

    def _too_large(self) -> FeedError:
        return FeedError("too_large", f"the feed is larger than {self._max_bytes} bytes")


def with_limit(url: str, limit: int) -> str:
    """Return ``url`` with its ``limit=`` query parameter set (or replaced), capped at 255."""
    value = max(1, min(limit, MAX_LIMIT))
    head, hash_mark, fragment = url.partition("#")
    base, _, query = head.partition("?")
    # SMF reads both ';' and '&' as separators; keep whichever the admin wrote.
    separator = "&" if "&" in query and ";" not in query else ";"
    params = [p for p in re.split(r"[;&]", query) if p and p.split("=", 1)[0] != "limit"]
    params.append(f"limit={value}")
    return f"{base}?{separator.join(params)}{hash_mark}{fragment}"


def board_feed_url(feed_url: str, board_id: BoardId) -> str:
    """Return ``feed_url`` narrowed to one board (any board, boards or category scope replaced)."""
    head = feed_url.split("#", 1)[0]
    base, _, query = head.partition("?")
    separator = "&" if "&" in query and ";" not in query else ";"
    params = [p for p in re.split(r"[;&]", query) if p and p.split("=", 1)[0] not in _SCOPE_PARAMS]
    params.append(f"board={int(board_id)}")
    return f"{base}?{separator.join(params)}"


def topic_url(feed_url: str, topic_id: TopicId) -> str:
    """Return the canonical ``…/index.php?topic=T.0`` link, as the feeds write it."""
    return f"{feed_url.split('#', 1)[0].split('?', 1)[0]}?topic={int(topic_id)}.0"


def printpage_url(feed_url: str, topic_id: TopicId) -> str:
    """Return the print-page URL of a topic on the forum that serves ``feed_url``."""
    script = feed_url.split("#", 1)[0].split("?", 1)[0]
    return f"{script}?action=printpage;topic={int(topic_id)}.0"


def _check_feed_url(url: str) -> str:
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    if scheme == "bundled":
        name = url.split(":", 1)[1]
        if not _BUNDLED_NAME.fullmatch(name) or not _bundled(name).is_file():
            raise ConfigError(f"forum.feed_url: no bundled sample feed called {name!r}")
        return scheme
    if scheme == "file":
        if not urlsplit(url).path.startswith("/"):
            raise ConfigError("forum.feed_url: a file: URL needs an absolute path (file:///…)")
        return scheme
    if scheme not in ("http", "https") or not urlsplit(url).hostname:
        raise ConfigError(
            f"forum.feed_url: expected http(s)://…/index.php?action=.xml;sa=news, "
            f"file:///… or bundled:<name>, got {url!r}"
        )
    params = dict(p.split("=", 1) for p in re.split(r"[;&]", urlsplit(url).query) if "=" in p)
    # SMF's default sub-action is "recent" (one item per post): refuse it before the first poll.
    if params.get("action") == ".xml" and params.get("sa") != "news":
        raise ConfigError(f"forum.feed_url: {RECENT_FEED_MESSAGE} (add ;sa=news)")
    return scheme


def _bundled(name: str) -> Traversable:
    return resources.files("bot").joinpath("sample_data", name)


def _read_bundled(url: str) -> bytes:
    return _bundled(url.split(":", 1)[1]).read_bytes()
