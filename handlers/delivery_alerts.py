"""Tell the admins about delivery problems: once, grouped, with the fix, on a platform that works.

Every permanent failure, switch-off and lost skip is stored as a delivery problem in the same
transaction that records it (``bot.storage.repositories.problems``), so nothing is lost between
the failure and the alert. This job takes the untold ones every half minute and sends one
alert for the lot:

- grouped per chat (or per platform, for a sender or template problem) and error, counted;
- a relay destination switched off is always told (it happens once per switch-off); any other
  group at most once per ``THROTTLE`` for the same chat or platform and error;
- a subscriber leaving (blocked the bot, deactivated, opted out) is normal churn and not told;
- when the problem is the admins' own platform (a sender or template problem, or an admin chat
  that cannot be reached), the alert goes to the admins on the other platforms, and to all of
  them only when there is no other.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.core.messages import Span, bold, plain
from bot.domain.destinations import Destination
from bot.domain.problems import DeliveryProblem
from bot.i18n import Speech
from handlers.alerts import AlertText, alert_admins
from handlers.context import HandlerContext
from handlers.delivery_fixes import CHURN_KEYS, fix_for, is_channel_wide
from handlers.feature import Feature, Job

logger = logging.getLogger(__name__)

CHECK_EVERY = 30.0
THROTTLE = timedelta(hours=6)
KEEP_TOLD = timedelta(days=7)
DETAIL_SHOWN = 160


@dataclass(slots=True)
class _Group:
    """Problems of one chat (or platform) and one error key."""

    channel: str
    scope: str
    """A destination's ref, ``channel:chat`` for an admin chat, or ``channel:*``."""
    error_key: str
    destination: Destination | None
    channel_wide: bool
    admin_chat: bool
    problems: list[DeliveryProblem] = field(default_factory=list)

    @property
    def switched_off(self) -> bool:
        return self.destination is not None and any(p.kind == "deactivated" for p in self.problems)


def throttle_key(scope: str, error_key: str) -> str:
    """Return where the last alert about ``error_key`` on ``scope`` is remembered."""
    return f"delivery.alerted:{scope}:{error_key}"


async def alert_delivery_problems(ctx: HandlerContext, now: datetime) -> None:
    """Tell the admins about untold delivery problems, grouped, in one alert."""
    problems = await ctx.repos.problems.unalerted()
    if not problems:
        await ctx.repos.problems.prune(now - KEEP_TOLD)
        return
    groups = _group(problems, {d.id: d for d in await ctx.repos.destinations.all()}, ctx)
    told = [g for g in groups if await _due(ctx, g, now)]
    if told:
        first, last = problems[0].id, problems[-1].id
        render = _render(told)
        skip = {g.channel for g in told if g.channel_wide or g.admin_chat}
        key = f"delivery-alert:{first}-{last}"
        queued = await alert_admins(ctx, key, render, skip=skip)
        if queued == 0 and skip:
            # No admin on another platform: the broken one may still reach some of them.
            await alert_admins(ctx, key, render)
        for group in told:
            await ctx.repos.state.put(
                throttle_key(group.scope, group.error_key), {"at": now.isoformat()}
            )
    quiet = len(groups) - len(told)
    if quiet:
        logger.info("%d delivery problem groups already told within %s", quiet, THROTTLE)
    await ctx.repos.problems.mark_alerted([p.id for p in problems])


def _group(
    problems: list[DeliveryProblem], destinations: dict[int, Destination], ctx: HandlerContext
) -> list[_Group]:
    admin_chats = {(ch, user) for ch, users in ctx.admins.by_channel.items() for user in users}
    groups: dict[tuple[str, str], _Group] = {}
    for problem in problems:
        channel, key = str(problem.channel), problem.error_key
        destination = destinations.get(problem.destination_id) if problem.destination_id else None
        admin_chat = (channel, str(problem.chat_id)) in admin_chats
        wide = is_channel_wide(key)
        if destination is None and not admin_chat and not wide and key in CHURN_KEYS:
            continue  # a subscriber left: counted on the subscriber, not worth an alert
        if destination is not None and not wide:
            scope = destination.ref
        elif admin_chat and not wide:
            scope = f"{channel}:{problem.chat_id}"
        else:
            scope = f"{channel}:*"
        group = groups.setdefault(
            (scope, key), _Group(channel, scope, key, destination, wide, admin_chat)
        )
        group.problems.append(problem)
    return list(groups.values())


async def _due(ctx: HandlerContext, group: _Group, now: datetime) -> bool:
    if group.switched_off:
        return True
    last = await ctx.repos.state.get(throttle_key(group.scope, group.error_key))
    if not last:
        return True
    try:
        at = datetime.fromisoformat(str(last.get("at")))
    except ValueError:
        return True
    return now - at >= THROTTLE


def _render(groups: list[_Group]) -> AlertText:
    """Return the alert about ``groups``: a line each, the total when more than one per line."""
    count = sum(len(g.problems) for g in groups)

    def render(t: Speech) -> list[Span]:
        spans: list[Span] = [bold(t._("Delivery problems") + "\n")]
        for group in groups:
            spans.append(plain("\n• " + _line(group, t)))
        if count > len(groups):
            total = t.n_("({n} failure in all.)", "({n} failures in all.)", count)
            spans.append(plain("\n" + total))
        # Translators: /destinations is a command; keep it.
        footer = t._("/destinations lists every destination and its state.")
        spans.append(plain("\n" + footer))
        return spans

    return render


def _line(group: _Group, t: Speech) -> str:
    """Return one group's line: where, how many, switched off, the fix, the last error."""
    if group.destination is not None and not group.channel_wide:
        where = group.destination.name or group.destination.ref
        ref = group.destination.ref
    elif group.channel_wide:
        where, ref = group.channel.capitalize(), group.scope
    else:
        where = ref = group.scope
    head = _head(group, where, t)
    if group.switched_off:
        # Translators: {subject} is a chat's name, maybe with a count after it.
        head = t._("{subject} is switched off", subject=head)
    elif head == where:
        head = t.isolate(where)  # a Latin name first must not turn an Arabic line around
    fix = fix_for(t, group.error_key, where, ref)
    # The code and the platform's words stay as they are, isolated in a right-to-left line.
    error = t.isolate(f"{group.error_key}: {group.problems[-1].detail[:DETAIL_SHOWN]}")
    if fix is not None:
        return f"{head}: {fix}. ({error})"
    return f"{head}: {error}"


def _head(group: _Group, where: str, t: Speech) -> str:
    """Return where the problem is, with the count of messages or failures when it says more."""
    n = len(group.problems)
    if group.channel_wide:
        kinds = sorted({p.message_kind for p in group.problems if p.message_kind})
        if kinds:
            # Translators: {where} is a platform (Telegram, Whatsapp); {kinds} lists message
            # kinds as codes (topic, broadcast, reply...); keep them as they are.
            return t.n_(
                "{where} ({n} message: {kinds})",
                "{where} ({n} messages: {kinds})",
                n,
                where=where,
                kinds=", ".join(kinds),
            )
        # Translators: {where} is a platform (Telegram, Whatsapp).
        return t.n_("{where} ({n} message)", "{where} ({n} messages)", n, where=where)
    if n > 1:
        return t.n_("{where} ({n} failure)", "{where} ({n} failures)", n, where=where)
    return where


FEATURE = Feature(
    name="delivery_alerts",
    jobs=[Job("delivery:alerts", alert_delivery_problems, every=CHECK_EVERY)],
)
