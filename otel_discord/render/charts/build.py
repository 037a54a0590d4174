"""From a timeline and the alert thresholds to the charts' data (pure: no clock, no I/O).

The performance chart stacks three panels over the last hour: CPU (host and
process) and memory in %, gateway latency in ms, events per minute. The system
chart shows per-core CPU as a heatmap (one row per core, readable at any core
count), then disk and network rates in a binary unit chosen from the peak.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from otel_discord.render.charts import theme
from otel_discord.render.charts.spec import Chart, Heatmap, Panel, Point, Series, Threshold
from otel_discord.render.style import utc_seconds
from otel_discord.state import reading_keys as rk
from otel_discord.state.timeline import HOUR_S, Timeline

PERFORMANCE_FILE: Final = "performance.png"
SYSTEM_FILE: Final = "system.png"

CPU: Final = rk.CPU
PROCESS_CPU: Final = rk.PROCESS_CPU
MEMORY: Final = rk.MEMORY
LATENCY: Final = rk.LATENCY
EVENTS: Final = rk.EVENTS_PER_MIN
CORE_PREFIX: Final = rk.CORE_PREFIX
RATES: Final = (rk.DISK_READ, rk.DISK_WRITE, rk.NET_RX, rk.NET_TX)
CHART_KEYS: Final = frozenset({CPU, PROCESS_CPU, MEMORY, LATENCY, EVENTS, *RATES})

PERCENT_RANGE: Final = (0.0, 100.0)
MIN_LATENCY_TOP_MS: Final = 100.0
MIN_EVENTS_TOP: Final = 10.0
MIN_RATE_TOP: Final = 1.0
HEADROOM: Final = 1.1
"""The top of a free axis sits at least this far above the highest point."""
_NICE_STEPS: Final = (1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)
_BYTE_UNITS: Final = ("B/s", "KiB/s", "MiB/s", "GiB/s", "TiB/s")


MAX_CORES: Final = 64
"""Cores drawn at most (0..63): with the other readings, under the timeline's key cap."""


def wants(key: str) -> bool:
    """Whether the timeline keeps ``key``: the charts' readings and per-core CPU (64 cores)."""
    if key in CHART_KEYS:
        return True
    if not (key.startswith(CORE_PREFIX) and key.endswith(".percent")):
        return False
    name = _core_name(key)
    return not name.isdigit() or int(name) < MAX_CORES


@dataclass(frozen=True)
class Thresholds:
    """The alert thresholds (from the configuration): lines on the performance chart, and
    the snapshots' colour (``render.performance.severity_colour``)."""

    cpu_percent: float = 90.0
    memory_percent: float = 90.0
    latency_ms: float = 1000.0
    disk_percent: float = 90.0


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 × 10^k at or above ``value``.

    Axis tops that read well, with a middle line at a round value too.
    """
    if not math.isfinite(value) or value <= 0:
        return 1.0
    magnitude = 10.0 ** math.floor(math.log10(value))
    for step in _NICE_STEPS:
        top = step * magnitude
        if top >= value * (1 - 1e-12):
            return top
    return 10.0 * magnitude  # pragma: no cover - the loop always ends at 10


def x_range(timeline: Timeline, end_s: float, *, span_s: float = HOUR_S) -> tuple[float, float]:
    """The last hour up to ``end_s``, or since the first point when that is later.

    A point newer than ``end_s`` (a sender's clock a little ahead of ours) moves the
    end: the chart always shows the newest export, as the table beside it does.
    """
    end_s = max(end_s, timeline.newest_s)
    first = timeline.first_s()
    start = end_s - span_s if first is None else max(end_s - span_s, first)
    return (start, end_s) if end_s > start else (end_s - 60.0, end_s)


def _window(points: Sequence[Point], start: float, end: float) -> tuple[Point, ...]:
    return tuple(p for p in points if start <= p[0] <= end)


def _top(series: Sequence[Series], floor: float) -> float:
    peak = max((v for s in series for _, v in s.points), default=0.0)
    return nice_ceiling(max(peak * HEADROOM, floor))


def performance_chart(timeline: Timeline, *, end_s: float, thresholds: Thresholds) -> Chart | None:
    """CPU and memory %, gateway latency and events/min over the last hour; None if no data."""
    start, end = x_range(timeline, end_s)

    def line(key: str, label: str, colour: int) -> Series | None:
        points = _window(timeline.series(key), start, end)
        return Series(label, colour, points) if points else None

    panels: list[Panel | Heatmap] = []
    usage = [
        s
        for s in (
            line(CPU, "host CPU", theme.BLUE),
            line(PROCESS_CPU, "bot CPU", theme.GREEN),
            line(MEMORY, "memory", theme.YELLOW),
        )
        if s is not None
    ]
    if usage:
        limits = [Threshold("alert", thresholds.cpu_percent)]
        if thresholds.memory_percent != thresholds.cpu_percent:
            limits.append(Threshold("memory alert", thresholds.memory_percent))
        panels.append(Panel("CPU and memory", "%", tuple(usage), PERCENT_RANGE, tuple(limits)))
    latency = line(LATENCY, "gateway latency", theme.FUCHSIA)
    if latency is not None:
        top = _top([latency], MIN_LATENCY_TOP_MS)
        if _peak(latency) * 2 >= thresholds.latency_ms:
            top = max(top, nice_ceiling(thresholds.latency_ms * HEADROOM))
        alert = (Threshold("alert", thresholds.latency_ms),)
        panels.append(Panel("Gateway latency", "ms", (latency,), (0.0, top), alert))
    events = line(EVENTS, "events", theme.CYAN)
    if events is not None:
        panels.append(
            Panel("Gateway events", "/min", (events,), (0.0, _top([events], MIN_EVENTS_TOP)))
        )
    if not panels:
        return None
    return Chart(PERFORMANCE_FILE, (start, end), tuple(panels), caption(start, end))


def _peak(series: Series) -> float:
    return max((v for _, v in series.points), default=0.0)


def system_chart(timeline: Timeline, *, end_s: float) -> Chart | None:
    """Per-core CPU heatmap, disk and network rates over the last hour; None if no data."""
    start, end = x_range(timeline, end_s)
    panels: list[Panel | Heatmap] = []
    cores = sorted((k for k in timeline.names() if k.startswith(CORE_PREFIX)), key=_core_number)
    rows = tuple(
        Series(f"core {_core_name(k)}", theme.BLUE, pts)
        for k in cores
        if (pts := _window(timeline.series(k), start, end))
    )
    if rows:
        panels.append(Heatmap("CPU per core", "%", rows, PERCENT_RANGE))
    else:
        cpu = _window(timeline.series(CPU), start, end)
        if cpu:
            panels.append(Panel("CPU", "%", (Series("host CPU", theme.BLUE, cpu),), PERCENT_RANGE))
    for title, pairs in (
        ("Disk", ((RATES[0], "read", theme.GREEN), (RATES[1], "write", theme.YELLOW))),
        ("Network", ((RATES[2], "received", theme.CYAN), (RATES[3], "sent", theme.FUCHSIA))),
    ):
        raw = [
            (label, colour, _window(timeline.series(k), start, end)) for k, label, colour in pairs
        ]
        present = [(label, colour, pts) for label, colour, pts in raw if pts]
        if present:
            panels.append(_rate_panel(title, present))
    if not panels:
        return None
    return Chart(SYSTEM_FILE, (start, end), tuple(panels), caption(start, end))


def _rate_panel(title: str, lines: Sequence[tuple[str, int, tuple[Point, ...]]]) -> Panel:
    """Bytes per second scaled to the binary unit that keeps the peak under 1000."""
    peak = max(v for _, _, pts in lines for _, v in pts)
    index, scale = 0, 1.0
    while index < len(_BYTE_UNITS) - 1 and peak / scale >= 1000:
        index, scale = index + 1, scale * 1024
    series = tuple(
        Series(label, colour, tuple((t, v / scale) for t, v in pts)) for label, colour, pts in lines
    )
    return Panel(title, _BYTE_UNITS[index], series, (0.0, _top(series, MIN_RATE_TOP)))


def _core_name(key: str) -> str:
    return key[len(CORE_PREFIX) :].rsplit(".", 1)[0]


def _core_number(key: str) -> tuple[int, int, str]:
    name = _core_name(key)
    return (0, int(name), "") if name.isdigit() else (1, 0, name)


def caption(start_s: float, end_s: float) -> str:
    """``last 60 min · 13:05 to 14:05 UTC``: what the time axis covers (no en dash: the
    built-in font has none)."""
    minutes = max(1, math.ceil((end_s - start_s) / 60 - 1e-9))
    first, last = (utc_seconds(t) for t in (start_s, end_s))
    return f"last {minutes} min · {first:%H:%M} to {last:%H:%M} UTC"
