"""The WhatsApp platform as ``bot.app`` sees it: ``[whatsapp]``, ``[twilio]`` and ``[web]``."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from urllib.parse import urlsplit

from bot.channels.platform import ChannelHooks, Platform
from bot.channels.whatsapp.render import MAX_BODY
from bot.config import Config
from bot.core.channel import Capabilities, Channel
from bot.core.ids import ChannelName
from bot.core.rates import RatePolicy

NAME = ChannelName("whatsapp")
SESSION_WINDOW = timedelta(hours=24)
"""WhatsApp's customer-service window: free-form messages only this long after the person's last."""
WHATSAPP_CAPABILITIES = Capabilities(
    buttons=False,
    edits=False,
    max_text=MAX_BODY,
    session_window=SESSION_WINDOW,
    keywords=True,
)


def _capabilities(config: Config) -> Capabilities:
    return replace(WHATSAPP_CAPABILITIES, templates=frozenset(config.whatsapp.templates))


def _rate(config: Config) -> RatePolicy:
    # One sender number has one budget; Twilio queues per number, not per recipient.
    wa = config.whatsapp.rate
    return RatePolicy(global_per_second=wa.per_second, global_burst=wa.burst)


def _build(config: Config, hooks: ChannelHooks) -> Channel:
    from bot.channels.whatsapp.adapter import WhatsAppChannel
    from bot.channels.whatsapp.render import WhatsAppTemplate

    sid, token = config.twilio.account_sid, config.twilio.auth_token
    # The config check requires both in live mode.
    assert sid is not None
    assert token is not None
    return WhatsAppChannel(
        sid.get_secret_value(),
        token,
        config.whatsapp.from_number,
        hooks.on_inbound,
        api_base_url=config.twilio.api_base_url,
        public_url=config.web.public_url,
        templates={
            kind: WhatsAppTemplate(
                t.content_sid,
                tuple(t.variables),
                t.language,
                {str(code): sid for code, sid in t.languages.items()},
            )
            for kind, t in config.whatsapp.templates.items()
        },
        on_report=hooks.on_report,
    )


def _warnings(config: Config) -> list[str]:
    host = (urlsplit(config.web.public_url).hostname or "").lower()
    if config.whatsapp.mode == "live" and (host == "localhost" or host.startswith("127.")):
        return [
            f"web.public_url is {config.web.public_url}: Twilio cannot reach a loopback address, "
            "and webhook signatures are checked against this URL"
        ]
    return []


WHATSAPP = Platform(
    name=NAME,
    mode=lambda config: config.whatsapp.mode,
    capabilities=_capabilities,
    rate_policy=_rate,
    admins=lambda config: frozenset(config.admins.whatsapp),
    build_live=_build,
    warnings=_warnings,
)
