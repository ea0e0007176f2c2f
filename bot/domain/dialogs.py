"""Where one chat is in a conversation, shared by every platform."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.core.messages import Choice

OFFER_FLOW = ""
"""``flow`` of a dialog row that only remembers options offered outside any flow."""


@dataclass(frozen=True, slots=True)
class DialogState:
    """A chat's open flow (or pending numbered offer) and the options it last showed."""

    channel: str
    chat_id: str
    flow: str
    step: str
    data: dict[str, Any] = field(default_factory=dict)
    options: tuple[Choice, ...] = ()
    """The choices last offered, so a typed "2" can pick one where there are no buttons."""
    prompt_ref: str | None = None
    """Outbox key of the last prompt, so a step may edit it in place."""
    updated_at: datetime | None = None
    expires_at: datetime | None = None

    @property
    def is_flow(self) -> bool:
        """Return whether a flow is open (not just a numbered offer waiting for a pick)."""
        return self.flow != OFFER_FLOW

    def is_expired(self, now: datetime) -> bool:
        """Return whether the state outlived its time to live."""
        return self.expires_at is not None and self.expires_at <= now
