"""Every secret the configuration holds, in each form it can take in a log line or an error.

The log redactor and the command line take their list from here, so a secret added to the
config schema (any ``SecretStr`` field) is redacted without touching them. Named
``secret_values`` rather than ``secrets``: run as a script from bot/, a ``secrets`` module here
would shadow the standard library's for every import in the process.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator, Mapping
from urllib.parse import unquote, urlsplit

from pydantic import BaseModel, SecretStr

from bot.channels.telegram.webhook import derived_webhook_secret
from bot.config import SECRET_KEYS, env_name
from bot.config_schema import Config

__all__ = ["derived_webhook_secret", "environment_secret_values", "secret_values"]

KeyPath = tuple[str, ...]

_WEBHOOK_SALT = b"minbar webhook secret"
_TELEGRAM_TOKEN: KeyPath = ("telegram", "token")
# (user, password) pairs sent as ``Authorization: Basic base64(user:password)``; a new pair
# (a Twilio API key SID and secret, say) is one line here.
_BASIC_AUTH_PAIRS: tuple[tuple[KeyPath, KeyPath], ...] = (
    (("twilio", "account_sid"), ("twilio", "auth_token")),
)


def secret_values(config: Config) -> tuple[str, ...]:
    """Return every secret in ``config`` and every value derived from one, longest first."""
    found = dict(_secret_fields(config, ()))
    extra: list[str] = []
    password = urlsplit(config.database.url).password
    if password:
        # The URL may carry it percent-encoded; a driver's message would show it decoded.
        extra += [password, unquote(password)]
    return _expand(found, extra)


def environment_secret_values(environ: Mapping[str, str]) -> tuple[str, ...]:
    """Return the secrets set in ``environ`` with their derived forms, for a config not loaded."""
    found: dict[KeyPath, str] = {
        key: environ[env_name(key)] for key in SECRET_KEYS if environ.get(env_name(key))
    }
    return _expand(found, [])


def _secret_fields(node: object, path: KeyPath) -> Iterator[tuple[KeyPath, str]]:
    if isinstance(node, SecretStr):
        yield path, node.get_secret_value()
    elif isinstance(node, BaseModel):
        for name in type(node).model_fields:
            yield from _secret_fields(getattr(node, name), (*path, name))
    elif isinstance(node, Mapping):
        for key, value in node.items():
            yield from _secret_fields(value, (*path, str(key)))
    elif isinstance(node, tuple | list):
        for index, value in enumerate(node):
            yield from _secret_fields(value, (*path, str(index)))


def _expand(found: Mapping[KeyPath, str], extra: list[str]) -> tuple[str, ...]:
    values = [*found.values(), *extra]
    token = found.get(_TELEGRAM_TOKEN)
    if token:
        # PTB registers the derived secret with setWebhook; the part after "<bot id>:" is what
        # makes the token secret and survives a percent-encoded colon.
        values += [token.partition(":")[2], derived_webhook_secret(token)]
    for user_key, password_key in _BASIC_AUTH_PAIRS:
        user, password = found.get(user_key), found.get(password_key)
        if user and password:
            values.append(base64.b64encode(f"{user}:{password}".encode()).decode("ascii"))
    return tuple(sorted({v for v in values if v}, key=lambda v: (-len(v), v)))
