"""What a chart shows, as plain frozen data: series, thresholds, axis ranges and units.

No drawing here: tests compare these by equality, and the renderer only lays them out.
Times are unix seconds (UTC); colours are 0xRRGGBB.
"""

from __future__ import annotations

from dataclasses import dataclass

Point = tuple[float, float]
"""(unix seconds, value)."""


@dataclass(frozen=True)
class Series:
    """One line: a label for the legend, its colour and its points, oldest first."""

    label: str
    colour: int
    points: tuple[Point, ...]


@dataclass(frozen=True)
class Threshold:
    """An alert threshold, drawn as a dashed line (or marked off-scale when above the range)."""

    label: str
    value: float


@dataclass(frozen=True)
class Panel:
    """Lines over time sharing one y axis and one unit."""

    title: str
    unit: str
    series: tuple[Series, ...]
    y_range: tuple[float, float]
    thresholds: tuple[Threshold, ...] = ()


@dataclass(frozen=True)
class Heatmap:
    """One row per series (per-core CPU), coloured by value within ``value_range``."""

    title: str
    unit: str
    rows: tuple[Series, ...]
    value_range: tuple[float, float]


@dataclass(frozen=True)
class Chart:
    """Panels stacked over one shared time axis; ``filename`` is the attachment's name."""

    filename: str
    x_range: tuple[float, float]
    panels: tuple[Panel | Heatmap, ...]
    caption: str = ""
    """A short line under the time axis (what the window covers)."""
