"""Features, written once against the neutral types; one line per feature below."""

from __future__ import annotations

from types import ModuleType

from bot.core.commands import CommandRegistry
from handlers import admin, membership, review, rules_admin, subscriptions
from handlers.context import HandlerContext
from handlers.dispatch import Dispatcher
from handlers.feature import Feature

FEATURE_MODULES: tuple[ModuleType, ...] = (
    admin,
    membership,
    review,
    rules_admin,
    subscriptions,
)


def register_commands(registry: CommandRegistry[HandlerContext]) -> None:
    """Register every feature's chat commands."""
    for module in FEATURE_MODULES:
        registry.collect_module(module)


def build_dispatcher(ctx: HandlerContext) -> Dispatcher:
    """Return a dispatcher with every feature's keywords, flows, buttons and hooks."""
    features = [getattr(m, "FEATURE", Feature()) for m in FEATURE_MODULES]
    return Dispatcher(
        ctx,
        keywords=[k for f in features for k in f.keywords],
        priority_keywords=[k for f in features for k in f.priority_keywords],
        flows=[flow for f in features for flow in f.flows],
        choices={prefix: h for f in features for prefix, h in f.choices.items()},
        membership=[h for f in features for h in f.membership],
    )
