"""Fan-out of one topic: a neutral alert per destination and subscriber, queued once each."""

from __future__ import annotations

from dataclasses import replace

from bot.core.messages import OutboundMessage
from bot.domain.outbox import NewOutboxItem
from bot.domain.topics import Topic
from handlers.context import HandlerContext
from handlers.enquiries.links import link_for
from handlers.relay.alert import render_topic_alert
from handlers.relay.rules import select_destinations


async def relay_topic(topic: Topic, ctx: HandlerContext) -> int:
    """Queue one topic for every destination and subscriber its rules select; return new rows."""
    excerpt = ctx.settings.relay.excerpt_chars
    languages = ctx.settings.destination_languages
    items = [
        NewOutboxItem(
            f"topic:{topic.topic_id}:dest:{dest.id}",
            render_topic_alert(
                topic,
                dest.recipient,
                ctx.speech_in(languages.get(dest.ref)),
                excerpt,
                enquire_link(topic, dest.channel, ctx),
            ),
            topic_id=topic.topic_id,
            destination_id=dest.id,
        )
        for dest in await select_destinations(topic, ctx)
    ]
    items.extend(await subscriber_alerts(topic, ctx))
    return await ctx.outbox.enqueue(items)


async def subscriber_alerts(topic: Topic, ctx: HandlerContext) -> list[NewOutboxItem]:
    """Return one alert per subscriber who wants ``topic`` now, each in their language."""
    excerpt = ctx.settings.relay.excerpt_chars
    rendered: dict[tuple[str | None, str], OutboundMessage] = {}
    items = []
    # Outside a session window (WhatsApp's 24 hours) the outbox sends the topic_alert template
    # or skips the row as "outside_window"; the daily digest then picks the topic up.
    for sub in await ctx.repos.subscribers.for_topic_alerts(topic.board_id):
        seen = (sub.settings.language, str(sub.channel))
        if seen not in rendered:  # rendered once per language and platform, not per subscriber
            t = ctx.speech_in(seen[0])
            link = enquire_link(topic, sub.channel, ctx)
            rendered[seen] = render_topic_alert(topic, sub.recipient, t, excerpt, link)
        alert = replace(rendered[seen], recipient=sub.recipient)
        items.append(
            NewOutboxItem(
                f"topic:{topic.topic_id}:sub:{sub.id}",
                alert,
                topic_id=topic.topic_id,
                subscriber_id=sub.id,
            )
        )
    return items


def enquire_link(topic: Topic, channel: str, ctx: HandlerContext) -> str | None:
    """Return the link into the enquiry for a topic of a travel board, or None."""
    settings = ctx.settings.enquiries
    if not settings.enabled or topic.board_id not in settings.boards:
        return None
    return link_for(settings, ctx.capabilities(channel).keywords, f"t{topic.topic_id}")
