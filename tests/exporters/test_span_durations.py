"""Span durations in the analytics summary: p50/p95 from spans of known length, in ms."""

from __future__ import annotations

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from otel_discord import Channel
from otel_discord.exporters import DiscordSpanExporter

RESOURCE = Resource.create({"service.name": "astrobot", "host.name": "prod-1"})
T0 = 1_700_000_000_000_000_000
MS = 1_000_000
"""One millisecond in the nanoseconds spans carry."""


def span_table(four_channels: object, durations_ms: dict[str, list[int]]) -> list[str]:
    """Export spans of the given lengths; the rows of the summary's span table."""
    exporter = DiscordSpanExporter(four_channels.config())  # type: ignore[attr-defined]
    provider = TracerProvider(resource=RESOURCE)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("astrobot")
    for name, lengths in durations_ms.items():
        for index, length in enumerate(lengths):
            start = T0 + index * 1_000 * MS
            span = tracer.start_span(name, start_time=start)
            span.end(end_time=start + length * MS)
    exporter._core.pipeline.scheduler.run_now("analytics")
    assert exporter.force_flush(10_000)
    [summary] = four_channels.embeds(Channel.ANALYTICS)  # type: ignore[attr-defined]
    provider.shutdown()
    value = next(f["value"] for f in summary["fields"] if f["name"] == "Spans")
    return [line.rstrip() for line in value.split("\n")]


class TestSpanPercentiles:
    """p50 and p95 are nearest-rank percentiles of the span lengths, shown in ms or s."""

    def test_known_lengths_in_milliseconds(self, four_channels: object) -> None:
        """20 spans of 10, 20, ... 200 ms: p50 100ms, p95 190ms; 4 spans of 3 ms."""
        rows = span_table(
            four_channels,
            {"play": [10 * i for i in range(20, 0, -1)], "ping": [3, 3, 3, 3]},
        )
        assert [
            "24 spans · error rate 0.0 %",
            "```",
            "span                      n     p50     p95  err",
            "play                     20   100ms   190ms    0",
            "ping                      4     3ms     3ms    0",
            "```",
        ] == rows

    def test_long_spans_in_seconds(self, four_channels: object) -> None:
        """Spans of 12 s and more are shown in whole seconds, not as 12000ms."""
        rows = span_table(four_channels, {"backup": [12_000, 30_000, 45_000]})
        assert "backup                    3     30s     45s    0" == rows[3]
