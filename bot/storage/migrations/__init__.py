"""Alembic environment and revisions for Minbar's tables."""
