"""Features, written once against the neutral types; one line per feature below."""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.commands import CommandRegistry
from handlers import (
    admin,
    consent,
    delivery_alerts,
    destination_commands,
    enquiries,
    housekeeping,
    intake_health,
    language,
    membership,
    relay,
    subscriptions,
)
from handlers.context import HandlerContext
from handlers.dispatch import Dispatcher
from handlers.feature import Feature, Job
from handlers.flows import Flow, entry_commands

FEATURES: tuple[Feature, ...] = (
    admin.FEATURE,
    consent.FEATURE,
    language.FEATURE,
    membership.FEATURE,
    subscriptions.FEATURE,
    relay.FEATURE,
    housekeeping.FEATURE,
    intake_health.FEATURE,
    delivery_alerts.FEATURE,
    destination_commands.FEATURE,
    enquiries.FEATURE,
)


def register_commands(
    registry: CommandRegistry[HandlerContext], features: Sequence[Feature] = FEATURES
) -> None:
    """Register every feature's chat commands, the flows' entry commands included."""
    for feature in features:
        registry.collect(feature.commands)
        for flow in feature.flows:
            registry.collect(entry_commands(flow))


def flow_table(features: Sequence[Feature] = FEATURES) -> dict[str, Flow]:
    """Return every feature's flows by name."""
    table: dict[str, Flow] = {}
    for flow in (flow for f in features for flow in f.flows):
        if flow.name in table:
            raise ValueError(f"flow {flow.name!r} is declared twice")
        table[flow.name] = flow
    return table


def declared_jobs(features: Sequence[Feature] = FEATURES) -> list[Job]:
    """Return every feature's scheduled jobs."""
    jobs = [job for f in features for job in f.jobs]
    ids = [job.id for job in jobs]
    if len(set(ids)) != len(ids):
        raise ValueError(f"job ids must be unique: {ids}")
    return jobs


def build_dispatcher(ctx: HandlerContext, features: Sequence[Feature] = FEATURES) -> Dispatcher:
    """Return the dispatcher of every feature's commands, flows, words, buttons and hooks."""
    return Dispatcher(ctx, features)
