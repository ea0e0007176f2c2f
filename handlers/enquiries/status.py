"""The /status lines of the enquiries: how many agents, and which cannot be reached."""

from __future__ import annotations

from bot.i18n import Speech
from handlers.context import HandlerContext


async def agent_lines(ctx: HandlerContext, t: Speech) -> list[str]:
    """Return "Agents: 2, 1 unreachable" and a line per agent chat whose last card failed."""
    settings = ctx.settings.enquiries
    if not settings.enabled:
        return []
    failing = []
    for agent in settings.agents:
        for chat in agent.chats:
            last = await ctx.repos.deliveries.last_outcome_to(
                chat.channel, chat.chat_id, "lead_alert"
            )
            if last is not None and last[0] == "failed":
                failing.append(
                    t._(
                        "  {agent} unreachable on {chat} ({error})",
                        agent=agent.name,
                        chat=chat.key,
                        error=last[1] or "?",
                    )
                )
    count = t.n_("Agents: {n}", "Agents: {n}", len(settings.agents))
    if failing:
        count += ", " + t.n_("{n} unreachable", "{n} unreachable", len(failing))
    return [count, *failing]
