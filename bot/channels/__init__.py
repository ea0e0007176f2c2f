"""Channel adapters. Adding a platform = one module here + one line in ``bot.app``'s registry."""
