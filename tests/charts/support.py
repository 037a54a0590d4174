"""Readings and timelines built by hand for the chart tests."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from opentelemetry.sdk.metrics.export import (
    Gauge,
    Metric,
    MetricsData,
    NumberDataPoint,
    ResourceMetrics,
    ScopeMetrics,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.util.instrumentation import InstrumentationScope

from otel_discord.render.charts.build import wants
from otel_discord.state.history import Reading
from otel_discord.state.timeline import Timeline

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


def export(at_s: float, *metrics: tuple[str, str, list[tuple[dict[str, object], float]]]) -> Any:
    """One SDK export of gauges ``(name, unit, [(attributes, value), ...])`` stamped ``at_s``."""
    at_ns = round(at_s * 1e9)
    built = [
        Metric(name, None, unit, Gauge([NumberDataPoint(dict(a), 0, at_ns, v) for a, v in points]))
        for name, unit, points in metrics
    ]
    scope = ScopeMetrics(InstrumentationScope("test"), built, "")
    return MetricsData([ResourceMetrics(Resource.create({}), [scope], "")])


def bot_export(at_s: float, *, cpu: float, memory: float, latency_s: float) -> Any:
    """CPU (two cores, ``cpu`` % busy each), memory % and gateway latency, as the SDK has them."""
    busy = cpu / 100
    cores = [({"cpu": n, "state": "idle"}, 1 - busy) for n in (0, 1)]
    cores += [({"cpu": n, "state": "user"}, busy) for n in (0, 1)]
    return export(
        at_s,
        ("system.cpu.utilization", "1", cores),
        ("system.memory.utilization", "1", [({"state": "used"}, memory / 100)]),
        ("process.cpu.utilization", "1", [({}, busy / 4)]),
        ("discord.gateway.latency", "s", [({"shard": 0}, latency_s)]),
    )
