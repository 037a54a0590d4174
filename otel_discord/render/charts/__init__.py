"""PNG charts for the performance and system snapshots.

The chart a person sees in #performance is built in two steps kept apart:

- :mod:`~otel_discord.render.charts.spec` and :mod:`~otel_discord.render.charts.build`
  are pure data: a :class:`~otel_discord.state.timeline.Timeline` of the last hour
  becomes a :class:`Chart` (series, thresholds, axis ranges, units),
  which tests compare by equality;
- :mod:`~otel_discord.render.charts.draw` turns a ``Chart`` into PNG bytes in memory with
  Pillow, imported on first use on the sender thread (never on the bot's thread,
  never at ``import otel_discord``). Nothing is written to disk.

The timeline is aggregation state (:mod:`otel_discord.state.timeline`), the queue
item that draws at send time is delivery's (:mod:`otel_discord.delivery.chart_item`),
and :mod:`otel_discord.snapshot_charts` wires them to the pipeline.
``OTEL_EXPORTER_DISCORD_CHARTS=false`` turns charts off; the snapshots keep their
tables either way.
"""

from __future__ import annotations

from otel_discord.render.charts.build import performance_chart, system_chart
from otel_discord.render.charts.spec import Chart, Heatmap, Panel, Series, Threshold
from otel_discord.state.timeline import Timeline

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
