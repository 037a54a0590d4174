"""otel-discord: OpenTelemetry telemetry streamed as readable embeds into Discord channels.

Three ways in:

- ``otel_discord.configure()`` sets up everything from code;
- ``DiscordSpanExporter`` / ``DiscordLogExporter`` / ``DiscordMetricExporter`` plug into
  an SDK setup of your own (or are chosen by name: ``OTEL_TRACES_EXPORTER=discord``),
  the span exporter behind ``DiscordSpanProcessor`` (no worker thread), the log exporter
  behind ``ClippingLogRecordProcessor`` (records cut as they are logged);
- ``opentelemetry-instrument python bot.py`` with only webhook variables set.
"""

from __future__ import annotations

from otel_discord.channels import Channel
from otel_discord.config import DiscordConfig
from otel_discord.errors import ConfigError
from otel_discord.exporters import (
    ClippingLogRecordProcessor,
    DiscordLogExporter,
    DiscordMetricExporter,
    DiscordSpanExporter,
    DiscordSpanProcessor,
)
from otel_discord.monitors import AlertRule
from otel_discord.routing import Rule
from otel_discord.setup import Telemetry, configure
from otel_discord.version import __version__

__all__ = [
    "AlertRule",
    "Channel",
    "ClippingLogRecordProcessor",
    "ConfigError",
    "DiscordConfig",
    "DiscordLogExporter",
    "DiscordMetricExporter",
    "DiscordSpanExporter",
    "DiscordSpanProcessor",
    "Rule",
    "Telemetry",
    "__version__",
    "configure",
]
