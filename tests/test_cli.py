"""The `minbar` command line: config check, db upgrade, chat, and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.storage.migrate import head_revision
from tests.service_config import service_data, write_config

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """A CLI runner with no MINBAR_ variables leaking in from the machine."""
    import os

    for key in list(os.environ):
        if key.startswith("MINBAR_"):
            monkeypatch.delenv(key)
    return CliRunner()


def test_config_check_accepts_the_shipped_config(runner: CliRunner) -> None:
    """`minbar config check` passes on the shipped config.toml with no secrets set."""
    result = runner.invoke(app, ["config", "check", "--config", str(ROOT / "config.toml")])
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith(": ok")


def test_config_check_names_a_bad_key_and_exits_non_zero(runner: CliRunner, tmp_path: Path) -> None:
    """A misspelt key and a wrong type are both reported by name, and the exit code is 1."""
    data = service_data(tmp_path)
    data["forum"] = {"pol_interval": 30, "limit": "fifty"}
    config = write_config(tmp_path / "bad.toml", data)
    result = runner.invoke(app, ["config", "check", "--config", str(config)])
    assert result.exit_code == 1
    assert "forum.pol_interval" in result.output
    assert "forum.limit" in result.output


def test_config_check_catches_a_bad_environment_override(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An override from the environment is checked like the file and named with its variable."""
    config = write_config(tmp_path / "ok.toml", service_data(tmp_path))
    monkeypatch.setenv("MINBAR_FORUM__POLL_INTERVAL", "2")
    result = runner.invoke(app, ["config", "check", "--config", str(config)])
    assert result.exit_code == 1
    assert "forum.poll_interval" in result.output
    assert "MINBAR_FORUM__POLL_INTERVAL" in result.output


def test_run_refuses_to_start_on_an_invalid_config(runner: CliRunner, tmp_path: Path) -> None:
    """`minbar run` stops before starting anything when the config is invalid."""
    data = service_data(tmp_path)
    data["telegram"] = {"mode": "live"}
    config = write_config(tmp_path / "live.toml", data)
    result = runner.invoke(app, ["run", "--config", str(config)])
    assert result.exit_code == 2
    assert "MINBAR_TELEGRAM__TOKEN" in result.output


def test_db_upgrade_migrates_to_head(runner: CliRunner, tmp_path: Path) -> None:
    """`minbar db upgrade` creates the schema and prints the revision."""
    config = write_config(tmp_path / "db.toml", service_data(tmp_path))
    result = runner.invoke(app, ["db", "upgrade", "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert f"database at revision {head_revision()}" in result.output
    assert (tmp_path / "minbar.db").exists()


def test_chat_talks_as_a_person_on_the_chosen_platform(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`minbar chat --platform whatsapp` answers in a WhatsApp chat, shown as WhatsApp would."""
    monkeypatch.chdir(tmp_path)  # the chat's own database is var/chat.sqlite3 under the cwd
    data = service_data(tmp_path, web={"enabled": False})
    data["console"] = {"output": ""}
    config = write_config(tmp_path / "chat.toml", data)
    result = runner.invoke(
        app,
        [
            "chat",
            "--config",
            str(config),
            "--platform",
            "whatsapp",
            "--name",
            "Musa",
            "--language",
            "en",
        ],
        input="/start\n/quit\n",
    )
    assert result.exit_code == 0, result.output
    assert "── whatsapp → console-user (private) ──" in result.output
    assert "*Assalamu alaikum, Musa!*" in result.output


def test_chat_refuses_an_unknown_platform_and_the_old_style_option(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An unknown --platform exits 2 naming the choices; --style no longer exists."""
    monkeypatch.chdir(tmp_path)
    config = write_config(tmp_path / "chat.toml", service_data(tmp_path, web={"enabled": False}))
    result = runner.invoke(app, ["chat", "--config", str(config), "--platform", "signal"], input="")
    assert result.exit_code == 2
    assert "minbar: no platform called 'signal' here" in result.output
    assert "console, telegram, whatsapp" in result.output
    old = runner.invoke(app, ["chat", "--config", str(config), "--style", "whatsapp"], input="")
    assert old.exit_code == 2
    assert "No such option: --style" in old.output


def test_chat_on_the_configured_database_refuses_a_real_looking_user(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--use-config-database --user 1001` exits 2 before opening anything; --help says why."""
    monkeypatch.chdir(tmp_path)
    config = write_config(tmp_path / "chat.toml", service_data(tmp_path, web={"enabled": False}))
    args = ["chat", "--config", str(config), "--use-config-database", "--user", "1001"]
    result = runner.invoke(app, args, input="")
    assert result.exit_code == 2
    assert "only talks as a console identity" in result.output
    assert not (tmp_path / "minbar.db").exists()
    assert not (tmp_path / "var").exists()
    shown = runner.invoke(app, ["chat", "--help"], env={"COLUMNS": "200"})
    assert "--use-config-database" in shown.output
    assert "var/chat.sqlite3" in shown.output
