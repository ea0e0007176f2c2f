"""The Telegram platform: adapter, rendering, errors, inbound translation and webhook."""
