"""Late-approved topics: find the ones that re-entered the feed below its window.

SMF orders its news feed by first-message id, so a topic approved after N newer ones comes
back at position N + 1, with its old id and date; with more than ``limit`` newer topics the
poll never sees it. Topic ids are shared by every board, so each id below the newest one seen
that no feed listed is a *gap*: unapproved, deleted, or in a board guests cannot see. Gaps are
stored (``relay_late_topics``) and looked for, cheapest way first, until they turn up or are
older than ``late_approval_days``:

1. the poll's own window rules out every gap at or above its oldest topic;
2. the whole-forum feed at SMF's largest window (one request, only if a gap lies below 1.);
3. the news feed of each board seen, 255 topics each (only if a gap lies below 2.);
4. the topic's print page, a few per poll: every poll for a gap some board feed could not
   rule out, hourly for one only a board never seen could hold.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TypeVar

from bot.core.errors import ForumError
from bot.core.ids import BoardId, TopicId
from bot.domain.topics import Topic, TopicGap
from bot.forum.source import (
    MAX_FEED_WINDOW,
    ForumSource,
    SupportsBoardFeeds,
    SupportsTopicLookup,
)
from handlers.context import HandlerContext

logger = logging.getLogger(__name__)
_T = TypeVar("_T")

MAX_TRACKED_GAPS = 1000
"""Gaps kept at most; beyond it the lowest ids go (a flood of hidden topics, a jump in ids)."""
MAX_BOARD_FEEDS = 20
"""Board feeds read per poll; gaps of boards beyond it are left to print-page probes."""
MAX_PROBES = 5
"""Print pages fetched per poll."""
SLOW_PROBE_INTERVAL = timedelta(hours=1)
"""Re-probe delay for a gap that every known board's feed already rules out."""


@dataclass(frozen=True, slots=True)
class PollWindow:
    """What the poll's own feed request showed, and what came before it."""

    topics: Sequence[Topic]
    limit: int
    """The ``limit`` the window was fetched with."""
    first_poll_floor: int | None
    """On a fresh database: ids at or below this predate Minbar (the backfill rule)."""
    newest_before: int | None
    """The highest topic id recorded before this poll."""


@dataclass(slots=True)
class LateSearch:
    """What one search for late-approved topics found and cost."""

    found: list[Topic] = field(default_factory=list)
    """Gaps that turned up, oldest first; not yet screened or recorded."""
    open_gaps: int = 0
    requests: int = 0
    probed: list[int] = field(default_factory=list)
    dropped: list[int] = field(default_factory=list)


async def search_late_topics(
    source: ForumSource, ctx: HandlerContext, window: PollWindow
) -> LateSearch:
    """Track this poll's gaps, drop expired ones and look for the rest; never raise ForumError."""
    repo = ctx.repos.late_topics
    days = ctx.settings.relay.late_approval_days
    search = LateSearch()
    await _track_gaps(ctx, window, enabled=days > 0)
    for gap in await repo.drop_noticed_before(ctx.clock.now() - timedelta(days=days)):
        logger.debug(
            "Stopped looking for topic %s: missing from every feed since %s (%s probes)",
            gap.topic_id,
            gap.noticed_at.isoformat(timespec="seconds"),
            gap.probes,
        )
        search.dropped.append(gap.topic_id)
    await repo.resolve_recorded()
    gaps = await repo.open_gaps()
    search.open_gaps = len(gaps)
    if not gaps or days == 0:
        return search
    found: dict[int, Topic] = {}
    wanted = {g.topic_id for g in gaps}
    floor = _floor(window.topics, window.limit)
    if floor > min(wanted) and window.limit < MAX_FEED_WINDOW:
        wide = await _read(search, source.fetch_topics(MAX_FEED_WINDOW), "the wide feed")
        if wide is not None:
            _collect(found, wide, wanted)
            floor = min(floor, _floor(wide, MAX_FEED_WINDOW))
    # Gaps at or above ``floor`` are listed by no feed although every visible topic that new
    # would be: invisible now, nothing to probe.
    below = [g for g in gaps if g.topic_id < floor and g.topic_id not in found]
    board_floor: int | None = None
    if below:
        board_floor = await _search_boards(search, source, ctx, found, wanted)
    due = _due_probes([g for g in below if g.topic_id not in found], board_floor, ctx.clock.now())
    if due and isinstance(source, SupportsTopicLookup):
        await _probe(search, source, ctx, due, found)
    search.found = [found[t] for t in sorted(found)]
    return search


async def _track_gaps(ctx: HandlerContext, window: PollWindow, *, enabled: bool) -> None:
    ids = {t.topic_id for t in window.topics}
    if not ids:
        return
    newest = max(ids)
    repo = ctx.repos.late_topics
    mark = await repo.scanned_up_to()
    if mark is None:
        # First poll since this feature exists: on a fresh database the backfill rule says what
        # is "new"; on an upgraded one everything up to the newest recorded id was judged.
        if window.first_poll_floor is not None:
            mark = window.first_poll_floor
        elif window.newest_before is not None:
            mark = window.newest_before
        else:
            mark = newest
    start = max(mark + 1, newest - MAX_TRACKED_GAPS)
    missing = [t for t in range(start, newest) if t not in ids] if enabled else []
    evicted = await repo.note_gaps(missing, scanned_up_to=max(newest, mark), cap=MAX_TRACKED_GAPS)
    if evicted:
        logger.warning(
            "Tracking at most %s missing topic ids: stopped looking for %s (ids %s..%s)",
            MAX_TRACKED_GAPS,
            len(evicted),
            evicted[0],
            evicted[-1],
        )


async def _search_boards(
    search: LateSearch,
    source: ForumSource,
    ctx: HandlerContext,
    found: dict[int, Topic],
    wanted: Collection[int],
) -> int | None:
    """Read every seen board's feed; return the id down to which all of them are complete."""
    if not isinstance(source, SupportsBoardFeeds):
        return None
    boards = [b for b, _ in await ctx.repos.topics.boards_seen()]
    complete = None not in boards and len(boards) <= MAX_BOARD_FEEDS
    floors: list[int] = []
    for board in [b for b in boards if b is not None][:MAX_BOARD_FEEDS]:
        listed = await _read(
            search,
            source.fetch_board_topics(BoardId(board), MAX_FEED_WINDOW),
            f"the feed of board {board}",
        )
        if listed is None:
            complete = False
            continue
        _collect(found, listed, wanted)
        floors.append(_floor(listed, MAX_FEED_WINDOW))
    # A gap above every board's floor is in no board Minbar knows; it could still be in one
    # that never had a topic in the feed, so it is probed now and then, not every poll.
    return max(floors, default=0) if complete else None


def _due_probes(gaps: Sequence[TopicGap], board_floor: int | None, now: datetime) -> list[TopicGap]:
    def never_or_oldest(gap: TopicGap) -> tuple[bool, datetime, int]:
        return (gap.last_probed_at is not None, gap.last_probed_at or now, -gap.topic_id)

    fast = [g for g in gaps if board_floor is None or g.topic_id < board_floor]
    fast_ids = {g.topic_id for g in fast}
    slow = [
        g
        for g in gaps
        if g.topic_id not in fast_ids
        and (g.last_probed_at is None or now - g.last_probed_at >= SLOW_PROBE_INTERVAL)
    ]
    return (sorted(fast, key=never_or_oldest) + sorted(slow, key=never_or_oldest))[:MAX_PROBES]


async def _probe(
    search: LateSearch,
    source: SupportsTopicLookup,
    ctx: HandlerContext,
    due: Sequence[TopicGap],
    found: dict[int, Topic],
) -> None:
    asked: list[int] = []
    for gap in due:
        topic = await _read(search, source.fetch_topic(TopicId(gap.topic_id)), "a print page")
        asked.append(gap.topic_id)
        if topic is not None:
            found[gap.topic_id] = await _with_board_id(topic, ctx)
    await ctx.repos.late_topics.mark_probed(asked)
    search.probed = asked


async def _with_board_id(topic: Topic, ctx: HandlerContext) -> Topic:
    # A print page names its board but does not number it; a name that belongs to exactly one
    # known board gives the id that board rules and subscriptions match on.
    if topic.board_id is not None or not topic.board_name:
        return topic
    ids = {b for b, name in await ctx.repos.topics.boards_seen() if name == topic.board_name}
    if len(ids) == 1 and (board := ids.pop()) is not None:
        return replace(topic, board_id=BoardId(board))
    return topic


async def _read(search: LateSearch, request: Awaitable[_T], what: str) -> _T | None:
    """Await one forum request; a failure only costs this poll's look (logged, not raised)."""
    search.requests += 1
    try:
        return await request
    except ForumError as exc:
        logger.info("Late-approval search: %s unavailable: %s", what, exc)
        return None


def _collect(found: dict[int, Topic], topics: Sequence[Topic], wanted: Collection[int]) -> None:
    for topic in topics:
        if topic.topic_id in wanted:
            found.setdefault(topic.topic_id, topic)


def _floor(topics: Sequence[Topic], limit: int) -> int:
    """Return the lowest id the listing is complete down to (0 when it held all there is)."""
    if len(topics) < limit or not topics:
        return 0
    return min(t.topic_id for t in topics)
