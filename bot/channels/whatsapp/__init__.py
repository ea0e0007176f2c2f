"""The WhatsApp platform through Twilio: adapter, rendering, forms, errors and webhooks."""
