"""Relay rules: which topics each destination watches or mutes (stored as data)."""

from __future__ import annotations

from bot.core.clock import Clock, SystemClock
from bot.storage.db import Database


class RuleRepo:
    """Store and list relay rules."""

    def __init__(self, db: Database, clock: Clock | None = None) -> None:
        self._db = db
        self._clock = clock or SystemClock()
