"""What a request costs once decoded is held against the byte budget before it is decoded.

8 MiB of empty protobuf sub-messages decode to about 700 MB; a few such requests (7 KB
each, gzipped) took the gateway past 1.3 GB and held real senders up for 10 to 40 s.
"""

from __future__ import annotations

import gzip
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from google.protobuf.message import Message
from opentelemetry.exporter.otlp.proto.common._log_encoder import encode_logs
from opentelemetry.exporter.otlp.proto.common.metrics_encoder import encode_metrics
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from otel_discord.gateway._wire import ITEM_BYTES, ITEMS, MESSAGE_BYTES, protobuf_cost

PROTOBUF = {"Content-Type": "application/x-protobuf"}
RESOURCE = Resource({"service.name": "bot", "host.name": "h1", "process.pid": 42})


def _length_delimited(field: int, payload: bytes) -> bytes:
    size, varint = len(payload), b""
    while size >= 0x80:
        varint += bytes([size & 0x7F | 0x80])
        size >>= 7
    return bytes([field << 3 | 2]) + varint + bytes([size]) + payload


def _empty_spans(count: int) -> bytes:
    """ResourceSpans > ScopeSpans > ``count`` empty spans: two bytes on the wire each."""
    spans = _length_delimited(2, b"") * count
    return _length_delimited(1, _length_delimited(2, spans))


def _spans_body(count: int, attrs: int) -> bytes:
    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=RESOURCE)
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("discord", "1.0")
    for n in range(count):
        with tracer.start_as_current_span("command ping") as span:
            for a in range(attrs):
                span.set_attribute(f"discord.attr{a}", f"value-{n}-{a}")
            span.add_event("step", {"n": n, "tags": ["a", "b"]})
    return encode_spans(memory.get_finished_spans()).SerializeToString()


def _logs_body() -> bytes:
    memory = InMemoryLogRecordExporter()
    provider = LoggerProvider(resource=RESOURCE)
    provider.add_log_record_processor(SimpleLogRecordProcessor(memory))
    logger = provider.get_logger("bot")
    from opentelemetry._logs import LogRecord

    for n in range(20):
        logger.emit(LogRecord(body={"n": n, "items": [1, {"deep": [n]}]}, attributes={"k": n}))
    return encode_logs(memory.get_finished_logs()).SerializeToString()


def _metrics_body() -> bytes:
    reader = InMemoryMetricReader()
    provider = MeterProvider(resource=RESOURCE, metric_readers=[reader])
    meter = provider.get_meter("discord")
    counter = meter.create_counter("discord.commands")
    histogram = meter.create_histogram("discord.command.duration")
    for n in range(30):
        counter.add(1, {"discord.command.name": f"c{n % 7}"})
        histogram.record(0.1 * n, {"discord.command.name": f"c{n % 3}"})
    data = reader.get_metrics_data()
    assert data is not None
    return encode_metrics(data).SerializeToString()


def _reference_cost(message: Message) -> int:
    """The same charges, counted on the decoded message (slow, exact)."""
    cost = 0
    for field, value in message.ListFields():
        if field.message_type is None:
            continue
        children = value if field.is_repeated else [value]
        for child in children:
            extra = ITEM_BYTES if field.message_type.full_name in ITEMS else 0
            cost += MESSAGE_BYTES + extra + _reference_cost(child)
    return cost


class TestProtobufCost:
    """The wire walk counts exactly what decoding would make."""

    @pytest.mark.parametrize(
        ("body", "message"),
        [
            (_spans_body(25, 4), ExportTraceServiceRequest),
            (_logs_body(), ExportLogsServiceRequest),
            (_metrics_body(), ExportMetricsServiceRequest),
        ],
        ids=["spans", "logs", "metrics"],
    )
    def test_matches_the_decoded_message(self, body: bytes, message: type[Message]) -> None:
        """Spans with events, logs with nested bodies, sums and histograms from the real SDK."""
        decoded = message()
        decoded.ParseFromString(body)
        expected = _reference_cost(decoded)
        assert expected > 20 * MESSAGE_BYTES
        assert expected == protobuf_cost(body, message, 1 << 40)

    def test_empty_spans_cost_their_items(self) -> None:
        """1,000 empty spans: 1,000 items and their messages, though only 2 KB on the wire."""
        cost = protobuf_cost(_empty_spans(1000), ExportTraceServiceRequest, 1 << 40)
        assert 2 * MESSAGE_BYTES + 1000 * (MESSAGE_BYTES + ITEM_BYTES) == cost

    def test_walk_stops_past_the_limit(self) -> None:
        """4 million empty spans with a 1 MB limit: the walk ends within a few thousand."""
        started = time.perf_counter()
        cost = protobuf_cost(_empty_spans(4_000_000), ExportTraceServiceRequest, 1_000_000)
        assert 1_000_000 < cost <= 1_000_000 + MESSAGE_BYTES + ITEM_BYTES
        assert time.perf_counter() - started < 1.0

    @pytest.mark.parametrize(
        "body",
        [b"\xff" * 20, b"\x0a\xff\xff\xff\xff\x0f", b"\x0a\x05\x12", b"\x0b\x0c", b"\x0a"],
        ids=["varint-run", "length-past-end", "short", "group", "cut"],
    )
    def test_malformed_wire_does_not_raise(self, body: bytes) -> None:
        """Garbage ends the walk; decoding then answers 400."""
        assert protobuf_cost(body, ExportTraceServiceRequest, 1 << 40) >= 0


def _rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc for RSS")
class TestDecodeBombs:
    """Small requests that decode to a lot are refused before they are decoded."""

    def test_gzip_of_empty_spans_is_413_and_decodes_nothing(self, make_gateway: Any) -> None:
        """7.6 KB of gzip, 7.6 MB inflated, 4 million spans: 413, and memory stays put."""
        gateway = make_gateway()
        body = gzip.compress(_empty_spans(3_900_000), 9)
        assert len(body) < 10_000
        peak, done = [_rss_bytes()], threading.Event()
        start_rss = peak[0]

        def watch() -> None:
            while not done.is_set():
                peak[0] = max(peak[0], _rss_bytes())
                time.sleep(0.005)

        watcher = threading.Thread(target=watch)
        watcher.start()
        try:
            answer = httpx.post(
                f"{gateway.url}/v1/traces",
                content=body,
                headers={**PROTOBUF, "Content-Encoding": "gzip"},
                timeout=60,
            )
        finally:
            done.set()
            watcher.join()
        assert 413 == answer.status_code
        assert b"too large once decoded; send smaller batches" in answer.content
        assert peak[0] - start_rss < 100 * 1024 * 1024, f"{(peak[0] - start_rss) >> 20} MiB"
        assert 0 == gateway._receiver.budget.used

    def test_json_of_empty_records_is_413(self, make_gateway: Any) -> None:
        """1 MB of ``{},`` (350,000 log records in JSON): 413 before parsing."""
        gateway = make_gateway()
        records = ",".join(["{}"] * 350_000)
        body = f'{{"resourceLogs":[{{"scopeLogs":[{{"logRecords":[{records}]}}]}}]}}'.encode()
        answer = httpx.post(
            f"{gateway.url}/v1/logs",
            content=body,
            headers={"Content-Type": "application/json"},
            timeout=60,
        )
        assert 413 == answer.status_code
        assert "too large once decoded" in answer.json()["message"]

    def test_collector_sized_batch_still_accepted(self, make_gateway: Any) -> None:
        """4,096 spans with 8 attributes and an event each (the example Collector's batch): 200."""
        gateway = make_gateway()
        body = gzip.compress(_spans_body(4096, 8))
        answer = httpx.post(
            f"{gateway.url}/v1/traces",
            content=body,
            headers={**PROTOBUF, "Content-Encoding": "gzip"},
            timeout=60,
        )
        assert 200 == answer.status_code
        assert gateway.flush(10.0)
        assert 4096 == gateway.stats.figures().items
