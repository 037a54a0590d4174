"""A bot process for the gateway tests: the official OTLP/HTTP exporters, nothing of ours.

Usage: python _sender.py ENDPOINT INDEX SHARDS  (prints "sent" when its providers shut down)
Sends, per process: 20 spans "command ping" (4 of them failing), 3 error log records,
``discord.commands`` +10 (7 ok, 3 failed) over several cumulative exports, and
per-shard gauges for latency and connection.
"""

from __future__ import annotations

import os
import sys
import time

from opentelemetry._logs import LogRecord, SeverityNumber
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.metrics import CallbackOptions, Observation
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import Status, StatusCode

SPANS = 20
FAILED_SPANS = 4
ERROR_LOGS = 3
COMMANDS_OK = 7
COMMANDS_FAILED = 3


def main(endpoint: str, index: int, shards: list[int]) -> None:
    resource = Resource(
        {
            "service.name": "fleetbot",
            "service.instance.id": f"cluster-{index}",
            "host.name": f"host-{index % 2}",
            "process.pid": os.getpid(),
        }
    )
    headers = {"Authorization": f"Bearer {os.environ['GATEWAY_TOKEN']}"}
    gzip = Compression.Gzip
    tracer_provider = TracerProvider(resource=resource)
    tracer_provider.add_span_processor(
        BatchSpanProcessor(
            OTLPSpanExporter(f"{endpoint}/v1/traces", headers=headers, compression=gzip),
            schedule_delay_millis=50,
        )
    )
    logger_provider = LoggerProvider(resource=resource)
    logger_provider.add_log_record_processor(
        BatchLogRecordProcessor(OTLPLogExporter(f"{endpoint}/v1/logs", headers=headers))
    )
    reader = PeriodicExportingMetricReader(
        OTLPMetricExporter(f"{endpoint}/v1/metrics", headers=headers, compression=gzip),
        export_interval_millis=100,
    )
    meter_provider = MeterProvider(resource=resource, metric_readers=[reader])
    meter = meter_provider.get_meter("discord")

    def latency(_: CallbackOptions) -> list[Observation]:
        return [Observation(0.05 + 0.01 * s, {"discord.shard.id": s}) for s in shards]

    def connected(_: CallbackOptions) -> list[Observation]:
        return [Observation(1, {"discord.shard.id": s}) for s in shards]

    meter.create_observable_gauge("discord.gateway.latency", [latency], unit="s")
    meter.create_observable_gauge("discord.connected", [connected])
    commands = meter.create_counter("discord.commands")
    tracer = tracer_provider.get_tracer("discord")
    logger = logger_provider.get_logger("bot.commands")
    for n in range(SPANS):
        with tracer.start_as_current_span("command ping") as span:
            if n < FAILED_SPANS:
                span.set_status(Status(StatusCode.ERROR, "Forbidden"))
    for n in range(COMMANDS_OK + COMMANDS_FAILED):
        outcome = "success" if n < COMMANDS_OK else "failure"
        attrs = {"discord.command.name": "ping", "discord.command.outcome": outcome}
        commands.add(1, attrs)
        time.sleep(0.03)  # spread over several cumulative exports
    for n in range(ERROR_LOGS):
        logger.emit(
            LogRecord(
                body=f"database timeout after {n + 1} tries",
                severity_number=SeverityNumber.ERROR,
                severity_text="ERROR",
            )
        )
    tracer_provider.shutdown()
    logger_provider.shutdown()
    meter_provider.shutdown()
    print("sent", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), [int(s) for s in sys.argv[3].split(",")])
