"""Subscriptions: who gets topic alerts, for which boards, instantly or as a daily digest.

``commands`` subscribes and unsubscribes (commands and words), ``boards`` and
``settings_menu`` are the two menus, each one flow shown as buttons or as numbers.
"""

from __future__ import annotations

from handlers.feature import Feature
from handlers.subscriptions.boards import BOARDS
from handlers.subscriptions.commands import subscribe, subscription_keyword, unsubscribe
from handlers.subscriptions.settings_menu import SETTINGS

FEATURE = Feature(
    name="subscriptions",
    commands=[subscribe, unsubscribe],
    flows=[BOARDS, SETTINGS],
    keywords=[subscription_keyword],
)
