"""Minbar: bridge a Simple Machines Forum with Telegram and WhatsApp."""

from __future__ import annotations

__version__ = "0.1.0"
