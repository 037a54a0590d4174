"""What the pipeline needs for charts: a timeline fed by each export, a chart per snapshot.

The pipeline calls :meth:`SnapshotCharts.record` after each metric export (under
its lock) and :meth:`SnapshotCharts.chart` when a snapshot is due; with charts off
(``OTEL_EXPORTER_DISCORD_CHARTS=false``) both do nothing and snapshots stay text.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from otel_discord.config import DiscordConfig
from otel_discord.delivery.chart_item import ChartItem
from otel_discord.render.charts.build import Thresholds, performance_chart, system_chart, wants
from otel_discord.render.charts.spec import Chart
from otel_discord.render.types import Embed
from otel_discord.state.history import MetricHistory
from otel_discord.state.timeline import Timeline

_NS_PER_S: Final = 1e9


class SnapshotCharts:
    """The timeline of the chart readings and the charts built from it."""

    def __init__(self, config: DiscordConfig) -> None:
        self.enabled = config.charts
        self.timeline = Timeline(wants)
        self.thresholds = Thresholds(
            cpu_percent=float(config.alert_cpu_percent),
            memory_percent=float(config.alert_memory_percent),
            latency_ms=float(config.alert_latency_ms),
            disk_percent=float(config.alert_disk_percent),
        )

    def record(self, history: MetricHistory) -> None:
        """Take the newest readings after an export."""
        if self.enabled:
            self.timeline.record(history.readings())

    def chart(self, snapshot: str, end_ns: int) -> Chart | None:
        """The chart of the ``performance`` or ``system`` snapshot; None when off or no data."""
        if not self.enabled:
            return None
        end_s = end_ns / _NS_PER_S
        if snapshot == "system":
            return system_chart(self.timeline, end_s=end_s)
        return performance_chart(self.timeline, end_s=end_s, thresholds=self.thresholds)


def snapshot_item(embeds: Sequence[Embed], chart: Chart | None, *, key: str) -> ChartItem:
    """The queued snapshot (rendered with ``chart=chart.filename``); the PNG is drawn when
    it is sent."""
    return ChartItem(list(embeds), key=key, chart=chart if embeds else None)
