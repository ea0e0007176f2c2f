"""One Alembic revision per described schema change."""
