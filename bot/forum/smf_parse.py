"""Parse SMF 2.1 ``sa=news`` feeds (smf, rss2, rss 0.92, atom) into ``Topic`` values.

SMF escapes subjects and names as HTML before writing them, and wraps a value in CDATA only
when it contains ``<``, ``>`` or ``&``. So after XML parsing, element text is still HTML-escaped
exactly once and gets one ``html.unescape``; attribute values (atom ``category term``) were
written raw, already escaped, so the XML parser has done that one decoding and they get none.
Descriptions are rendered HTML and stay HTML (``Topic.body_html``).
"""

from __future__ import annotations

import html
import re

# The stdlib parser is safe here because documents with a DTD are refused before parsing:
# without one there are no entity declarations to expand (billion laughs, external entities).
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from bot.core.ids import BoardId, TopicId
from bot.forum.errors import FeedError
from bot.forum.source import Topic

_ATOM = "{http://www.w3.org/2005/Atom}"
_RDF_ROOT = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}RDF"

RECENT_FEED_MESSAGE = (
    "this is the recent-posts feed (one item per post, replies included); "
    "configure sa=news so that each item is a new topic"
)

_DTD = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_HTML_START = (b"<!doctype html", b"<html", b"<head", b"<body")
# ``?topic=13.0`` (news), ``?topic=8.msg21#msg21`` (recent), ``/topic,13.0.html`` (queryless).
_TOPIC_LINK = re.compile(r"(?:[?;&]|/)topic[=,](\d+)\.([A-Za-z0-9]+)")
_BOARD_LINK = re.compile(r"(?:[?;&]|/)board[=,](\d+)\.\d+")
_RSS_AUTHOR_NAME = re.compile(r"\((.+)\)\s*$", re.DOTALL)


def parse_feed(body: bytes, *, content_type: str | None = None) -> list[Topic]:
    """Parse an SMF news feed of any supported type into topics, in feed order (newest first).

    Raises:
        FeedError: ``empty``, ``login_page``, ``malformed`` or ``unsupported_feed``
            (including the recent-posts feed and RDF, which carries no ids or dates).
    """
    _refuse_non_xml(body, content_type)
    _refuse_dtd(body)
    try:
        root = ET.fromstring(body)  # noqa: S314 - DTDs refused above
    except ET.ParseError as exc:
        raise FeedError("malformed", f"not well-formed XML: {exc}") from exc

    if root.tag == "rss":
        return _parse_rss(root)
    if root.tag == f"{_ATOM}feed":
        return _parse_atom(root)
    if _local(root.tag) == "xml-feed":
        return _parse_smf(root)
    if root.tag == _RDF_ROOT:
        raise FeedError(
            "unsupported_feed",
            "RDF feeds carry no topic ids and no dates; use type=smf, rss2 or atom",
        )
    raise FeedError("unsupported_feed", f"unknown feed root element <{_local(root.tag)}>")


def _refuse_non_xml(body: bytes, content_type: str | None) -> None:
    head = body[:1024].lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head:
        raise FeedError(
            "empty", "the forum sent an empty body; are XML feeds enabled (xmlnews_enable)?"
        )
    lowered = head.lower()
    mime = (content_type or "").split(";", 1)[0].strip().lower()
    looks_html = lowered.startswith(_HTML_START)
    if looks_html or (mime == "text/html" and not lowered.startswith(b"<?xml")):
        # SMF answers 200 with its login form for a board that is missing or hidden from guests.
        raise FeedError(
            "login_page",
            "the forum sent an HTML page instead of a feed: the board may not exist, guests may "
            "not see it, or guest access is off (SMF shows a login form)",
        )


def _refuse_dtd(body: bytes) -> None:
    # SMF never sends a DTD; user text inside CDATA is HTML-escaped, so "<!" cannot come from it.
    if _DTD.search(body):
        raise FeedError("malformed", "the document declares a DTD or entities; refused")


def _parse_rss(root: ET.Element) -> list[Topic]:
    channel = root.find("channel")
    if channel is None:
        raise FeedError("malformed", "rss document without <channel>")
    # A single-board feed links the channel to ?board=N.0, which numbers every item's board.
    board_id = _board_from_link(channel.findtext("link"))
    topics = []
    for index, item in enumerate(channel.findall("item"), start=1):
        where = f"item {index}"
        guid = _stripped(item.findtext("guid"))
        _refuse_recent_guid(guid)
        topic_id, link = _topic_link(item.findtext("link"), where)
        topics.append(
            Topic(
                topic_id=topic_id,
                board_id=board_id,
                board_name=_unescape(item.findtext("category")),
                subject=_unescape(item.findtext("title")),
                link=link,
                posted_at=_rfc822(item.findtext("pubDate"), where),
                author=_rss_author(item.findtext("author")),
                body_html=item.findtext("description") or "",
                guid=guid,
            )
        )
    return topics


def _parse_atom(root: ET.Element) -> list[Topic]:
    board_id = _board_from_link(_atom_link(root))
    topics = []
    for index, entry in enumerate(root.findall(f"{_ATOM}entry"), start=1):
        where = f"entry {index}"
        guid = _stripped(entry.findtext(f"{_ATOM}id"))
        _refuse_recent_guid(guid)
        topic_id, link = _topic_link(_atom_link(entry), where)
        category = entry.find(f"{_ATOM}category")
        author = entry.findtext(f"{_ATOM}author/{_ATOM}name")
        topics.append(
            Topic(
                topic_id=topic_id,
                board_id=board_id,
                # Attribute values arrive decoded once already (see the module docstring).
                board_name=(category.get("term", "") if category is not None else "").strip(),
                subject=_unescape(entry.findtext(f"{_ATOM}title")),
                link=link,
                posted_at=_iso(
                    entry.findtext(f"{_ATOM}published") or entry.findtext(f"{_ATOM}updated"),
                    where,
                ),
                author=_unescape(author) or None,
                body_html=entry.findtext(f"{_ATOM}summary") or "",
                guid=guid,
            )
        )
    return topics


def _parse_smf(root: ET.Element) -> list[Topic]:
    kinds = {_local(child.tag) for child in root}
    if "recent-post" in kinds or root.tag.endswith("/recent}xml-feed"):
        raise FeedError("unsupported_feed", RECENT_FEED_MESSAGE)
    if kinds - {"article"}:
        raise FeedError(
            "unsupported_feed",
            f"smf feed of <{sorted(kinds - {'article'})[0]}> items; configure sa=news",
        )
    topics = []
    for index, article in enumerate(root.findall("article"), start=1):
        where = f"article {index}"
        topic_id = TopicId(_int(article.findtext("id"), f"{where} <id>"))
        link_id, link = _topic_link(article.findtext("link"), where)
        if link_id != topic_id:
            raise FeedError("malformed", f"{where}: <id> {topic_id} but link to topic {link_id}")
        posted_at = _smf_time(article.find("time"), where)
        board_raw = article.findtext("board/id")
        author = _unescape(article.findtext("poster/name")) or None
        topics.append(
            Topic(
                topic_id=topic_id,
                board_id=BoardId(_int(board_raw, f"{where} board id")) if board_raw else None,
                board_name=_unescape(article.findtext("board/name")),
                subject=_unescape(article.findtext("subject")),
                link=link,
                posted_at=posted_at,
                author=author,
                body_html=article.findtext("body") or "",
                # type=smf has no guid; build the one rss2/atom carry so formats interchange.
                guid=_tag_uri(link, posted_at, topic_id),
            )
        )
    return topics


def _refuse_recent_guid(guid: str | None) -> None:
    if guid is not None and ":msg=" in guid:
        raise FeedError("unsupported_feed", RECENT_FEED_MESSAGE)


def _topic_link(raw: str | None, where: str) -> tuple[TopicId, str]:
    link = (raw or "").strip()
    match = _TOPIC_LINK.search(link)
    if match is None:
        raise FeedError("malformed", f"{where}: no topic link in {link!r}")
    if match.group(2).startswith("msg"):
        raise FeedError("unsupported_feed", RECENT_FEED_MESSAGE)
    base = link[: match.start()].split("?", 1)[0]
    topic_id = TopicId(int(match.group(1)))
    return topic_id, f"{base}?topic={topic_id}.0"


def _board_from_link(link: str | None) -> BoardId | None:
    match = _BOARD_LINK.search(link or "")
    return BoardId(int(match.group(1))) if match else None


def _atom_link(element: ET.Element) -> str | None:
    for link in element.findall(f"{_ATOM}link"):
        if link.get("rel", "alternate") == "alternate":
            return link.get("href")
    return None


def _rss_author(raw: str | None) -> str | None:
    # Only moderators and the poster see <author>, as "email (Name)"; never surface the e-mail.
    match = _RSS_AUTHOR_NAME.search(raw or "")
    if match is None:
        return None
    return _unescape(match.group(1)) or None


def _rfc822(raw: str | None, where: str) -> datetime:
    try:
        parsed = parsedate_to_datetime((raw or "").strip())
    except (TypeError, ValueError) as exc:
        raise FeedError("malformed", f"{where}: bad pubDate {raw!r}") from exc
    return _as_utc(parsed)


def _iso(raw: str | None, where: str) -> datetime:
    try:
        return _as_utc(datetime.fromisoformat((raw or "").strip()))
    except ValueError as exc:
        raise FeedError("malformed", f"{where}: bad date {raw!r}") from exc


def _smf_time(element: ET.Element | None, where: str) -> datetime:
    raw = element.get("UTC") if element is not None else None
    try:
        return datetime.strptime(raw or "", "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    except ValueError as exc:
        raise FeedError("malformed", f"{where}: bad <time UTC> {raw!r}") from exc


def _as_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _tag_uri(link: str, posted_at: datetime, topic_id: TopicId) -> str:
    # Same recipe as SMF's News.php: host of the script URL (no port), UTC date of the post.
    netloc = urlsplit(link).netloc.rsplit("@", 1)[-1]
    host = netloc[: netloc.index("]") + 1] if netloc.startswith("[") else netloc.split(":")[0]
    return f"tag:{host},{posted_at:%Y-%m-%d}:topic={topic_id}"


def _int(raw: str | None, what: str) -> int:
    try:
        return int((raw or "").strip())
    except ValueError as exc:
        raise FeedError("malformed", f"{what} is not a number: {raw!r}") from exc


def _unescape(raw: str | None) -> str:
    return html.unescape((raw or "").strip())


def _stripped(raw: str | None) -> str | None:
    value = (raw or "").strip()
    return value or None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]
