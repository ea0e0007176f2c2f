"""The console platform: prints messages as the platform it stands in for would show them."""
