"""An in-process SMF 2.1 forum, served through ``httpx.MockTransport``, as a guest sees it.

It answers the two URLs Minbar reads, the way the captures in ``shared/fixtures/smf`` show a
real SMF 2.1.4 answering a guest:

- ``index.php?action=.xml;sa=news`` (``type=smf`` or ``rss2``, the default for any other type):
  approved topics of boards guests can see, ordered by first-message id, newest first;
  ``limit`` defaults to 5, values below 1 give 5 and larger ones are capped at 255; there is
  no paging. ``board=N`` narrows to one board; a missing or hidden board gives the HTML login
  page ("missing or off limits") with HTTP 200, not XML.
- ``index.php?action=printpage;topic=N.0``: the minimal print page of an approved topic with
  its full first post; HTTP 403 and "This topic doesn't exist on this board." for an
  unapproved one; the login page (200) for a missing topic or one in a hidden board.

Text is written as SMF writes it: subjects, names and bodies HTML-escaped, wrapped in CDATA
only when they contain ``<``, ``>`` or ``&``; feed bodies cut to 255 characters plus "...".
Topic and message ids come from two forum-wide counters, as in SMF, so ids are shared by
every board. Anything else is answered with HTTP 500 and the test fails loudly.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime

import httpx

BASE = "http://forum.test/index.php"
FORUM = "Attaqwaa Forum"
MAX_LIMIT = 255
FEED_MAXLEN = 255
"""SMF's ``xmlnews_maxlen`` default: feed bodies are cut to this many characters."""

LOGIN_PAGE = f"""<!DOCTYPE html>
<html lang="en-US">
<head><meta charset="UTF-8"><title>Log in</title></head>
<body id="chrome" class="action_login">
<div id="content_section"><div id="main_content_section">
<div class="roundframe"><div class="noticebox">Warning! The topic or board you are looking for
appears to be either missing or off limits to you.</div>
<p class="centertext">Please login below or <a href="{BASE}?action=signup">sign up for an
account</a> with {FORUM}</p>
<form action="{BASE}?action=login2" name="frmLogin" method="post">
<input type="text" name="user" size="20"><input type="password" name="passwrd" size="20">
</form></div></div></div>
</body></html>
"""
TOPIC_GONE_PAGE = """<!DOCTYPE html>
<html lang="en-US">
<head><meta charset="UTF-8"><title>An error has occurred</title></head>
<body id="chrome" class="action_messageindex">
<div id="fatal_error"><div class="cat_bar"><h3 class="catbg">An error has occurred</h3></div>
<div class="windowbg"><div class="padding">This topic doesn't exist on this board.</div></div>
</div>
</body></html>
"""


@dataclass
class ForumTopic:
    """One topic of the fake forum, with what SMF stores about its first post."""

    topic_id: int
    first_msg: int
    board_id: int
    subject: str
    author: str
    author_id: int
    body: str
    """The post as typed (plain text; newlines become ``<br>``)."""
    posted_at: datetime
    approved: bool


@dataclass
class FakeSmfForum:
    """The forum: boards, topics, and every request a guest made."""

    boards: dict[int, str] = field(
        default_factory=lambda: {1: "General Discussion", 2: "General News", 4: "Umrah & Hajj"}
    )
    hidden_boards: set[int] = field(default_factory=set)
    """Boards guests may not see (their topics are in no guest feed and no print page)."""
    now: Callable[[], datetime] = field(default=lambda: datetime(2026, 11, 27, 9, 0, tzinfo=UTC))
    topics: dict[int, ForumTopic] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    printpages: Counter[int] = field(default_factory=Counter)
    """Print-page requests per topic id."""
    _next_topic: int = 1
    _next_msg: int = 1

    # --- what forum members and moderators do -------------------------------------------

    def post(
        self,
        board_id: int,
        subject: str | None = None,
        *,
        author: str = "Musa Ibrahim",
        body: str = "Assalamu alaikum, details inside.",
        approved: bool = True,
    ) -> int:
        """Start a topic (unapproved when ``approved`` is False, as in a moderated board)."""
        assert board_id in self.boards, f"no board {board_id}"
        topic_id, self._next_topic = self._next_topic, self._next_topic + 1
        msg_id, self._next_msg = self._next_msg, self._next_msg + 1
        self.topics[topic_id] = ForumTopic(
            topic_id=topic_id,
            first_msg=msg_id,
            board_id=board_id,
            subject=subject or f"Topic {topic_id}",
            author=author,
            author_id=3,
            body=body,
            posted_at=self.now().replace(microsecond=0),
            approved=approved,
        )
        return topic_id

    def post_many(self, board_id: int, count: int) -> list[int]:
        """Start ``count`` approved topics in one board."""
        return [self.post(board_id) for _ in range(count)]

    def reply(self, topic_id: int) -> None:
        """Add a reply: it uses a message id, which is why topic and message ids drift apart."""
        assert topic_id in self.topics
        self._next_msg += 1

    def approve(self, topic_id: int) -> None:
        """Approve a topic: it keeps its ids and post time, and becomes visible."""
        self.topics[topic_id].approved = True

    def delete(self, topic_id: int) -> None:
        """Remove a topic for good; its id is never reused."""
        del self.topics[topic_id]

    # --- HTTP ----------------------------------------------------------------------------

    def feed_url(self, type_: str = "smf") -> str:
        """Return the news-feed URL an admin would configure."""
        return f"{BASE}?action=.xml;sa=news;type={type_}"

    def client(self) -> httpx.AsyncClient:
        """Return an HTTP client whose every request is answered by this forum."""
        return httpx.AsyncClient(transport=httpx.MockTransport(self.handle))

    def handle(self, request: httpx.Request) -> httpx.Response:
        """Answer one request as SMF 2.1 would answer a guest."""
        self.requests.append(str(request.url))
        url = str(request.url)
        if request.method != "GET" or not url.startswith(BASE):
            return _unplanned(request)
        params = _params(request.url.query.decode())
        if params.get("action") == ".xml":
            return self._feed(params, request)
        if params.get("action") == "printpage":
            return self._printpage(params, request)
        return _unplanned(request)

    def _visible(self, topic: ForumTopic) -> bool:
        return topic.approved and topic.board_id not in self.hidden_boards

    def _feed(self, params: dict[str, str], request: httpx.Request) -> httpx.Response:
        if params.get("sa") != "news" or {"boards", "c"} & set(params):
            return _unplanned(request)
        limit = _int(params.get("limit"), 5)
        limit = 5 if limit < 1 else min(limit, MAX_LIMIT)
        board = _int(params.get("board"), 0) if "board" in params else None
        if board is not None and (board not in self.boards or board in self.hidden_boards):
            return _html(LOGIN_PAGE)
        listed = [
            t
            for t in self.topics.values()
            if self._visible(t) and (board is None or t.board_id == board)
        ]
        listed.sort(key=lambda t: t.first_msg, reverse=True)
        listed = listed[:limit]
        if params.get("type") == "smf":
            return _xml(self._smf_feed(listed), "text/xml; charset=UTF-8")
        return _xml(self._rss2_feed(listed, board), "application/rss+xml; charset=UTF-8")

    def _smf_feed(self, topics: list[ForumTopic]) -> str:
        now = self.now()
        items = "".join(
            f"""
\t<article label="News">
\t\t<time label="Date" UTC="{t.posted_at:%Y-%m-%d %H:%M:%S}">{_local(t.posted_at)}</time>
\t\t<id>{t.topic_id}</id>
\t\t<subject label="Subject">{_cdata(_escape(t.subject))}</subject>
\t\t<body label="Message">{_cdata(_teaser(t.body))}</body>
\t\t<poster label="Author">
\t\t\t<name label="Name">{_cdata(_escape(t.author))}</name>
\t\t\t<id>{t.author_id}</id>
\t\t\t<link label="URL">{BASE}?action=profile;u={t.author_id}</link>
\t\t</poster>
\t\t<topic label="Topic">{t.topic_id}</topic>
\t\t<board label="Board">
\t\t\t<name label="Name">{_cdata(_escape(self.boards[t.board_id]))}</name>
\t\t\t<id>{t.board_id}</id>
\t\t\t<link label="URL">{BASE}?board={t.board_id}.0</link>
\t\t</board>
\t\t<link label="URL">{BASE}?topic={t.topic_id}.0</link>
\t\t<attachments label="Attachments" />
\t</article>"""
            for t in topics
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<smf:xml-feed xml:lang="en-US" xmlns:smf="http://www.simplemachines.org/xml/news" '
            f'version="2.1.4" forum-name="{FORUM}" forum-url="{BASE}" '
            f'description="Live information from {FORUM}" source="{BASE}" '
            f'generated-date-localized="{_local(now)}" '
            f'generated-date-UTC="{now:%Y-%m-%d %H:%M:%S}">{items}\n</smf:xml-feed>'
        )

    def _rss2_feed(self, topics: list[ForumTopic], board: int | None) -> str:
        title = FORUM if board is None else f"{_escape(self.boards[board])} - {FORUM}"
        link = BASE if board is None else f"{BASE}?board={board}.0"
        items = "".join(
            f"""
\t\t<item>
\t\t\t<title>{_cdata(_escape(t.subject))}</title>
\t\t\t<link>{BASE}?topic={t.topic_id}.0</link>
\t\t\t<description>{_cdata(_teaser(t.body))}</description>
\t\t\t<comments>{BASE}?action=post;topic={t.topic_id}.0</comments>
\t\t\t<category>{_cdata(_escape(self.boards[t.board_id]))}</category>
\t\t\t<pubDate>{format_datetime(t.posted_at, usegmt=True)}</pubDate>
\t\t\t<guid isPermaLink="false">tag:forum.test,{t.posted_at:%Y-%m-%d}:topic={t.topic_id}</guid>
\t\t</item>"""
            for t in topics
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<rss version="2.0" xml:lang="en-US" xmlns:atom="http://www.w3.org/2005/Atom">\n'
            f"\t<channel>\n\t\t<title>{_cdata(title)}</title>\n\t\t<link>{link}</link>\n"
            f"\t\t<description>Live information from {FORUM}</description>{items}\n"
            "\t</channel>\n</rss>"
        )

    def _printpage(self, params: dict[str, str], request: httpx.Request) -> httpx.Response:
        match = re.fullmatch(r"(\d+)\.0", params.get("topic", ""))
        if match is None:
            return _unplanned(request)
        topic_id = int(match.group(1))
        self.printpages[topic_id] += 1
        topic = self.topics.get(topic_id)
        if topic is None or topic.board_id in self.hidden_boards:
            return _html(LOGIN_PAGE)
        if not topic.approved:
            return _html(TOPIC_GONE_PAGE, status=403)
        subject, author = _escape(topic.subject), _escape(topic.author)
        board = _escape(self.boards[topic.board_id])
        when = _local(topic.posted_at)
        body = _escape(topic.body, quotes=True).replace("\n", "<br>")
        return _html(
            f"""<!DOCTYPE html>
<html>
\t<head>
\t\t<meta charset="UTF-8">
\t\t<meta name="robots" content="noindex">
\t\t<link rel="canonical" href="{BASE}?topic={topic_id}.0">
\t\t<title>Print Page - {subject}</title>
\t</head>
\t<body>
\t\t<h1 id="title">{FORUM}</h1>
\t\t<h2 id="linktree">Attaqwaa Community => {board} => Topic started by: {author} on {when}</h2>
\t\t<div id="posts">
\t\t\t<div class="postheader">
\t\t\t\tTitle: <strong>{subject}</strong><br>
\t\t\t\tPost by: <strong>{author}</strong> on <strong>{when}</strong>
\t\t\t</div>
\t\t\t<div class="postbody">
\t\t\t\t{body}
\t\t\t</div><!-- .postbody -->
\t\t</div><!-- #posts -->
\t</body>
</html>"""
        )


def _params(query: str) -> dict[str, str]:
    # SMF reads ';' and '&' alike.
    pairs = (p.split("=", 1) for p in re.split(r"[;&]", query) if p)
    return {k: v for k, v in (pair if len(pair) == 2 else (pair[0], "") for pair in pairs)}


def _int(raw: str | None, default: int) -> int:
    try:
        return int(raw) if raw is not None else default
    except ValueError:
        return default


def _escape(text: str, *, quotes: bool = False) -> str:
    # SMF escapes & < > " in subjects and names; bodies also turn ' into &#39;.
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    escaped = escaped.replace('"', "&quot;")
    return escaped.replace("'", "&#39;") if quotes else escaped


def _teaser(body: str) -> str:
    # Cut before rendering, as SMF does with xmlnews_maxlen.
    cut = body if len(body) <= FEED_MAXLEN else body[: FEED_MAXLEN - 3] + "..."
    return _escape(cut, quotes=True).replace("\n", "<br>")


def _cdata(text: str) -> str:
    return f"<![CDATA[{text}]]>" if any(c in text for c in "<>&") else text


def _local(when: datetime) -> str:
    # The forum's default time format, in its default zone (UTC here, as in the captures).
    return when.astimezone(UTC).strftime("%b %d, %Y, %I:%M %p")


def _xml(text: str, content_type: str) -> httpx.Response:
    return httpx.Response(200, content=text.encode("utf-8"), headers={"content-type": content_type})


def _html(text: str, *, status: int = 200) -> httpx.Response:
    return httpx.Response(
        status, content=text.encode("utf-8"), headers={"content-type": "text/html; charset=UTF-8"}
    )


def _unplanned(request: httpx.Request) -> httpx.Response:
    return httpx.Response(500, text=f"the fake SMF forum does not serve {request.url}")
