"""Late-approved topics: what the relay tracks to find them (issue 10 item 3).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply the change (filled in by its item)."""


def downgrade() -> None:
    """Undo the change."""
