"""PNG charts for the performance and system snapshots.

The chart a person sees in #performance is built in two steps kept apart:

- :mod:`~otel_discord.charts.spec` and :mod:`~otel_discord.charts.build` are pure
  data: a :class:`Timeline` of the last hour becomes a :class:`Chart` (series,
  thresholds, axis ranges, units), which tests compare by equality;
- :mod:`~otel_discord.charts.draw` turns a ``Chart`` into PNG bytes in memory with
  Pillow, imported on first use on the sender thread (never on the bot's thread,
  never at ``import otel_discord``). Nothing is written to disk.

``OTEL_EXPORTER_DISCORD_CHARTS=false`` turns charts off; the snapshots keep their
tables either way.
"""

from __future__ import annotations

from otel_discord.charts.build import performance_chart, system_chart
from otel_discord.charts.spec import Chart, Heatmap, Panel, Series, Threshold
from otel_discord.charts.timeline import Timeline

__all__ = [
    "Chart",
    "Heatmap",
    "Panel",
    "Series",
    "Threshold",
    "Timeline",
    "performance_chart",
    "system_chart",
]
