"""Readings and timelines built by hand for the chart tests."""

from __future__ import annotations

from collections.abc import Mapping

from otel_discord.charts.build import wants
from otel_discord.charts.timeline import Timeline
from otel_discord.render.metrics_history import Reading

T0 = 1_764_680_400.0
"""2025-12-02 13:00:00 UTC, in unix seconds."""


def reading(key: str, value: float, at_s: float) -> Reading:
    at_ns = round(at_s * 1e9)
    return Reading(key, key, "", value, (value,), value, value, at_ns)


def feed(timeline: Timeline, at_s: float, values: Mapping[str, float]) -> None:
    """One export's readings, all stamped ``at_s``."""
    timeline.record({k: reading(k, v, at_s) for k, v in values.items()})


def timeline_of(rows: Mapping[float, Mapping[str, float]]) -> Timeline:
    """A timeline fed one export per (time, values) row, in time order."""
    timeline = Timeline(wants)
    for at_s in sorted(rows):
        feed(timeline, at_s, rows[at_s])
    return timeline
