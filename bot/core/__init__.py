"""Neutral core types shared by handlers and channel adapters (standard library only)."""
