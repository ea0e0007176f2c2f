"""The durable outbox: every message is written first, then sent by workers under rate limits."""
