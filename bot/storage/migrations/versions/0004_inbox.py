"""The inbox: every inbound item is stored before the platform is answered.

It replaces ``inbound_seen``, which marked an update seen *before* handling it, so a retry
after a failed handling was dropped as a duplicate. Seen ids are not carried over: they
only guarded against redeliveries of the last few hours, which Telegram and Twilio no longer
send once they were answered.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TYPE = sa.DateTime(timezone=True)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create ``inbox`` and drop ``inbound_seen``."""
    op.create_table(
        "inbox",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("provider_ref", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("chat_key", sa.String(300), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTC_TYPE, nullable=False),
        sa.Column("lease_until", UTC_TYPE, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("received_at", UTC_TYPE, nullable=False),
        sa.Column("handled_at", UTC_TYPE, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbox")),
        sa.UniqueConstraint("platform", "provider_ref", name=op.f("uq_inbox_platform")),
    )
    op.create_index("ix_inbox_due", "inbox", ["state", "kind", "next_attempt_at"])
    op.create_index("ix_inbox_chat", "inbox", ["chat_key", "id"])
    op.create_index(op.f("ix_inbox_received_at"), "inbox", ["received_at"])
    op.drop_index(op.f("ix_inbound_seen_seen_at"), table_name="inbound_seen")
    op.drop_table("inbound_seen")


def downgrade() -> None:
    """Bring ``inbound_seen`` back (empty) and drop the inbox."""
    op.create_table(
        "inbound_seen",
        sa.Column("message_ref", sa.String(120), nullable=False),
        sa.Column("seen_at", UTC_TYPE, nullable=False),
        sa.PrimaryKeyConstraint("message_ref", name=op.f("pk_inbound_seen")),
    )
    op.create_index(op.f("ix_inbound_seen_seen_at"), "inbound_seen", ["seen_at"], unique=False)
    op.drop_table("inbox")
