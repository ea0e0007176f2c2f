"""Shared pieces of the config models: the strict base section and value checks."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    model_validator,
)

SAMPLE_DATA_DIR = Path(__file__).resolve().parent / "sample_data"
E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_HEX32 = r"[0-9a-fA-F]{32}"
_KIND_KEY = re.compile(r"^[a-z][a-z0-9_]*$")
_BOT_TOKEN = re.compile(r"\d+:[A-Za-z0-9_-]+")
_WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")  # what setWebhook accepts as secret_token


def _e164(value: str) -> str:
    if not E164.match(value):
        raise ValueError(f'"{value}" is not an E.164 number like "+2348012345678"')
    return value


PositiveId = Annotated[int, Field(ge=1)]
PhoneNumber = Annotated[str, AfterValidator(_e164)]


def _http_url(value: str, *, allow_empty: bool = False) -> str:
    if allow_empty and value == "":
        return value
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("must be an http:// or https:// URL")
    return value


class Section(BaseModel):
    """Base of every section: unknown keys are errors, values are read-only and not coerced."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    @model_validator(mode="before")
    @classmethod
    def _arrays_to_tuples(cls, data: Any) -> Any:
        # TOML arrays arrive as lists; strict mode only accepts tuples for our immutable fields.
        if isinstance(data, Mapping):
            return {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
        return data
