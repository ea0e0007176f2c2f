"""Broadcasts: admin-scheduled promotions whose messages share one report."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class Broadcast:
    """A promotion to send to an audience at a time, and what came of it."""

    id: int
    title: str
    payload: dict[str, Any]
    send_at: datetime
    status: str
    created_by: str
    created_at: datetime
    audience: dict[str, Any] = field(default_factory=dict)
    whatsapp_template_kind: str | None = None
    report: dict[str, Any] = field(default_factory=dict)
