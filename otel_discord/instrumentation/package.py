"""The library this instrumentation instruments (read by ``opentelemetry-instrument``)."""

from __future__ import annotations

_instruments = ("discord.py >= 2.0",)
