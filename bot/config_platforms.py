"""Config sections of the platforms: [telegram], [whatsapp] and [twilio]."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import (
    Field,
    SecretStr,
    field_validator,
)

from bot.config_base import _BOT_TOKEN, _HEX32, _KIND_KEY, _WEBHOOK_SECRET, E164, Section, _http_url


class TelegramRateSettings(Section):
    """[telegram.rate]: token buckets under Telegram's published limits."""

    global_per_second: float = Field(29.7, gt=0)
    global_burst: int = Field(15, ge=1)
    per_chat_per_second: float = Field(0.99, gt=0)
    per_chat_burst: int = Field(2, ge=1)
    per_group_per_minute: float = Field(19.8, gt=0)
    per_group_burst: int = Field(2, ge=1)


LINK_PREVIEW_DEFAULTS: Mapping[str, bool] = {
    "topic_alert": False,
    "broadcast": True,
    "reply": False,
}


class TelegramSettings(Section):
    """[telegram]: the Telegram channel."""

    mode: Literal["console", "live", "off"] = "console"
    base_url: str = "https://api.telegram.org/bot"
    base_file_url: str = "https://api.telegram.org/file/bot"
    webhook_url: str = ""
    bot_username: str = ""
    """The bot's @username without the @, for t.me deep links ("" = no Telegram links)."""
    token: SecretStr | None = None
    webhook_secret: SecretStr | None = None
    link_preview: Mapping[str, bool] = Field(default_factory=lambda: dict(LINK_PREVIEW_DEFAULTS))
    rate: TelegramRateSettings = Field(default_factory=TelegramRateSettings)

    @field_validator("base_url", "base_file_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        return _http_url(value)

    @field_validator("webhook_url")
    @classmethod
    def _hook_url(cls, value: str) -> str:
        return _http_url(value, allow_empty=True)

    @field_validator("bot_username")
    @classmethod
    def _username(cls, value: str) -> str:
        if value and not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{4,31}", value.removeprefix("@")):
            raise ValueError("must be the bot's @username: 5-32 letters, digits and _")
        return value.removeprefix("@")

    @field_validator("token")
    @classmethod
    def _token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _BOT_TOKEN.fullmatch(value.get_secret_value()):
            raise ValueError('is not a bot token from @BotFather ("<digits>:<letters>")')
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _secret_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _WEBHOOK_SECRET.fullmatch(value.get_secret_value()):
            raise ValueError("must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
        return value

    @field_validator("link_preview", mode="before")
    @classmethod
    def _merge_preview_defaults(cls, value: Any) -> Any:
        # A partial table changes only the kinds it names; the rest keep their defaults.
        if isinstance(value, Mapping):
            for key in value:
                if not isinstance(key, str) or not _KIND_KEY.match(key):
                    raise ValueError(f'"{key}" is not a message kind name (a-z, 0-9, _)')
            return {**LINK_PREVIEW_DEFAULTS, **value}
        return value

    def preview_for(self, kind: str) -> bool:
        """Tell whether messages of ``kind`` show a link preview (unknown kinds: no)."""
        return self.link_preview.get(kind, False)


class WhatsAppTemplate(Section):
    """[whatsapp.templates.<kind>]: a Meta-approved Content API template for one message kind."""

    content_sid: str
    variables: tuple[str, ...] = ()
    language: Literal["en", "ha", "yo", "ar"] = "en"
    """The language of ``content_sid``: the fallback for a language without its own."""
    languages: Mapping[Literal["en", "ha", "yo", "ar"], str] = Field(default_factory=dict)
    """The same template approved in other languages: language → Content SID."""

    @field_validator("content_sid")
    @classmethod
    def _hx_sid(cls, value: str) -> str:
        if not re.fullmatch("HX" + _HEX32, value):
            raise ValueError('must be a Content SID: "HX" followed by 32 hex digits')
        return value

    @field_validator("languages")
    @classmethod
    def _hx_sids(cls, value: Mapping[str, str]) -> Mapping[str, str]:
        for code, sid in value.items():
            if not re.fullmatch("HX" + _HEX32, sid):
                raise ValueError(f'{code}: must be a Content SID: "HX" followed by 32 hex digits')
        return value

    @field_validator("variables")
    @classmethod
    def _distinct(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if any(not name for name in value):
            raise ValueError("variable names must not be empty")
        if len(set(value)) != len(value):
            raise ValueError("variable names must be distinct")
        return value


class WhatsAppRateSettings(Section):
    """[whatsapp.rate]: the per-sender token bucket."""

    per_second: float = Field(79.2, gt=0)
    burst: int = Field(79, ge=1)


class WhatsAppSettings(Section):
    """[whatsapp]: the WhatsApp channel (through Twilio)."""

    mode: Literal["console", "live", "off"] = "console"
    from_number: str = "whatsapp:+14155238886"
    templates: Mapping[str, WhatsAppTemplate] = Field(default_factory=dict)
    rate: WhatsAppRateSettings = Field(default_factory=WhatsAppRateSettings)

    @field_validator("from_number")
    @classmethod
    def _sender(cls, value: str) -> str:
        if not (value.startswith("whatsapp:") and E164.match(value.removeprefix("whatsapp:"))):
            raise ValueError('must be "whatsapp:" followed by an E.164 number ("whatsapp:+234...")')
        return value

    @field_validator("templates", mode="before")
    @classmethod
    def _kind_keys(cls, value: Any) -> Any:
        if isinstance(value, Mapping):
            for key in value:
                if not isinstance(key, str) or not _KIND_KEY.match(key):
                    raise ValueError(f'"{key}" is not a message kind name (a-z, 0-9, _)')
        return value


class TwilioSettings(Section):
    """[twilio]: the Twilio REST API used by the WhatsApp channel."""

    api_base_url: str = "https://api.twilio.com"
    account_sid: SecretStr | None = None
    auth_token: SecretStr | None = None

    @field_validator("api_base_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        return _http_url(value)

    @field_validator("account_sid")
    @classmethod
    def _ac_sid(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not re.fullmatch("AC" + _HEX32, value.get_secret_value()):
            raise ValueError('must be an Account SID: "AC" followed by 32 hex digits')
        return value
