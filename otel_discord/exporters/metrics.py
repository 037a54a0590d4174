"""``DiscordMetricExporter``: feeds the performance and system snapshots and the analytics summary.

Metrics don't map to messages one to one: each export updates in-memory history,
and the pipeline's schedules decide when a snapshot goes out, so the single
exporter ``opentelemetry-instrument`` creates drives every schedule.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from opentelemetry.sdk.metrics.export import (
    AggregationTemporality,
    MetricExporter,
    MetricExportResult,
    MetricsData,
)
from opentelemetry.sdk.metrics.view import Aggregation

from otel_discord.config import DiscordConfig
from otel_discord.exporters._base import DiscordExporterBase, timeout_seconds
from otel_discord.routing import Rule


class DiscordMetricExporter(DiscordExporterBase, MetricExporter):
    """A metric exporter for Discord. Arguments as for ``DiscordSpanExporter``."""

    def __init__(
        self,
        config: DiscordConfig | None = None,
        *,
        rules: Sequence[Rule] | None = None,
        preferred_temporality: dict[type, AggregationTemporality] | None = None,
        preferred_aggregation: dict[type, Aggregation] | None = None,
        **settings: Any,
    ) -> None:
        MetricExporter.__init__(
            self,
            preferred_temporality=preferred_temporality,
            preferred_aggregation=preferred_aggregation,
        )
        DiscordExporterBase.__init__(self, config, rules=rules, **settings)

    def export(
        self, metrics_data: MetricsData, timeout_millis: float = 10_000, **kwargs: Any
    ) -> MetricExportResult:
        if self._core.is_shutdown:
            return MetricExportResult.FAILURE
        return self._core.guard(
            "metric export", lambda: self._export(metrics_data), MetricExportResult.FAILURE
        )

    def _export(self, data: MetricsData) -> MetricExportResult:
        pipeline = self._core.pipeline
        if data.resource_metrics:
            pipeline.learn_resource(data.resource_metrics[0].resource)
        pipeline.start()
        pipeline.add_metrics(self._filtered(data))
        return MetricExportResult.SUCCESS

    def _filtered(self, data: MetricsData) -> MetricsData:
        """Drop metrics a user rule routes nowhere; without such rules nothing is copied."""
        if not self._core.router.has_user_rules("metrics"):
            return data
        router = self._core.router
        from opentelemetry.sdk.metrics.export import ResourceMetrics, ScopeMetrics

        return MetricsData(
            resource_metrics=[
                ResourceMetrics(
                    resource=rm.resource,
                    schema_url=rm.schema_url,
                    scope_metrics=[
                        ScopeMetrics(
                            scope=sm.scope,
                            schema_url=sm.schema_url,
                            metrics=[
                                m
                                for m in sm.metrics
                                if router.route("metrics", scope=sm.scope.name, name=m.name)
                                is not None
                            ],
                        )
                        for sm in rm.scope_metrics
                    ],
                )
                for rm in data.resource_metrics
            ]
        )

    def shutdown(self, timeout_millis: float | None = None, **kwargs: Any) -> None:
        timeout = timeout_seconds(timeout_millis, kwargs, 5.0)
        self._core.guard("shutdown", lambda: self._core.shutdown(timeout), False)
