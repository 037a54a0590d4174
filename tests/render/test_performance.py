"""Tests for the metric history and the performance/system snapshot embeds."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from datetime import datetime, timezone
from itertools import takewhile
from typing import Any

import pytest
from opentelemetry.instrumentation.system_metrics import SystemMetricsInstrumentor
from opentelemetry.metrics import CallbackOptions, Observation
from opentelemetry.sdk.metrics import Counter, MeterProvider
from opentelemetry.sdk.metrics.export import (
    AggregationTemporality,
    Gauge,
    InMemoryMetricReader,
    Metric,
    MetricsData,
    NumberDataPoint,
    ResourceMetrics,
    ScopeMetrics,
    Sum,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.util.instrumentation import InstrumentationScope

from otel_discord.render import limits
from otel_discord.render.charts.build import Thresholds
from otel_discord.render.performance import (
    GREEN,
    RED,
    YELLOW,
    render_performance,
    render_system,
    window_line,
)
from otel_discord.state.history import STALE_AFTER_INGESTS, MetricHistory

BOT_SCOPE = "otel_discord.instrumentation.discord"
T0 = int(datetime(2026, 11, 28, 14, 0, tzinfo=timezone.utc).timestamp()) * 1_000_000_000
S = 1_000_000_000
MIB = 1024 * 1024
Points = Sequence[tuple[dict[str, Any], float]]


def gauge(name: str, points: Points, *, at: int, unit: str = "") -> Metric:
    data = [NumberDataPoint(dict(a), 0, at, v) for a, v in points]
    return Metric(name, None, unit, Gauge(data))


def counter(
    name: str,
    points: Points,
    *,
    at: int,
    start: int = T0,
    temporality: AggregationTemporality = AggregationTemporality.CUMULATIVE,
    monotonic: bool = True,
) -> Metric:
    data = [NumberDataPoint(dict(a), start, at, v) for a, v in points]
    return Metric(name, None, "", Sum(data, temporality, monotonic))


def export(*metrics: Metric) -> MetricsData:
    scope = ScopeMetrics(InstrumentationScope("test"), list(metrics), "")
    return MetricsData([ResourceMetrics(Resource.create({}), [scope], "")])


def assert_within_discord_limits(embeds: list[dict[str, Any]]) -> None:
    """The checks a strict Discord makes, plus our 55-column code blocks."""
    assert len(embeds) <= limits.MESSAGE_EMBEDS
    total = 0
    for embed in embeds:
        assert len(embed["title"]) <= limits.EMBED_TITLE
        assert len(embed["description"]) <= limits.EMBED_DESCRIPTION
        assert 0 <= embed["color"] <= limits.COLOR_MAX
        fields = embed.get("fields", [])
        assert len(fields) <= limits.EMBED_FIELDS
        for f in fields:
            assert 0 < len(f["name"].strip()) <= limits.EMBED_FIELD_NAME
            assert 0 < len(f["value"].strip()) <= limits.EMBED_FIELD_VALUE
        assert 0 < len(embed["footer"]["text"]) <= limits.EMBED_FOOTER_TEXT
        datetime.fromisoformat(embed["timestamp"])
        block = embed["description"].split("```")[1]
        assert all(len(line) <= limits.CODE_BLOCK_WIDTH for line in block.split("\n"))
        total += len(embed["title"]) + len(embed["description"]) + len(embed["footer"]["text"])
        total += sum(len(f["name"]) + len(f["value"]) for f in fields)
    assert total <= limits.EMBED_TOTAL


@pytest.fixture(scope="module")
def system_sdk() -> Iterator[tuple[MeterProvider, InMemoryMetricReader]]:
    """A real meter provider with the real system-metrics instrumentation on."""
    reader = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[reader])
    instrumentor = SystemMetricsInstrumentor()
    instrumentor.instrument(meter_provider=provider)
    bot = provider.get_meter(BOT_SCOPE)
    bot.create_observable_gauge(
        "discord.gateway.latency",
        [lambda _: [Observation(0.05 * (s % 4), {"shard": s}) for s in range(32)]],
        unit="s",
    )
    try:
        yield provider, reader
    finally:
        instrumentor.uninstrument()
        provider.shutdown()


def collect(reader: InMemoryMetricReader) -> MetricsData:
    data = reader.get_metrics_data()
    assert data is not None
    return data


def count_points(data: MetricsData) -> int:
    return sum(
        len(m.data.data_points)
        for rm in data.resource_metrics
        for sm in rm.scope_metrics
        for m in sm.metrics
    )


def points_of(data: MetricsData, name: str) -> list[NumberDataPoint]:
    return [
        p
        for rm in data.resource_metrics
        for sm in rm.scope_metrics
        for m in sm.metrics
        if m.name == name
        for p in m.data.data_points
        if isinstance(p, NumberDataPoint)
    ]


class TestHistoryFromSystemMetrics:
    """Readings derived from the real system-metrics instrumentation."""

    def test_derives_host_and_process_readings(
        self, system_sdk: tuple[MeterProvider, InMemoryMetricReader]
    ) -> None:
        """Two exports give CPU, memory, swap, process and rate readings in their units."""
        _, reader = system_sdk
        history = MetricHistory()
        history.ingest(collect(reader))
        last = collect(reader)
        history.ingest(last)
        readings = history.readings()
        expected = {
            "system.cpu.percent",
            "system.memory.percent",
            "system.swap.percent",
            "system.network.rx_bps",
            "system.network.tx_bps",
            "process.cpu.percent",
            "process.memory.rss_bytes",
            "process.threads",
            "process.open_fds",
            "process.gc.collections_per_min",
        }
        assert expected <= readings.keys()
        assert 0.0 <= readings["system.cpu.percent"].now <= 100.0
        cores = [k for k in readings if k.startswith("system.cpu.core.")]
        assert len(cores) == len(
            {(p.attributes or {})["cpu"] for p in points_of(last, "system.cpu.time")}
        )
        (rss,) = points_of(last, "process.memory.usage")
        assert float(rss.value) == history.value("process.memory.rss_bytes")
        (fds,) = points_of(last, "process.open_file_descriptor.count")
        assert float(fds.value) == history.value("process.open_fds")
        used = next(
            p.value
            for p in points_of(last, "system.memory.utilization")
            if (p.attributes or {})["state"] == "used"
        )
        assert used * 100 == pytest.approx(history.value("system.memory.percent"))
        assert all(r.now >= 0 for k, r in readings.items() if k.endswith("_bps"))

    def test_150_points_become_at_most_two_embeds(
        self, system_sdk: tuple[MeterProvider, InMemoryMetricReader]
    ) -> None:
        """Over a hundred points per export render as one performance and ≤2 system embeds."""
        _, reader = system_sdk
        history = MetricHistory()
        exports = [collect(reader) for _ in range(3)]
        assert all(count_points(d) >= 150 for d in exports)
        for data in exports:
            history.ingest(data)
        times = history.sample_times()
        window = (times[0], times[-1])
        performance = render_performance(history, window=window, service="bot", host="h1")
        system = render_system(history, window=window, service="bot", host="h1")
        assert len(performance) == 1
        assert 1 <= len(system) <= 2
        assert_within_discord_limits(performance)
        assert_within_discord_limits(system)
        assert "cpu %" in performance[0]["description"]
        assert "rss MiB" in performance[0]["description"]
        assert "latency ms" in performance[0]["description"]
        assert "shard 3 ms" in system[-1]["description"]


class TestHistoryFromBotInstruments:
    """Bot gauges and counters recorded through the real SDK become exact readings."""

    @staticmethod
    def _bot_meter(
        temporality: AggregationTemporality,
    ) -> tuple[MeterProvider, InMemoryMetricReader, Any, dict[str, Any]]:
        reader = InMemoryMetricReader(preferred_temporality={Counter: temporality})
        provider = MeterProvider(metric_readers=[reader])
        meter = provider.get_meter(BOT_SCOPE)
        state: dict[str, Any] = {"latency": {0: 0.25, 1: 0.75}, "lag": 0.004, "guilds": 38}

        def latency(_: CallbackOptions) -> list[Observation]:
            return [Observation(v, {"shard": s}) for s, v in state["latency"].items()]

        def connected(_: CallbackOptions) -> list[Observation]:
            return [Observation(1, {"shard": s}) for s in state["latency"]]

        meter.create_observable_gauge("discord.gateway.latency", [latency], unit="s")
        meter.create_observable_gauge("discord.gateway.connected", [connected])
        meter.create_observable_gauge(
            "discord.event_loop.lag", [lambda _: [Observation(state["lag"])]], unit="s"
        )
        meter.create_observable_gauge("discord.guilds", [lambda _: [Observation(state["guilds"])]])
        meter.create_observable_gauge("discord.shards", [lambda _: [Observation(2)]])
        events = meter.create_counter("discord.gateway.events")
        return provider, reader, events, state

    def test_gauges_are_exact(self) -> None:
        """Latency in s becomes ms (max over shards and per shard); counts are summed."""
        provider, reader, _, state = self._bot_meter(AggregationTemporality.CUMULATIVE)
        history = MetricHistory()
        history.ingest(collect(reader))
        state["latency"] = {0: 1.5, 1: 0.5}
        state["guilds"] = 40
        history.ingest(collect(reader))
        provider.shutdown()
        readings = history.readings()
        assert readings["discord.shard.0.latency_ms"].history == (250.0, 1500.0)
        assert readings["discord.shard.1.latency_ms"].history == (750.0, 500.0)
        assert readings["discord.latency_ms"].history == (750.0, 1500.0)
        assert readings["discord.latency_ms"].peak == 1500.0
        assert readings["discord.latency_ms"].mean == 1125.0
        assert history.value("discord.event_loop.lag_ms") == 4.0
        assert history.value("discord.guilds") == 40.0
        assert history.value("discord.shards") == 2.0
        assert history.value("discord.connected") == 2.0
        assert history.value("discord.users.cached") is None

    @pytest.mark.parametrize(
        "temporality", [AggregationTemporality.CUMULATIVE, AggregationTemporality.DELTA]
    )
    def test_event_rate_from_counter(self, temporality: AggregationTemporality) -> None:
        """Events per minute follow the points' own timestamps, cumulative or delta.

        Either way a series' first point is a baseline, not a rate (guild_create here).
        """
        provider, reader, events, _ = self._bot_meter(temporality)
        history = MetricHistory()
        events.add(10, {"event": "message_create"})
        first = collect(reader)
        history.ingest(first)
        events.add(30, {"event": "message_create"})
        events.add(20, {"event": "guild_create"})
        second = collect(reader)
        history.ingest(second)
        provider.shutdown()
        (previous,) = points_of(first, "discord.gateway.events")
        latest = points_of(second, "discord.gateway.events")
        [message] = [p for p in latest if p.attributes == {"event": "message_create"}]
        if temporality is AggregationTemporality.CUMULATIVE:
            seconds = (message.time_unix_nano - previous.time_unix_nano) / S
        else:
            seconds = (message.time_unix_nano - message.start_time_unix_nano) / S
        expected = 30 / seconds * 60
        assert expected == pytest.approx(history.value("discord.events_per_min"), rel=1e-9)


def disk_and_net(at: int, read: float, sent: float) -> list[Metric]:
    disk = [
        ({"device": "vda", "direction": "read"}, read),
        ({"device": "vda", "direction": "write"}, 0.0),
        ({"device": "vda1", "direction": "read"}, read),  # partition of vda: counted once
        ({"device": "loop0", "direction": "read"}, 10 * read),
        ({"device": "nvme0n1", "direction": "read"}, read),
        ({"device": "nvme0n1p1", "direction": "read"}, read),
    ]
    net = [
        ({"device": "eth0", "direction": "transmit"}, sent),
        ({"device": "lo", "direction": "transmit"}, 100 * sent),
    ]
    return [counter("system.disk.io", disk, at=at), counter("system.network.io", net, at=at)]


class TestRates:
    """Rates from hand-built counters: exact values, resets, delta, bad values."""

    def test_cumulative_rates_sum_physical_devices(self) -> None:
        """Disk reads sum whole disks (no loop, no partitions); network skips loopback."""
        history = MetricHistory()
        history.ingest(export(*disk_and_net(T0 + 10 * S, 0, 0)))
        assert history.value("system.disk.read_bps") is None
        history.ingest(export(*disk_and_net(T0 + 12 * S, 2048, 1000)))
        assert history.value("system.disk.read_bps") == 2048.0  # 2 disks x 2048 B / 2 s
        assert history.value("system.disk.write_bps") == 0.0
        assert history.value("system.network.tx_bps") == 500.0
        assert history.value("system.network.rx_bps") is None

    def test_counter_reset_gives_no_sample(self) -> None:
        """A value that drops (or a new start time) is a new baseline, never a negative rate."""
        history = MetricHistory()
        for at, value, start in ((10, 600, T0), (20, 1200, T0), (30, 60, T0), (40, 660, T0)):
            history.ingest(
                export(
                    counter("discord.gateway.events", [({}, value)], at=T0 + at * S, start=start)
                )
            )
        assert history.readings()["discord.events_per_min"].history == (3600.0, 3600.0)
        history.ingest(
            export(
                counter("discord.gateway.events", [({}, 900)], at=T0 + 50 * S, start=T0 + 45 * S)
            )
        )
        assert history.readings()["discord.events_per_min"].history == (3600.0, 3600.0)

    def test_delta_temporality_divides_by_interval(self) -> None:
        """A delta point's value over its own interval is the rate, from a series' second on."""
        history = MetricHistory()
        delta = AggregationTemporality.DELTA
        for at, young, old in ((20, 10**6, 10**5), (30, 8, 2)):
            history.ingest(
                export(
                    counter(
                        "cpython.gc.collections",
                        [({"generation": "0"}, young), ({"generation": "1"}, old)],
                        at=T0 + at * S,
                        start=T0 + (at - 10) * S,
                        temporality=delta,
                    )
                )
            )
        # the first delta of an asynchronous counter is everything since it began: no rate
        assert history.readings()["process.gc.collections_per_min"].history == (60.0,)

    def test_delta_up_down_counters_sum_into_levels(self) -> None:
        """RSS and threads exported as changes (delta temporality) read as levels."""
        history = MetricHistory()
        delta = AggregationTemporality.DELTA
        for at, rss, threads in ((10, 150 * MIB, 12), (20, MIB, 0), (30, -2 * MIB, 1)):
            history.ingest(
                export(
                    counter(
                        "process.memory.usage",
                        [({}, rss)],
                        at=T0 + at * S,
                        start=T0 + (at - 10) * S,
                        temporality=delta,
                        monotonic=False,
                    ),
                    counter(
                        "process.thread.count",
                        [({}, threads)],
                        at=T0 + at * S,
                        start=T0 + (at - 10) * S,
                        temporality=delta,
                        monotonic=False,
                    ),
                )
            )
        assert history.readings()["process.memory.rss_bytes"].history == (
            150 * MIB,
            151 * MIB,
            149 * MIB,
        )
        assert history.readings()["process.threads"].history == (12.0, 12.0, 13.0)
        for at in range(40, 40 + 10 * (STALE_AFTER_INGESTS + 2), 10):  # quiet: no points
            history.ingest(export(gauge("discord.guilds", [({}, 1)], at=T0 + at * S)))
        history.ingest(
            export(
                counter(
                    "process.thread.count",
                    [({}, 1)],
                    at=T0 + 200 * S,
                    start=T0 + 190 * S,
                    temporality=delta,
                    monotonic=False,
                )
            )
        )
        assert 14.0 == history.value("process.threads")  # the level, not the change

    def test_cpu_from_time_deltas(self) -> None:
        """Without utilization, busy share per CPU comes from cpu.time deltas, then averaged."""

        def cpu_time(at: int, idle: float, user: float) -> MetricsData:
            points = [
                ({"cpu": 1, "state": "idle"}, idle),
                ({"cpu": 1, "state": "user"}, user),
                ({"cpu": 2, "state": "idle"}, idle * 2),
                ({"cpu": 2, "state": "user"}, 0.0),
            ]
            return export(counter("system.cpu.time", points, at=at))

        history = MetricHistory()
        history.ingest(cpu_time(T0 + 10 * S, 100, 50))
        history.ingest(cpu_time(T0 + 20 * S, 102.5, 57.5))
        assert history.value("system.cpu.core.1.percent") == 75.0
        assert history.value("system.cpu.core.2.percent") == 0.0
        assert history.value("system.cpu.percent") == 37.5

    def test_gauges_without_utilization(self) -> None:
        """Memory from usage by state; filesystem is the fullest mountpoint; load 1m as is."""
        at = T0 + 10 * S
        history = MetricHistory()
        history.ingest(
            export(
                gauge(
                    "system.memory.usage", [({"state": "used"}, 3), ({"state": "free"}, 1)], at=at
                ),
                gauge(
                    "system.filesystem.utilization",
                    [({"mountpoint": "/"}, 0.5), ({"mountpoint": "/data"}, 0.925)],
                    at=at,
                ),
                gauge("system.cpu.load_average.1m", [({}, 1.25)], at=at),
                gauge(
                    "process.runtime.cpython.memory",
                    [({"type": "rss"}, 5), ({"type": "vms"}, 9)],
                    at=at,
                ),
            )
        )
        assert history.value("system.memory.percent") == 75.0
        assert history.value("system.filesystem.percent") == 92.5
        assert history.value("system.load1") == 1.25
        assert history.value("process.memory.rss_bytes") == 5.0

    def test_non_finite_values_are_skipped(self) -> None:
        """NaN and inf latencies (no websocket yet) leave no reading behind."""
        history = MetricHistory()
        at = T0 + S
        history.ingest(
            export(
                gauge(
                    "discord.gateway.latency",
                    [({"shard": 0}, math.nan), ({"shard": 1}, math.inf)],
                    at=at,
                )
            )
        )
        assert history.readings() == {}


class TestSpellingsAndUnits:
    """Current semantic-convention names, other units, and a cluster's share of the shards."""

    def test_container_interfaces_and_a_loop_device_reset_are_left_out(self) -> None:
        """docker0/veth traffic also crosses eth0; a loop device restarting costs no sample."""
        history = MetricHistory()
        for at, total, loop in ((10, 0, 5000), (12, 2048, 10)):
            net = [
                ({"device": "eth0", "direction": "receive"}, total),
                ({"device": "docker0", "direction": "receive"}, total),
                ({"device": "veth1a2b", "direction": "receive"}, total),
            ]
            disk = [
                ({"device": "sda", "direction": "read"}, total),
                ({"device": "loop0", "direction": "read"}, loop),  # restarts: 5000 -> 10
            ]
            history.ingest(
                export(
                    counter("system.network.io", net, at=T0 + at * S),
                    counter("system.disk.io", disk, at=T0 + at * S),
                )
            )
        assert history.value("system.network.rx_bps") == 1024.0
        assert history.value("system.disk.read_bps") == 1024.0

    def test_cpu_mode_and_logical_number(self) -> None:
        """``cpu.mode`` and ``cpu.logical_number`` (semconv today) read as ``state`` and ``cpu``."""
        history = MetricHistory()
        for at, idle, user in ((10, 100.0, 50.0), (20, 107.5, 52.5)):
            points = [
                ({"cpu.logical_number": c, "cpu.mode": mode}, value)
                for c in (0, 1)
                for mode, value in (("idle", idle), ("user", user))
            ]
            history.ingest(export(counter("system.cpu.time", points, at=T0 + at * S)))
        assert history.value("system.cpu.core.0.percent") == 25.0
        assert history.value("system.cpu.percent") == 25.0

    def test_network_interface_name_skips_loopback(self) -> None:
        history = MetricHistory()
        for at, sent in ((10, 0), (12, 2048)):
            points = [
                ({"network.interface.name": "eth0", "network.io.direction": "transmit"}, sent),
                ({"network.interface.name": "lo", "network.io.direction": "transmit"}, 99 * sent),
            ]
            history.ingest(export(counter("system.network.io", points, at=T0 + at * S)))
        assert history.value("system.network.tx_bps") == 1024.0

    @pytest.mark.parametrize(
        ("unit", "value"),
        [("s", 0.084), ("ms", 84.0), ("us", 84_000.0), ("ns", 84_000_000.0), ("", 0.084)],
    )
    def test_latency_units(self, unit: str, value: float) -> None:
        """84 ms whatever UCUM time unit the gauge carries (none: seconds)."""
        history = MetricHistory()
        history.ingest(
            export(gauge("discord.gateway.latency", [({"shard": 0}, value)], at=T0, unit=unit))
        )
        assert history.value("discord.latency_ms") == pytest.approx(84.0, rel=1e-12)

    def test_percent_has_no_float_noise(self) -> None:
        """0.56 is 56 %, not 56.00000000000001 % (which breaches a 56 % threshold)."""
        history = MetricHistory()
        history.ingest(
            export(gauge("system.memory.utilization", [({"state": "used"}, 0.56)], at=T0))
        )
        assert history.value("system.memory.percent") == 56.0

    def test_a_cluster_process_runs_some_of_the_shards(self) -> None:
        """shard_ids=[0, 1] of 4: two shards here, both connected, none down."""
        history = MetricHistory()
        history.ingest(
            export(
                gauge("discord.shards", [({}, 4)], at=T0),
                gauge("discord.connected", [({"shard": 0}, 1), ({"shard": 1}, 1)], at=T0),
            )
        )
        assert history.value("discord.shards") == 2.0
        assert history.value("discord.connected") == 2.0
        embeds = render_performance(history, window=(T0, T0 + S), service="s", host=None)
        assert {"name": "Shards", "value": "2/2 connected", "inline": True} in embeds[0]["fields"]


class TestBounds:
    """Memory stays bounded whatever the exporter sends."""

    def test_history_keeps_at_most_samples(self) -> None:
        """Only the newest ``samples`` values are kept."""
        history = MetricHistory(samples=3)
        for i in range(10):
            history.ingest(export(gauge("discord.guilds", [({}, i)], at=T0 + i * S)))
        assert history.readings()["discord.guilds"].history == (7.0, 8.0, 9.0)

    def test_cardinality_cap(self) -> None:
        """5,000 shards or counter series never grow state beyond ``max_series``."""
        history = MetricHistory(max_series=100)
        for i in range(3):
            shards = [({"shard": s}, 0.1) for s in range(5000)]
            events = [({"event": str(s)}, float(i)) for s in range(5000)]
            at = T0 + i * S
            history.ingest(
                export(
                    gauge("discord.gateway.latency", shards, at=at),
                    counter("discord.gateway.events", events, at=at),
                )
            )
        assert len(history.readings()) <= 100
        assert "discord.latency_ms" in history.readings()
        assert len(history._counters) <= 100  # private: the counter baselines themselves

    def test_vanished_series_are_forgotten(self) -> None:
        """A shard absent for several exports drops out of the readings."""
        history = MetricHistory()
        history.ingest(export(gauge("discord.gateway.latency", [({"shard": 7}, 0.1)], at=T0)))
        for i in range(1, STALE_AFTER_INGESTS + 1):
            history.ingest(export(gauge("discord.guilds", [({}, 1)], at=T0 + i * S)))
        assert "discord.shard.7.latency_ms" not in history.readings()
        assert history.value("discord.guilds") == 1.0


def snapshot_history() -> MetricHistory:
    """Two exports a minute apart with values chosen by hand."""
    history = MetricHistory()
    for minute, idle, used, read, rss, latency in (
        (1, (0.8, 0.6), 0.5, 0, 100 * MIB, (0.1, 0.2)),
        (2, (0.5, 0.3), 0.8, 60 * 1024, 200 * MIB, (0.3, 0.15)),
    ):
        at = T0 + minute * 60 * S
        history.ingest(
            export(
                gauge(
                    "system.cpu.utilization",
                    [({"cpu": c + 1, "state": "idle"}, v) for c, v in enumerate(idle)],
                    at=at,
                ),
                gauge("system.memory.utilization", [({"state": "used"}, used)], at=at),
                counter("system.disk.io", [({"device": "vda", "direction": "read"}, read)], at=at),
                counter("process.memory.usage", [({}, rss)], at=at, monotonic=False),
                gauge(
                    "discord.gateway.latency",
                    [({"shard": s}, v) for s, v in enumerate(latency)],
                    at=at,
                    unit="s",
                ),
                gauge("discord.shards", [({}, 2)], at=at),
                gauge("discord.gateway.connected", [({"shard": 0}, 1), ({"shard": 1}, 1)], at=at),
                gauge("discord.guilds", [({}, 38)], at=at),
            )
        )
    return history


class TestRenderPerformance:
    """The performance snapshot embed."""

    def test_embed_by_equality(self) -> None:
        """A hand-built history renders as this exact embed."""
        embeds = render_performance(
            snapshot_history(), window=(T0, T0 + 5 * 60 * S), service="astrabot", host="astra-1"
        )
        assert embeds == [
            {
                "title": "⚡ Performance snapshot",
                "color": YELLOW,
                "fields": [
                    {"name": "Shards", "value": "2/2 connected", "inline": True},
                    {"name": "Guilds", "value": "38", "inline": True},
                ],
                "description": "14:00–14:05 UTC, 2 samples\n"
                "```\n"
                "metric            now   avg   max  history\n"
                "cpu %            60.0  45.0  60.0  ▁█\n"
                "cores %          50  70\n"
                "memory %         80.0  65.0  80.0  ▁█\n"
                "disk read KiB/s   1.0   1.0   1.0  ▁\n"
                "rss MiB           200   150   200  ▁█\n"
                "latency ms        300   250   300  ▁█\n"
                "```",
                "footer": {"text": "astrabot · host astra-1"},
                "timestamp": "2026-11-28T14:05:00.000+00:00",
            }
        ]
        assert_within_discord_limits(embeds)

    def test_no_data_sends_nothing(self) -> None:
        """An empty history renders as no embed at all."""
        history = MetricHistory()
        history.ingest(export())
        assert render_performance(history, window=(T0, T0 + S), service="s", host=None) == []
        assert render_system(history, window=(T0, T0 + S), service="s", host=None) == []

    @pytest.mark.parametrize(
        ("name", "value", "colour"),
        [
            ("system.cpu.utilization", 0.25, GREEN),  # idle 25 %: cpu 75 %, not above
            ("system.cpu.utilization", 0.2, YELLOW),
            ("system.cpu.utilization", 0.05, RED),
            ("system.filesystem.utilization", 0.76, YELLOW),
            ("system.filesystem.utilization", 0.91, RED),
            ("discord.gateway.latency", 0.5, GREEN),
            ("discord.gateway.latency", 0.501, YELLOW),
            ("discord.gateway.latency", 1.001, RED),
        ],
    )
    def test_colour_by_severity(self, name: str, value: float, colour: int) -> None:
        """Green, yellow over 75 % / 500 ms, red over 90 % / 1000 ms."""
        attrs = {"state": "idle", "cpu": 1} if name == "system.cpu.utilization" else {}
        history = MetricHistory()
        history.ingest(export(gauge(name, [(attrs, value)], at=T0)))
        (embed,) = render_performance(history, window=(T0, T0), service="s", host=None)
        assert colour == embed["color"]
        assert embed["footer"] == {"text": "s"}

    def test_avg_and_max_cover_the_window_the_embed_names(self) -> None:
        """A minute at 95 % CPU, then one at 10 %: the second embed's avg and max are 10."""
        history = MetricHistory()
        for at, idle in ((T0 + 30 * S, 0.05), (T0 + 60 * S, 0.05), (T0 + 90 * S, 0.9)):
            points = [({"cpu": 1, "state": "idle"}, idle)]
            history.ingest(export(gauge("system.cpu.utilization", points, at=at)))
        window = (T0 + 61 * S, T0 + 120 * S)
        (embed,) = render_performance(history, window=window, service="s", host=None)
        lines = embed["description"].split("\n")
        assert "14:01:01–14:02:00 UTC, 1 sample" == lines[0]
        [row] = [line for line in lines if line.startswith("cpu %")]
        assert ["10.0", "10.0", "10.0"] == row.split()[2:5]  # now, avg, max of the window

    def test_one_spike_leaves_now_readable(self) -> None:
        """Steady 300 KiB/s reads, one 2 GiB/s minute: the row keeps a unit "now" reads in."""
        history = MetricHistory()
        total = 0.0
        for minute in range(8):
            total += (2 * 1024**3 if minute == 4 else 300 * 1024) * 60
            points = [({"device": "vda", "direction": "read"}, total)]
            history.ingest(export(counter("system.disk.io", points, at=T0 + minute * 60 * S)))
        (embed,) = render_performance(history, window=(T0, T0 + 8 * 60 * S), service="s", host=None)
        [row] = [line for line in embed["description"].split("\n") if line.startswith("disk read")]
        label, now = row.split()[:3:2], row.split()[3]
        assert ["disk", "MiB/s"] == label  # by the usual level (the mean), not the 2 GiB/s peak
        assert "0.3" == now

    def test_colour_follows_the_configured_thresholds(self) -> None:
        """CPU 80 % under a 70 % alert is red; latency 600 ms under a 300 ms alert too."""
        for name, value, unit in (
            ("system.cpu.utilization", 0.2, ""),
            ("discord.gateway.latency", 0.6, "s"),
        ):
            attrs = {"state": "idle", "cpu": 1} if name == "system.cpu.utilization" else {}
            history = MetricHistory()
            history.ingest(export(gauge(name, [(attrs, value)], at=T0, unit=unit)))
            limits = Thresholds(cpu_percent=70.0, latency_ms=300.0)
            (embed,) = render_performance(
                history, window=(T0, T0), service="s", host=None, thresholds=limits
            )
            assert RED == embed["color"]
            (default,) = render_performance(history, window=(T0, T0), service="s", host=None)
            assert YELLOW == default["color"]

    def test_bot_counts_alone(self) -> None:
        """With only bot counts there is no table: the window line and the fields."""
        history = MetricHistory()
        history.ingest(
            export(
                gauge("discord.guilds", [({}, 12345)], at=T0),
                gauge("discord.users.cached", [({}, 987654)], at=T0),
                gauge("discord.gateway.connected", [({"shard": 0}, 0)], at=T0),
            )
        )
        (embed,) = render_performance(history, window=(T0, T0), service=" ", host="h")
        assert "14:00:00–14:00:00 UTC, 1 sample" == embed["description"]
        assert [
            {"name": "Shards", "value": "0/1 connected", "inline": True},  # one point: one shard
            {"name": "Guilds", "value": "12,345", "inline": True},
            {"name": "Users cached", "value": "987,654", "inline": True},
        ] == embed["fields"]
        assert {"text": "host h"} == embed["footer"]

    def test_window_line(self) -> None:
        """Short windows show seconds, windows across midnight show dates."""
        assert window_line((T0, T0 + 60 * S), [T0, T0 - S]) == "14:00:00–14:01:00 UTC, 1 sample"
        night = T0 + 10 * 3600 * S - 60 * S
        assert (
            window_line((night, night + 10 * 60 * S), [])
            == "2026-11-28 23:59–2026-11-29 00:09 UTC, 0 samples"
        )


class TestRenderSystem:
    """The full system snapshot: every core and shard, still within Discord's limits."""

    def test_many_cores_and_shards_fit(self) -> None:
        """64 cores become a compact line; 500 shards show the 10 slowest and a count."""
        history = MetricHistory()
        for i in range(3):
            at = T0 + i * 60 * S
            cores = [({"cpu": c, "state": "idle"}, (c % 10) / 10) for c in range(64)]
            cores += [({"cpu": c, "state": "user"}, 1 - (c % 10) / 10) for c in range(64)]
            shards = [({"shard": s}, s / 400) for s in range(500)]  # up to 1.25 s
            history.ingest(
                export(
                    gauge("system.cpu.utilization", cores, at=at),
                    gauge("discord.gateway.latency", shards, at=at),
                    gauge("process.thread.count", [({}, 14)], at=at),
                )
            )
        embeds = render_system(history, window=(T0, T0 + 120 * S), service="bot", host="h")
        assert [e["title"] for e in embeds] == ["🖥️ System snapshot", "⚙️ Process and bot"]
        host, bot = (e["description"] for e in embeds)
        assert "core 1 %" not in host
        assert "cores %" in host
        assert "shard 499 ms" in bot
        assert "shard 489 ms" not in bot
        lines = bot.split("\n")
        assert (
            "… 490 more shards"
            == lines[lines.index(next(x for x in lines if x.startswith("shard 490 ms"))) + 1]
        )
        block = host.split("```")[1].strip("\n").split("\n")
        start = next(i for i, x in enumerate(block) if x.startswith("cores %"))
        wrapped = list(takewhile(lambda x: x.startswith(" "), block[start + 1 :]))
        assert wrapped  # 64 bars do not fit one line
        bars = "".join(x[len("cores %") :].strip() for x in [block[start], *wrapped])
        assert 64 == len(bars)
        assert ("█", "▂") == (bars[0], bars[9])  # on a 0-100 scale: core 0 at 100 %, core 9 at 10 %
        assert embeds[0]["color"] == RED
        assert_within_discord_limits(embeds)

    def test_few_cores_get_a_row_each(self) -> None:
        """Up to 16 cores are listed one per row with their history."""
        history = snapshot_history()
        (host, _) = render_system(history, window=(T0, T0 + 120 * S), service="bot", host=None)
        assert "core 1 %         50.0  35.0  50.0  ▁█" in host["description"]
        assert "core 2 %         70.0  55.0  70.0  ▁█" in host["description"]


def test_first_cpu_reading_with_all_states_zero_is_skipped() -> None:
    """psutil's first utilization sample is all zeros; it must not read as 100 % busy."""
    from opentelemetry.metrics import Observation
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader

    from otel_discord.state.history import MetricHistory

    samples = iter([0.0, 0.75])
    idle = {"value": 0.0}

    def observe(_options: object) -> list[Observation]:
        idle["value"] = next(samples)
        return [
            Observation(idle["value"], {"state": "idle", "cpu": 1}),
            Observation(0.0 if idle["value"] == 0.0 else 0.25, {"state": "user", "cpu": 1}),
        ]

    reader = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[reader])
    provider.get_meter("m").create_observable_gauge("system.cpu.utilization", [observe])
    history = MetricHistory()
    history.ingest(reader.get_metrics_data())
    assert history.value("system.cpu.percent") is None
    history.ingest(reader.get_metrics_data())
    assert 25.0 == history.value("system.cpu.percent")
