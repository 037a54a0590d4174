"""In-memory OTel to read what the instrumented bot emitted.

The bot itself comes from ``otel_discord.offline.bot`` (a real discord.py bot fed
raw gateway payloads); only Discord's REST API is faked there.
"""

from __future__ import annotations

from typing import Any

from opentelemetry._logs import SeverityNumber
from opentelemetry.sdk._logs import LoggerProvider, ReadableLogRecord
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from otel_discord.offline.bot import FakeRest, World, make_bot, start

Point = tuple[dict[str, Any], Any]


class Otel:
    """Fresh SDK providers whose output stays in memory."""

    def __init__(self) -> None:
        self.span_exporter = InMemorySpanExporter()
        self.tracer_provider = TracerProvider()
        self.tracer_provider.add_span_processor(SimpleSpanProcessor(self.span_exporter))
        self.metric_reader = InMemoryMetricReader()
        self.meter_provider = MeterProvider(metric_readers=[self.metric_reader])
        self.log_exporter = InMemoryLogRecordExporter()
        self.logger_provider = LoggerProvider()
        self.logger_provider.add_log_record_processor(SimpleLogRecordProcessor(self.log_exporter))

    def providers(self) -> dict[str, Any]:
        """Keyword arguments for ``instrument()``."""
        return {
            "tracer_provider": self.tracer_provider,
            "meter_provider": self.meter_provider,
            "logger_provider": self.logger_provider,
        }

    def spans(self) -> list[ReadableSpan]:
        """Finished spans, oldest first."""
        return list(self.span_exporter.get_finished_spans())

    def span(self, name: str) -> ReadableSpan:
        """The one finished span called ``name``."""
        found = [span for span in self.spans() if span.name == name]
        assert len(found) == 1, f"expected one span {name!r}, got {[s.name for s in self.spans()]}"
        return found[0]

    def logs(self) -> list[ReadableLogRecord]:
        """Emitted log records, oldest first."""
        return list(self.log_exporter.get_finished_logs())

    def error_logs(self) -> list[ReadableLogRecord]:
        """Log records at ERROR severity or above."""
        return [
            record
            for record in self.logs()
            if (record.log_record.severity_number or SeverityNumber.UNSPECIFIED).value
            >= SeverityNumber.ERROR.value
        ]

    def log_events(self, event_name: str) -> list[ReadableLogRecord]:
        """Log records whose ``event.name`` attribute is ``event_name``."""
        return [
            record
            for record in self.logs()
            if (record.log_record.attributes or {}).get("event.name") == event_name
        ]

    def metrics(self) -> dict[str, list[Point]]:
        """Collect now: metric name -> [(attributes, value)] (sums, gauges, histogram counts)."""
        data = self.metric_reader.get_metrics_data()
        out: dict[str, list[Point]] = {}
        if data is None:
            return out
        for resource_metrics in data.resource_metrics:
            for scope_metrics in resource_metrics.scope_metrics:
                for metric in scope_metrics.metrics:
                    points = out.setdefault(metric.name, [])
                    for point in metric.data.data_points:
                        value = getattr(point, "value", None)
                        if value is None:
                            value = point.count  # type: ignore[union-attr]
                        points.append((dict(point.attributes or {}), value))
        return out

    def value(self, metrics: dict[str, list[Point]], name: str, **attributes: Any) -> Any:
        """The value of the one point of ``name`` whose attributes include ``attributes``."""
        wanted = {key.replace("__", "."): value for key, value in attributes.items()}
        matches = [
            value
            for attrs, value in metrics.get(name, [])
            if all(attrs.get(key) == expected for key, expected in wanted.items())
        ]
        assert len(matches) == 1, f"{name} {wanted}: {metrics.get(name)}"
        return matches[0]


__all__ = ["FakeRest", "Otel", "World", "make_bot", "start"]
