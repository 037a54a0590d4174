"""OTLP requests (made by the official encoders from real SDK records) back to SDK records."""

from __future__ import annotations

from opentelemetry._logs import SeverityNumber
from opentelemetry.exporter.otlp.proto.common._log_encoder import encode_logs
from opentelemetry.exporter.otlp.proto.common.metrics_encoder import encode_metrics
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.sdk._logs import LoggerProvider, ReadableLogRecord
from opentelemetry.sdk._logs.export import (
    LogRecordExporter,
    LogRecordExportResult,
    SimpleLogRecordProcessor,
)
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import AggregationTemporality, InMemoryMetricReader, Sum
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, Status, StatusCode

from otel_discord.gateway._metrics_in import metrics_from, point_count
from otel_discord.gateway._records import logs_from, spans_from
from otel_discord.gateway._values import Interner

RESOURCE = Resource({"service.name": "bot", "host.name": "h1", "process.pid": 42})


class _Logs(LogRecordExporter):
    def __init__(self) -> None:
        self.records: list[ReadableLogRecord] = []

    def export(self, batch: object) -> LogRecordExportResult:
        self.records.extend(batch)  # type: ignore[call-overload]
        return LogRecordExportResult.SUCCESS

    def shutdown(self) -> None:
        pass

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return True


def _spans() -> list[ReadableSpan]:
    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=RESOURCE)
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("discord", "1.0")
    with tracer.start_as_current_span("command", kind=SpanKind.SERVER) as parent:
        parent.set_attribute("discord.command.name", "ping")
        parent.set_attribute("tags", ["a", "b"])
        with tracer.start_as_current_span("db") as child:
            child.record_exception(ValueError("boom"))
            child.set_status(Status(StatusCode.ERROR, "db down"))
    return list(memory.get_finished_spans())


class TestSpans:
    """Spans survive encode -> decode with the fields the pipeline reads."""

    def test_round_trip(self) -> None:
        """Names, ids, parent, kind, status, events, attributes, scope and resource come back."""
        originals = _spans()
        converted = spans_from(encode_spans(originals), Interner())
        assert (0, 2) == (converted.rejected, converted.count)
        [(resource, spans)] = converted.groups
        assert dict(RESOURCE.attributes) == dict(resource.attributes)
        by_name = {s.name: s for s in spans}
        for original in originals:
            span = by_name[original.name]
            assert original.context.trace_id == span.context.trace_id
            assert original.context.span_id == span.context.span_id
            assert (original.parent.span_id if original.parent else None) == (
                span.parent.span_id if span.parent else None
            )
            assert original.kind == span.kind
            assert original.status.status_code == span.status.status_code
            assert (original.start_time, original.end_time) == (span.start_time, span.end_time)
            assert dict(original.attributes or {}) == dict(span.attributes or {})
            assert ("discord", "1.0") == (
                span.instrumentation_scope.name,
                span.instrumentation_scope.version,
            )
        db = by_name["db"]
        assert "db down" == db.status.description
        assert ["exception"] == [e.name for e in db.events]
        assert "ValueError" == db.events[0].attributes["exception.type"]

    def test_bad_ids_are_rejected_and_counted(self) -> None:
        """A span with a short trace id or no span id is rejected; the rest pass."""
        request = encode_spans(_spans())
        spans = request.resource_spans[0].scope_spans[0].spans
        spans[0].trace_id = b"\x01" * 5
        converted = spans_from(request, Interner())
        assert (1, 1) == (converted.rejected, converted.count)
        assert "16-byte trace id" in converted.reason


class TestLogs:
    """Log records keep severity, body, attributes, ids and event name."""

    def test_round_trip(self) -> None:
        """What the SDK emitted is what the pipeline sees."""
        sink = _Logs()
        provider = LoggerProvider(resource=RESOURCE)
        provider.add_log_record_processor(SimpleLogRecordProcessor(sink))
        tracer = TracerProvider().get_tracer("t")
        logger = provider.get_logger("bot.errors")
        with tracer.start_as_current_span("handler"):
            logger.emit(
                severity_number=SeverityNumber.ERROR,
                severity_text="ERROR",
                body={"text": "failed", "n": 2},
                attributes={"exception.type": "KeyError"},
                event_name="bot.failure",
            )
        [original] = sink.records
        converted = logs_from(encode_logs(sink.records), Interner())
        [(_, [record])] = converted.groups
        got, want = record.log_record, original.log_record
        assert want.severity_number == got.severity_number
        assert ("ERROR", "bot.failure") == (got.severity_text, got.event_name)
        assert {"text": "failed", "n": 2} == got.body
        assert {"exception.type": "KeyError"} == dict(got.attributes or {})
        assert (want.trace_id, want.span_id) == (got.trace_id, got.span_id)
        assert "bot.errors" == record.instrumentation_scope.name


class TestMetrics:
    """Gauges and sums convert; histograms are accepted but left out."""

    def test_sums_and_gauges(self) -> None:
        """Counters keep temporality and monotonicity; gauges their points."""
        reader = InMemoryMetricReader()
        provider = MeterProvider(resource=RESOURCE, metric_readers=[reader])
        meter = provider.get_meter("m")
        meter.create_counter("discord.commands").add(3, {"discord.command.name": "ping"})
        meter.create_histogram("latency").record(1.5)
        meter.create_up_down_counter("queue").add(-2)
        data = reader.get_metrics_data()
        assert data is not None
        converted = metrics_from(encode_metrics(data), Interner())
        [(_, metrics)] = converted.groups
        by_name = {m.name: m for m in metrics}
        assert {"discord.commands", "queue"} == set(by_name)
        commands = by_name["discord.commands"].data
        assert isinstance(commands, Sum)
        assert commands.is_monotonic
        assert AggregationTemporality.CUMULATIVE == commands.aggregation_temporality
        assert 3 == commands.data_points[0].value
        assert {"discord.command.name": "ping"} == dict(commands.data_points[0].attributes or {})
        assert 2 == point_count(converted)

    def test_points_without_value_or_temporality_are_rejected(self) -> None:
        """A sum without temporality and a point without value count as rejected points."""
        request = ExportMetricsServiceRequest()
        scope = request.resource_metrics.add().scope_metrics.add()
        no_temporality = scope.metrics.add(name="a")
        no_temporality.sum.data_points.add(as_int=1)
        no_value = scope.metrics.add(name="b")
        no_value.gauge.data_points.add()
        no_value.gauge.data_points.add(as_double=2.5)
        converted = metrics_from(request, Interner())
        assert 2 == converted.rejected
        assert 1 == point_count(converted)
