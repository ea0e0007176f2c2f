"""Destination alerts and pauses (issue 10 item 5).

``delivery_problems`` keeps each permanent failure, deactivation and skipped message until the
admins have been told (``alerted``), so an alert survives a crash and a burst becomes one
message. ``destinations.paused_at``/``paused_by`` record an admin's /pause, which a restart and
the config sync keep (unlike ``active``, which listing a chat in config.toml switches back on).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TYPE = sa.DateTime(timezone=True)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create ``delivery_problems``; add the pause columns to ``destinations``."""
    op.create_table(
        "delivery_problems",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("chat_id", sa.String(64), nullable=False),
        sa.Column("destination_id", BIG_ID, nullable=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("message_kind", sa.String(32), nullable=True),
        sa.Column("error_key", sa.String(64), nullable=False),
        sa.Column("detail", sa.String(500), nullable=False),
        sa.Column("at", UTC_TYPE, nullable=False),
        sa.Column("alerted", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_problems")),
    )
    op.create_index(op.f("ix_delivery_problems_alerted"), "delivery_problems", ["alerted", "id"])
    with op.batch_alter_table("destinations") as batch:
        batch.add_column(sa.Column("paused_at", UTC_TYPE, nullable=True))
        batch.add_column(sa.Column("paused_by", sa.String(100), nullable=True))


def downgrade() -> None:
    """Drop the pause columns and ``delivery_problems``."""
    with op.batch_alter_table("destinations") as batch:
        batch.drop_column("paused_by")
        batch.drop_column("paused_at")
    op.drop_index(op.f("ix_delivery_problems_alerted"), table_name="delivery_problems")
    op.drop_table("delivery_problems")
