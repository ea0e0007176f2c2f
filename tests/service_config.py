"""Build configurations for whole-service tests: temp database, free port, console to a file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import tomli_w

from bot.config import Config, build_config


def service_data(tmp_path: Path, **sections: dict[str, Any]) -> dict[str, Any]:
    """Return config data for a service on a temp SQLite file and a free port."""
    data: dict[str, Any] = {
        "database": {"url": f"sqlite+aiosqlite:///{tmp_path / 'minbar.db'}"},
        "web": {"host": "127.0.0.1", "port": 0, "public_url": "http://127.0.0.1:8080"},
        "console": {"output": str(tmp_path / "console.txt")},
        "outbox": {"poll_interval": 0.05},
        "relay": {
            "destinations": [
                {"channel": "telegram", "chat_id": "@attaqwaa_demo", "kind": "channel"}
            ]
        },
    }
    for name, values in sections.items():
        data.setdefault(name, {}).update(values)
    return data


def service_config(tmp_path: Path, **sections: dict[str, Any]) -> Config:
    """Return a validated config for a whole-service test."""
    return build_config(service_data(tmp_path, **sections), {})


def write_config(path: Path, data: dict[str, Any]) -> Path:
    """Write config data as a TOML file and return its path."""
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    return path
