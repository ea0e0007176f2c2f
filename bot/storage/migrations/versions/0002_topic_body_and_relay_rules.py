"""Keep each topic's author and teaser; add relay rules (watch/mute, boards, keywords).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTC = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Add topic author/teaser columns and the relay_rules table."""
    with op.batch_alter_table("forum_topics") as batch:
        batch.add_column(sa.Column("author", sa.String(200), nullable=True))
        batch.add_column(sa.Column("body_html", sa.Text(), nullable=True))
    op.create_table(
        "relay_rules",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("destination_id", BIG_ID, nullable=False),
        sa.Column("filter", sa.String(8), nullable=False),
        sa.Column("board_id", sa.BigInteger(), nullable=True),
        sa.Column("include_keywords", sa.JSON(), nullable=False),
        sa.Column("exclude_keywords", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["destination_id"],
            ["destinations.id"],
            name=op.f("fk_relay_rules_destination_id_destinations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_relay_rules")),
    )
    op.create_index(
        op.f("ix_relay_rules_destination_id"), "relay_rules", ["destination_id"], unique=False
    )


def downgrade() -> None:
    """Drop the relay rules and the topic columns."""
    op.drop_index(op.f("ix_relay_rules_destination_id"), table_name="relay_rules")
    op.drop_table("relay_rules")
    with op.batch_alter_table("forum_topics") as batch:
        batch.drop_column("body_html")
        batch.drop_column("author")
