"""``python -m bot`` runs the command line."""

from __future__ import annotations

from bot.cli import main

main()
