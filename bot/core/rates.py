"""How fast a platform lets one bot or sender send: the policy its adapter declares."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RatePolicy:
    """How fast one channel may send: globally, per private chat and per group or channel."""

    global_per_second: float
    global_burst: int
    per_chat_per_second: float | None = None
    per_chat_burst: int = 1
    per_group_per_minute: float | None = None
    per_group_burst: int = 1

    def __post_init__(self) -> None:
        if not self.global_per_second > 0:
            raise ValueError("global_per_second must be positive (math.inf for no limit)")
        for name in ("global_burst", "per_chat_burst", "per_group_burst"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        for name in ("per_chat_per_second", "per_group_per_minute"):
            value = getattr(self, name)
            if value is not None and not value > 0:
                raise ValueError(f"{name} must be positive or None")

    @classmethod
    def unlimited(cls) -> RatePolicy:
        """Return a policy that never delays anything (benchmarks, console channel)."""
        return cls(global_per_second=math.inf, global_burst=1)
