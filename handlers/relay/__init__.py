"""The relay: approved forum topics reach their destinations and subscribers, once each.

A topic goes through these modules, in this order:

1. ``health`` — the poll job (leader only, every ``forum.poll_interval``): backs off while the
   feed fails, alerts the admins once per outage and once on recovery;
2. ``poll`` — reads the feed, finds the topic ids never seen (the seen set is the topics
   table, never "newest date"), re-reads wider when every item is new, backfills a fresh
   database, and marks each topic seen only after its rows exist;
3. ``screen`` with ``spam`` — holds suspected spam, and every topic in review mode;
4. ``review`` — cards with Approve / Reject for held topics; the first admin decides;
5. ``rules`` with ``match`` — which destinations a topic goes to (the precedence is written
   once, in ``match``); ``rules_admin`` lets admins change the rules from a chat;
6. ``fanout`` — one outbox row per destination and instant subscriber, keyed so a repeat
   queues nothing twice;
7. ``alert`` — the neutral message each of those rows carries;
8. ``digest`` — the daily job: one summary per digest subscriber.
"""

from __future__ import annotations

from datetime import datetime

from handlers.context import HandlerContext
from handlers.feature import Feature, Job
from handlers.relay.digest import send_digest
from handlers.relay.health import poll_forum
from handlers.relay.review import BUTTON_PREFIX, REVIEW_BUTTONS, approve, reject, review
from handlers.relay.rules_admin import mute, rules, unrule, watch


async def poll_job(ctx: HandlerContext, now: datetime) -> None:
    """Poll the forum once (the report is logged by the poll itself)."""
    await poll_forum(ctx, now)


async def digest_job(ctx: HandlerContext, now: datetime) -> None:
    """Queue today's digest for the subscribers who chose one."""
    await send_digest(ctx, now)


def daily_at(hh_mm: str) -> str:
    """Return the crontab line of a daily job at local ``HH:MM``."""
    hour, _, minute = hh_mm.partition(":")
    return f"{int(minute)} {int(hour)} * * *"


FEATURE = Feature(
    name="relay",
    commands=[review, approve, reject, rules, watch, mute, unrule],
    choices={BUTTON_PREFIX: REVIEW_BUTTONS},
    jobs=[
        Job("forum:poll", poll_job, every=lambda s: s.relay.poll_interval, run_at_start=True),
        Job("digest:daily", digest_job, cron=lambda s: daily_at(s.relay.digest_time)),
    ],
)
