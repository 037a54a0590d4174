"""otel-discord: OpenTelemetry telemetry streamed as readable embeds into Discord channels."""

from __future__ import annotations

from otel_discord.channels import Channel
from otel_discord.config import DiscordConfig
from otel_discord.errors import ConfigError

__all__ = ["Channel", "ConfigError", "DiscordConfig"]
