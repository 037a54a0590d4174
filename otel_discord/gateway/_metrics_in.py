"""OTLP metric requests to the SDK's MetricsData, one per resource (sender).

Only gauges and sums feed the snapshots, monitors and analytics; histograms,
exponential histograms and summaries are accepted and left out (never rejected:
they are valid data the views just don't show). Points without a value, or sums
without a temporality, are rejected.
"""

from __future__ import annotations

import math
from typing import Final

from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.metrics.v1 import metrics_pb2
from opentelemetry.sdk.metrics.export import (
    AggregationTemporality,
    Gauge,
    Metric,
    MetricsData,
    NumberDataPoint,
    ResourceMetrics,
    ScopeMetrics,
    Sum,
)
from opentelemetry.sdk.util.instrumentation import InstrumentationScope

from otel_discord.gateway._records import Converted
from otel_discord.gateway._values import (
    NAME_CHARS,
    RESOURCE_TEXT_CHARS,
    Allowance,
    Interner,
    attributes,
    clip,
)

GATEWAY_SCOPE: Final = InstrumentationScope("otel_discord.gateway")
"""The scope of metrics the gateway re-emits (merged or per sender)."""
_NO_RECORDED_VALUE: Final = 1
POINT_BYTES: Final = 4096
"""Allowance of a data point's attributes: labels of a series kept per sender (1 KiB values)."""
_TEMPORALITY = {
    metrics_pb2.AGGREGATION_TEMPORALITY_DELTA: AggregationTemporality.DELTA,
    metrics_pb2.AGGREGATION_TEMPORALITY_CUMULATIVE: AggregationTemporality.CUMULATIVE,
}


def metrics_from(request: ExportMetricsServiceRequest, interner: Interner) -> Converted[Metric]:
    """Metrics grouped by resource; ``count`` is in data points, like ``rejected``."""
    out: Converted[Metric] = Converted()
    for resource_metrics in request.resource_metrics:
        resource = interner.resource(resource_metrics.resource, resource_metrics.schema_url)
        kept: list[Metric] = []
        for scope_metrics in resource_metrics.scope_metrics:
            for metric in scope_metrics.metrics:
                converted = _metric(metric, out)
                if converted is not None:
                    kept.append(converted)
        if kept:
            out.groups.append((resource, kept))
    return out


def point_count(converted: Converted[Metric]) -> int:
    return sum(
        len(metric.data.data_points) for _, metrics in converted.groups for metric in metrics
    )


def as_metrics_data(converted: Converted[Metric], index: int) -> MetricsData:
    """One resource's metrics as an SDK export (for a per-sender history)."""
    resource, metrics = converted.groups[index]
    return MetricsData([ResourceMetrics(resource, [ScopeMetrics(GATEWAY_SCOPE, metrics, "")], "")])


def _metric(metric: metrics_pb2.Metric, out: Converted[Metric]) -> Metric | None:
    kind = metric.WhichOneof("data")
    if kind not in ("gauge", "sum"):
        return None
    source = metric.gauge if kind == "gauge" else metric.sum
    if not metric.name:
        for _ in source.data_points:
            out.reject("metrics need a name")
        return None
    temporality = None
    if kind == "sum":
        temporality = _TEMPORALITY.get(metric.sum.aggregation_temporality)
        if temporality is None:
            for _ in source.data_points:
                out.reject("sums need an aggregation temporality")
            return None
    points = []
    for point in source.data_points:
        if point.flags & _NO_RECORDED_VALUE:
            continue
        which = point.WhichOneof("value")
        value = point.as_double if which == "as_double" else point.as_int
        if which is None or (isinstance(value, float) and not math.isfinite(value)):
            out.reject("data points need a finite value")
            continue
        points.append(
            NumberDataPoint(
                attributes(point.attributes, Allowance(POINT_BYTES, RESOURCE_TEXT_CHARS)),
                point.start_time_unix_nano,
                point.time_unix_nano,
                value,
            )
        )
    if not points:
        return None
    data: Gauge | Sum = (
        Gauge(points)
        if temporality is None
        else Sum(points, temporality, is_monotonic=metric.sum.is_monotonic)
    )
    description, unit = clip(metric.description, NAME_CHARS), clip(metric.unit, NAME_CHARS)
    return Metric(clip(metric.name, NAME_CHARS), description or None, unit or None, data)
