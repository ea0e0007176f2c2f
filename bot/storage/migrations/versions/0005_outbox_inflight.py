"""Outbox in-flight records and worker liveness (issue 10 item 1).

``outbox.send_started_at`` is written, durably, just before a claimed row is sent, so after
a crash the rows that may have gone out (and may go out twice) are known and counted.
``outbox_workers`` lists the running workers; whether one is alive is told by a lock it
holds (a file lock on SQLite, an advisory lock on PostgreSQL), which dies with its process.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TYPE = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Add ``outbox.send_started_at`` and create ``outbox_workers``."""
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("send_started_at", UTC_TYPE, nullable=True))
    op.create_table(
        "outbox_workers",
        sa.Column("worker_id", sa.String(100), nullable=False),
        sa.Column("hostname", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", UTC_TYPE, nullable=False),
        sa.PrimaryKeyConstraint("worker_id", name=op.f("pk_outbox_workers")),
    )


def downgrade() -> None:
    """Drop ``outbox_workers`` and ``outbox.send_started_at``."""
    op.drop_table("outbox_workers")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("send_started_at")
