"""A real pipeline fed by the real OpenTelemetry SDK, with readings and time chosen by the test."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from opentelemetry.metrics import CallbackOptions, Observation
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

from otel_discord.monitors import FilesystemUsage, register_filesystem_gauges
from otel_discord.pipeline import Pipeline

START_NS = 1_764_338_400 * 1_000_000_000
"""2025-11-28 14:00:00 UTC: a fixed start so rendered times are stable."""

GAUGES: dict[str, tuple[str, str]] = {
    # reading name -> (metric, unit); the callback converts the chosen value
    "cpu": ("system.cpu.utilization", "1"),
    "memory": ("system.memory.utilization", "1"),
    "process_cpu": ("process.cpu.utilization", "1"),
    "rss": ("process.memory.usage", "By"),
    "latency": ("discord.gateway.latency", "s"),
    "loop_lag": ("discord.event_loop.lag", "s"),
    "connected": ("discord.connected", "{shard}"),
    "shards": ("discord.shards", "{shard}"),
}


@dataclass
class Clock:
    """The pipeline's clock: moves only when the test says so."""

    now_ns: int = START_NS

    def __call__(self) -> int:
        return self.now_ns

    def advance(self, seconds: float) -> int:
        self.now_ns += int(seconds * 1_000_000_000)
        return self.now_ns


@dataclass
class Rig:
    """Chosen readings -> observable gauges -> SDK collection -> ``pipeline.add_metrics``.

    Values are in human units: percentages for cpu/memory/disk/process_cpu, ms for
    latency and loop_lag, bytes for rss, counts for connected/shards; ``errors_per_min``
    raises the pipeline's error count as time passes. A reading set to None is not
    observed at all (no data).
    """

    pipeline: Pipeline
    clock: Clock
    reader: InMemoryMetricReader
    provider: MeterProvider
    values: dict[str, float | None] = field(default_factory=dict)
    errors: float = 0.0
    """Error-level problems so far (fractional; the pipeline sees the whole part)."""

    @classmethod
    def build(cls, pipeline: Pipeline, clock: Clock) -> Rig:
        reader = InMemoryMetricReader()
        provider = MeterProvider(metric_readers=[reader])
        rig = cls(pipeline, clock, reader, provider)
        meter = provider.get_meter("tests.monitors")
        for name, (metric, unit) in GAUGES.items():
            meter.create_observable_gauge(metric, callbacks=[rig._callback(name)], unit=unit)
        register_filesystem_gauges(provider, source=rig._filesystems)
        return rig

    def _callback(self, name: str) -> Any:
        def observe(_: CallbackOptions) -> Iterable[Observation]:
            value = self.values.get(name)
            if value is None:
                return []
            if name == "cpu":  # the SDK instrumentation reports idle share per CPU
                return [
                    Observation(1 - value / 100, {"cpu": cpu, "state": "idle"}) for cpu in (0, 1)
                ]
            if name in ("memory",):
                return [Observation(value / 100, {"state": "used"})]
            if name == "process_cpu":
                return [Observation(value / 100)]
            if name in ("latency", "loop_lag"):
                return [Observation(value / 1000)]
            return [Observation(value)]

        return observe

    def _filesystems(self) -> list[FilesystemUsage]:
        disk = self.values.get("disk")
        if disk is None:
            return []
        total = 100 * 2**30
        used = int(total * disk / 100)
        return [FilesystemUsage("/dev/vda1", "/", "ext4", used, total - used)]

    def step(self, seconds: float = 60.0, **values: float | None) -> None:
        """Set readings, let ``seconds`` pass, and export once into the pipeline."""
        self.values.update(values)
        self.clock.advance(seconds)
        self.errors += (self.values.get("errors_per_min") or 0.0) * seconds / 60
        self.pipeline.errors_seen = int(self.errors)
        data = self.reader.get_metrics_data()
        assert data is not None
        self.pipeline.add_metrics(data)

    def close(self) -> None:
        self.provider.shutdown()
