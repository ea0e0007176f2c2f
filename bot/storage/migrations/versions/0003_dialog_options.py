"""Dialogs remember the options they offered; pending numbered offers move into dialogs.

Numbered options offered outside a dialog were kept in ``service_state`` under
``choices:<channel>:<chat id>``; they become dialog rows without a flow, so a reply
such as "2" still picks them after the upgrade. Board menus opened before it (flow
``boards`` with the old numbering, 0 = all boards) are expired: the next message
from that chat gets the flow's note that the menu closed, never a wrong toggle.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TYPE = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Add ``options`` and ``prompt_ref`` to dialogs and carry pending offers over."""
    with op.batch_alter_table("dialogs") as batch:
        batch.add_column(sa.Column("options", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("prompt_ref", sa.String(200), nullable=True))
    bind = op.get_bind()
    now = datetime.now(UTC)
    dialogs = sa.table(
        "dialogs",
        sa.column("channel", sa.String),
        sa.column("chat_id", sa.String),
        sa.column("flow", sa.String),
        sa.column("step", sa.String),
        sa.column("data", sa.JSON),
        sa.column("options", sa.JSON),
        sa.column("updated_at", UTC_TYPE),
        sa.column("expires_at", UTC_TYPE),
    )
    state = sa.table(
        "service_state",
        sa.column("key", sa.String),
        sa.column("value", sa.JSON),
    )
    bind.execute(sa.update(dialogs).where(dialogs.c.options.is_(None)).values(options=[]))
    bind.execute(
        sa.update(dialogs).where(dialogs.c.flow == "boards").values(expires_at=_stored(now))
    )
    taken = {(c, i) for c, i in bind.execute(sa.select(dialogs.c.channel, dialogs.c.chat_id))}
    rows = bind.execute(sa.select(state.c.key, state.c.value).where(state.c.key.like("choices:%")))
    for key, raw in rows.all():
        offer = _offer(key, raw)
        if offer is None or offer[:2] in taken:
            continue
        channel, chat_id, options, until = offer
        if until <= now:
            continue
        bind.execute(
            sa.insert(dialogs).values(
                channel=channel,
                chat_id=chat_id,
                flow="",
                step="",
                data={},
                options=options,
                updated_at=_stored(now),
                expires_at=_stored(until),
            )
        )
    bind.execute(sa.delete(state).where(state.c.key.like("choices:%")))
    with op.batch_alter_table("dialogs") as batch:
        batch.alter_column("options", existing_type=sa.JSON(), nullable=False)


def downgrade() -> None:
    """Drop the columns again (pending offers are not moved back)."""
    with op.batch_alter_table("dialogs") as batch:
        batch.drop_column("prompt_ref")
        batch.drop_column("options")


def _stored(moment: datetime) -> datetime:
    # SQLite keeps naive UTC (as the models' UtcDateTime does); PostgreSQL keeps the offset.
    # An offer saved with another offset (+01:00) must become UTC first, not just lose it.
    moment = moment.astimezone(UTC)
    return moment.replace(tzinfo=None) if op.get_bind().dialect.name == "sqlite" else moment


def _offer(key: str, raw: Any) -> tuple[str, str, list[dict[str, str]], datetime] | None:
    _, channel, chat_id = [*key.split(":", 2), "", ""][:3]
    value = json.loads(raw) if isinstance(raw, str) else raw
    if not channel or not chat_id or not isinstance(value, dict):
        return None
    choices = value.get("choices")
    try:
        until = datetime.fromisoformat(str(value.get("until", "")))
    except ValueError:
        return None
    if until.tzinfo is None:
        until = until.replace(tzinfo=UTC)
    options = [
        {"label": str(c["label"]), "data": str(c["data"])}
        for c in (choices if isinstance(choices, list) else [])
        if isinstance(c, dict) and c.get("label") and c.get("data")
    ]
    return (channel, chat_id, options, until) if options else None
