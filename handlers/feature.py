"""What a feature contributes, declared as data: commands, flows, words, buttons, hooks, jobs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bot.core.commands import EVERYONE, Role
from bot.core.messages import InboundMessage
from bot.i18n import N_
from handlers.context import HandlerContext
from handlers.flows import Flow
from handlers.settings import FeatureSettings

KeywordHandler = Callable[[InboundMessage, HandlerContext], Awaitable[bool]]
"""Return True when the message was handled (e.g. ``JOIN``)."""

ChoiceHandler = Callable[[InboundMessage, str, HandlerContext], Awaitable[None]]
"""Handle a button press whose data starts with the registered prefix; gets the rest."""

MembershipHandler = Callable[[InboundMessage, HandlerContext], Awaitable[None]]
"""Handle a change of the bot's membership in a chat (blocked, added, removed)."""

JobFn = Callable[[HandlerContext, datetime], Awaitable[None]]
"""A scheduled job: it gets the context and the time it runs at."""

Setting = Callable[[FeatureSettings], str | float]


@dataclass(frozen=True, slots=True)
class ChoiceRoute:
    """A button prefix outside any flow, and who may press it."""

    handler: ChoiceHandler
    who: frozenset[Role] = EVERYONE
    what: str = N_("do that")
    """How a refusal names the action ("approve or reject topics")."""


@dataclass(frozen=True, slots=True)
class Job:
    """A recurring job: an interval in seconds or a five-field crontab line, in local time.

    Either may be a function of the settings (``every=lambda s: s.relay.poll_interval``).
    ``scheduler/`` turns the declaration into an APScheduler trigger in the service's zone.
    """

    id: str
    fn: JobFn
    every: float | Callable[[FeatureSettings], float] | None = None
    cron: str | Callable[[FeatureSettings], str] | None = None
    """``minute hour day month weekday`` with Sunday = 0, as crontab counts."""
    run_at_start: bool = False
    """Also run once as soon as the process starts leading (the forum poll)."""

    def __post_init__(self) -> None:
        if (self.every is None) == (self.cron is None):
            raise ValueError(f"job {self.id!r}: give exactly one of every= or cron=")

    def interval(self, settings: FeatureSettings) -> float | None:
        """Return the interval in seconds, or None for a cron job."""
        return self.every(settings) if callable(self.every) else self.every

    def crontab(self, settings: FeatureSettings) -> str | None:
        """Return the crontab line, or None for an interval job."""
        return self.cron(settings) if callable(self.cron) else self.cron


@dataclass(frozen=True, slots=True)
class Feature:
    """One feature: everything it adds to the dispatcher and the scheduler.

    ``priority_keywords`` are checked before any open flow (an opt-out must work in the middle
    of a menu); ``keywords`` after it.
    """

    name: str
    commands: Sequence[Callable[..., Awaitable[None]]] = ()
    """``@command``-marked handlers."""
    flows: Sequence[Flow] = ()
    keywords: Sequence[KeywordHandler] = ()
    priority_keywords: Sequence[KeywordHandler] = ()
    choices: Mapping[str, ChoiceRoute] = field(default_factory=dict)
    membership: Sequence[MembershipHandler] = ()
    jobs: Sequence[Job] = ()
