"""Enquiry leads (issue 12): the leads, their history and the per-month reference counter.

``lead_sequences`` holds the last number given out per month; an upsert that increments it
and returns the new value is one atomic statement on SQLite and PostgreSQL alike, so two
processes never hand out the same reference.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TYPE = sa.DateTime(timezone=True)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create ``leads``, ``lead_events`` and ``lead_sequences``."""
    op.create_table(
        "leads",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("ref", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("chat_id", sa.String(64), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("source", sa.String(64), nullable=True),
        sa.Column("package", sa.String(64), nullable=False),
        sa.Column("travel_month", sa.String(64), nullable=False),
        sa.Column("travellers", sa.Integer(), nullable=False),
        sa.Column("full_name", sa.String(200), nullable=False),
        sa.Column("phone", sa.String(32), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("owner", sa.String(100), nullable=True),
        sa.Column("lost_reason", sa.String(500), nullable=True),
        sa.Column("escalation", sa.Integer(), nullable=False),
        sa.Column("escalated_at", UTC_TYPE, nullable=True),
        sa.Column("created_at", UTC_TYPE, nullable=False),
        sa.Column("updated_at", UTC_TYPE, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_leads")),
        sa.UniqueConstraint("ref", name=op.f("uq_leads_ref")),
    )
    op.create_index("ix_leads_chat", "leads", ["channel", "chat_id", "created_at"])
    op.create_table(
        "lead_events",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("lead_id", BIG_ID, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("by", sa.String(100), nullable=False),
        sa.Column("detail", sa.String(500), nullable=False),
        sa.Column("at", UTC_TYPE, nullable=False),
        sa.ForeignKeyConstraint(
            ["lead_id"],
            ["leads.id"],
            name=op.f("fk_lead_events_lead_id_leads"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lead_events")),
    )
    op.create_index(op.f("ix_lead_events_lead_id"), "lead_events", ["lead_id"])
    op.create_table(
        "lead_sequences",
        sa.Column("period", sa.String(8), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("period", name=op.f("pk_lead_sequences")),
    )


def downgrade() -> None:
    """Drop the lead tables."""
    op.drop_table("lead_sequences")
    op.drop_index(op.f("ix_lead_events_lead_id"), table_name="lead_events")
    op.drop_table("lead_events")
    op.drop_index("ix_leads_chat", table_name="leads")
    op.drop_table("leads")
