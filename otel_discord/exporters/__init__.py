"""The three OpenTelemetry SDK exporters (entry point name ``discord``), the span
exporter's processor (no worker thread) and the log exporter's (records cut as logged)."""

from __future__ import annotations

from otel_discord.exporters.log_processor import ClippingLogRecordProcessor
from otel_discord.exporters.logs import DiscordLogExporter
from otel_discord.exporters.metrics import DiscordMetricExporter
from otel_discord.exporters.span_processor import DiscordSpanProcessor
from otel_discord.exporters.traces import DiscordSpanExporter

__all__ = [
    "ClippingLogRecordProcessor",
    "DiscordLogExporter",
    "DiscordMetricExporter",
    "DiscordSpanExporter",
    "DiscordSpanProcessor",
]
