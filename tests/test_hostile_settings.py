"""Careless settings: secrets in URLs are refused without being echoed; shutdown says its result."""

from __future__ import annotations

import logging
import time

import pytest

from otel_discord import Channel, configure
from otel_discord.cli import main
from otel_discord.config import DiscordConfig
from otel_discord.errors import ConfigError
from otel_discord.exporters._base import MAX_SHUTDOWN_S
from tests.conftest import FourChannels

SECRET = "hunter2-very-secret"


class TestUserinfoInWebhookURL:
    """``https://SECRET@discord.com/...`` is a ConfigError naming the variable, not the secret."""

    @pytest.mark.parametrize(
        "url",
        [
            f"https://{SECRET}@discord.com/api/webhooks/123/abc",
            f"https://user:{SECRET}@discord.com/api/webhooks/123/abc",
        ],
    )
    def test_refused(self, url: str) -> None:
        """The message names the variable and never holds the userinfo."""
        env = {"OTEL_EXPORTER_DISCORD_WEBHOOK_URL": url}
        with pytest.raises(ConfigError, match="OTEL_EXPORTER_DISCORD_WEBHOOK_URL") as info:
            DiscordConfig.resolve(env=env)
        assert SECRET not in str(info.value)
        assert "user information" in str(info.value)

    def test_check_prints_no_secret(
        self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """``otel-discord check`` answers with one line and exit code 2, secret-free."""
        monkeypatch.setenv(
            "OTEL_EXPORTER_DISCORD_WEBHOOK_URL", f"https://{SECRET}@discord.com/api/webhooks/1/t"
        )
        assert 2 == main(["check"])
        out, err = capsys.readouterr()
        assert SECRET not in out + err
        assert 1 == len(err.strip().splitlines())


class TestTelemetryShutdown:
    """``Telemetry.shutdown()`` returns whether everything was delivered, as documented."""

    def test_true_when_delivered(self, four_channels: FourChannels) -> None:
        """An error logged, then shutdown: True, and the error is in #logs."""
        telemetry = configure(
            config=four_channels.config(),
            system_metrics=False,
            instrument_discord=False,
            set_global=False,
        )
        logger = logging.getLogger("app.shutdown")
        try:
            logger.error("disk quota exceeded on /srv")
        finally:
            result = telemetry.shutdown()
        assert result is True
        assert any("disk quota exceeded" in str(e) for e in four_channels.embeds(Channel.LOGS))

    def test_discord_down_keeps_one_deadline(self, four_channels: FourChannels) -> None:
        """Every step shares the 5 s: with Discord down it returned after 15 s (5 s each)."""
        telemetry = configure(
            config=four_channels.config(),
            system_metrics=False,
            instrument_discord=False,
            set_global=False,
        )
        logging.getLogger("app.shutdown").error("database unreachable")
        four_channels.server.down()
        started = time.monotonic()
        result = telemetry.shutdown()
        took = time.monotonic() - started
        assert result is False  # it says what was not delivered
        assert took < MAX_SHUTDOWN_S + 3.0, took  # a bound with room, not a speed figure
