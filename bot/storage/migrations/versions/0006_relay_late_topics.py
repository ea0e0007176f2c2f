"""Late-approved topics: what the relay tracks to find them (issue 10 item 3).

``relay_late_topics`` lists the topic ids below the newest one seen that no feed has listed
("gaps": unapproved, deleted, or in a board guests cannot see). The relay looks for them in
per-board feeds and print pages until they turn up or pass ``forum.late_approval_days``.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TYPE = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create ``relay_late_topics``."""
    op.create_table(
        "relay_late_topics",
        sa.Column("topic_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("noticed_at", UTC_TYPE, nullable=False),
        sa.Column("last_probed_at", UTC_TYPE, nullable=True),
        sa.Column("probes", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("topic_id", name=op.f("pk_relay_late_topics")),
    )


def downgrade() -> None:
    """Drop ``relay_late_topics``."""
    op.drop_table("relay_late_topics")
