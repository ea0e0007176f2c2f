"""Persistence: models, repositories and migrations. No other package builds queries."""
