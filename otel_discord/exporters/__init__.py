"""The three OpenTelemetry SDK exporters (entry point name ``discord``) and the span
exporter's processor (no worker thread)."""

from __future__ import annotations

from otel_discord.exporters.logs import DiscordLogExporter
from otel_discord.exporters.metrics import DiscordMetricExporter
from otel_discord.exporters.span_processor import DiscordSpanProcessor
from otel_discord.exporters.traces import DiscordSpanExporter

__all__ = [
    "DiscordLogExporter",
    "DiscordMetricExporter",
    "DiscordSpanExporter",
    "DiscordSpanProcessor",
]
