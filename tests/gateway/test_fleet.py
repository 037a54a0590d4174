"""The fleet merge: per-sender deltas, exact totals, silence, host and shard qualification."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pytest
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
from opentelemetry.sdk.resources import Resource

from otel_discord import Channel
from otel_discord.gateway import INSTANCE_ATTR, Fleet, FleetPipeline, GatewaySettings
from otel_discord.gateway._metrics_in import GATEWAY_SCOPE
from otel_discord.monitors.rules import AlertRule
from otel_discord.render.charts.spec import Panel
from otel_discord.state.activity import ActivityWindow
from tests.conftest import FourChannels

S = 1_000_000_000
T0 = 1_700_000_000 * S
CMD = {"discord.command.name": "ping", "discord.command.outcome": "success"}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _resource(pid: int, host: str = "h1") -> Resource:
    return Resource({"service.name": "bot", "host.name": host, "process.pid": pid})


def _counter(value: float, at_s: float, start_s: float = 1.0) -> Metric:
    point = NumberDataPoint(CMD, T0 + int(start_s * S), T0 + int(at_s * S), value)
    return Metric(
        "discord.commands", None, None, Sum([point], AggregationTemporality.CUMULATIVE, True)
    )


def _gauge(name: str, points: list[tuple[Mapping[str, Any], float]], at_s: float = 1.0) -> Metric:
    data = Gauge([NumberDataPoint(dict(a), 0, T0 + int(at_s * S), v) for a, v in points])
    return Metric(name, None, None, data)


def _export(resource: Resource, metrics: list[Metric]) -> MetricsData:
    return MetricsData([ResourceMetrics(resource, [ScopeMetrics(GATEWAY_SCOPE, metrics, "")], "")])


def _send(fleet: Fleet, resource: Resource, *metrics: Metric) -> list[Any]:
    state = fleet.sender(resource)
    assert state is not None
    return fleet.add_metrics(state, list(metrics), _export(resource, list(metrics)), T0)


def _points(data: MetricsData, name: str) -> Iterator[NumberDataPoint]:
    for rm in data.resource_metrics:
        for sm in rm.scope_metrics:
            for metric in sm.metrics:
                if metric.name == name:
                    yield from metric.data.data_points  # type: ignore[misc]


class TestCounters:
    """Cumulative counters of several processes become exact per-sender deltas."""

    def test_interleaved_senders_with_identical_keys_add_up_exactly(self) -> None:
        """Two processes counting the same series: the summary sees 8 + 10, split per process."""
        fleet = Fleet(since_ns=T0)
        a, b = _resource(1), _resource(2)
        window = ActivityWindow(T0)
        _send(fleet, a, _counter(5, 2))
        _send(fleet, b, _counter(3, 2))
        window.add_metrics(fleet.merged())
        _send(fleet, a, _counter(8, 4))
        _send(fleet, b, _counter(7, 4))
        _send(fleet, b, _counter(10, 5))
        window.add_metrics(fleet.merged())
        window.add_metrics(fleet.merged())  # nothing new: nothing added
        activity = window.close(T0 + 10 * S)
        assert 18 == activity.total("discord.commands")
        assert {"h1 · pid 1": 8, "h1 · pid 2": 10} == activity.by("discord.commands", INSTANCE_ATTR)

    def test_counters_older_than_the_gateway_are_a_baseline(self) -> None:
        """A process that counted before the gateway listened: only later increments count."""
        fleet = Fleet(since_ns=T0 + 100 * S)
        resource = _resource(1)
        _send(fleet, resource, _counter(100, 200))
        _send(fleet, resource, _counter(104, 210))
        assert [4.0] == [p.value for p in _points(fleet.merged(), "discord.commands")]

    def test_restart_counts_from_zero(self) -> None:
        """A counter that went down (process restarted) counts its new value fully."""
        fleet = Fleet(since_ns=T0)
        resource = _resource(1)
        _send(fleet, resource, _counter(50, 10))
        fleet.merged()
        _send(fleet, resource, _counter(4, 20, start_s=15))
        [point] = _points(fleet.merged(), "discord.commands")
        assert (4.0, T0 + 15 * S) == (point.value, point.start_time_unix_nano)


class TestGauges:
    """Gauges keep each sender's latest value, qualified where senders would collide."""

    def test_system_metrics_come_once_per_host(self) -> None:
        """Two processes on one host report the same host: only one copy is merged."""
        fleet = Fleet()
        memory = [({"state": "used"}, 0.5)]
        _send(fleet, _resource(1), _gauge("system.memory.utilization", memory))
        _send(fleet, _resource(2), _gauge("system.memory.utilization", memory))
        assert 1 == len(list(_points(fleet.merged(), "system.memory.utilization")))

    def test_cpus_of_several_hosts_are_told_apart(self) -> None:
        """CPU 0 of host a and CPU 0 of host b stay two cores."""
        fleet = Fleet()
        cpu = [({"cpu": 0, "state": "idle"}, 0.5)]
        _send(fleet, _resource(1, "a"), _gauge("system.cpu.utilization", cpu))
        _send(fleet, _resource(2, "b"), _gauge("system.cpu.utilization", cpu))
        cpus = {p.attributes["cpu"] for p in _points(fleet.merged(), "system.cpu.utilization")}  # type: ignore[index]
        assert {"a:0", "b:0"} == cpus

    def test_colliding_shard_ids_are_qualified_distinct_ones_kept(self) -> None:
        """Shard 0 reported by two processes becomes 0@each; a unique shard keeps its id."""
        fleet = Fleet()
        shard = "discord.shard.id"
        _send(fleet, _resource(1), _gauge("discord.gateway.latency", [({shard: 0}, 0.1)]))
        _send(
            fleet,
            _resource(2),
            _gauge("discord.gateway.latency", [({shard: 0}, 0.2), ({shard: 1}, 0.3)]),
        )
        shards = {
            str(p.attributes[shard])  # type: ignore[index]
            for p in _points(fleet.merged(), "discord.gateway.latency")
        }
        assert {"0@h1 · pid 1", "0@h1 · pid 2", "1"} == shards


class TestSilence:
    """A sender that stops exporting metrics is silent, by name, then back."""

    def test_silent_then_back(self) -> None:
        """Past the limit it is silent and its gauges leave the merge; metrics bring it back."""
        clock = Clock()
        fleet = Fleet(silence_after_s=30, clock=clock)
        quiet, busy = _resource(1), _resource(2)
        latency = _gauge("discord.gateway.latency", [({"discord.shard.id": 3}, 0.1)])
        _send(fleet, quiet, latency)
        _send(fleet, busy, _gauge("discord.guilds", [({}, 10)]))
        clock.now += 10
        assert [] == fleet.check_silence()
        clock.now += 25
        _send(fleet, busy, _gauge("discord.guilds", [({}, 10)]))
        [(kind, state, seconds)] = fleet.check_silence()
        assert ("silent", "h1 · pid 1", 35.0) == (kind, state.label, seconds)
        assert [] == list(_points(fleet.merged(), "discord.gateway.latency"))
        assert "bot · 1 process on 1 host" == fleet.describe()
        _send(fleet, quiet, latency)
        assert [("back", "h1 · pid 1")] == [(k, s.label) for k, s, _ in fleet.check_silence()]

    def test_spans_only_senders_are_never_silent(self) -> None:
        """Spans and logs are sporadic: a sender without metrics is not watched."""
        clock = Clock()
        fleet = Fleet(silence_after_s=1, clock=clock)
        assert fleet.sender(_resource(1)) is not None
        clock.now += 100
        assert [] == fleet.check_silence()


class TestInstanceAlerts:
    """Threshold rules run per sender on its own readings."""

    def test_only_the_slow_process_fires(self) -> None:
        """Each process is judged on its own readings, not the fleet's worst."""
        rule = AlertRule("latency", "Gateway latency", "discord.latency_ms", 500.0, for_s=0.0)
        fleet = Fleet(instance_rules=[rule])
        slow = _send(fleet, _resource(1), _gauge("discord.gateway.latency", [({}, 0.9)]))
        fast = _send(fleet, _resource(2), _gauge("discord.gateway.latency", [({}, 0.1)]))
        assert (["firing"], []) == ([e.kind for e in slow], fast)


@pytest.fixture
def closing():
    """Shut down the pipelines a test built directly (they are not in the shared registry)."""
    pipelines: list[FleetPipeline] = []
    yield pipelines.append
    for pipeline in pipelines:
        pipeline.shutdown(2.0)


class TestFleetPipeline:
    """The pipeline around the fleet: system snapshot per shard, silence notices."""

    def test_snapshot_shows_every_shard_and_silence_is_announced(
        self, four_channels: FourChannels, closing
    ) -> None:
        """Shards of all processes get rows; a silent process is named in the logs channel."""
        clock = Clock()
        settings = GatewaySettings(silence_after_s=30)
        pipeline = FleetPipeline(four_channels.config(), settings, clock=clock)
        closing(pipeline)
        pipeline.start()
        for pid, shards in ((1, (0, 1)), (2, (2, 3))):
            points = [({"discord.shard.id": s}, 0.05 * (s + 1)) for s in shards]
            state = pipeline.fleet.sender(_resource(pid, f"host{pid}"))
            assert state is not None
            metrics = [_gauge("discord.gateway.latency", points)]
            pipeline.ingest_metrics(state, metrics, _export(state.resource, metrics))
        pipeline.merge_metrics()
        pipeline.pipeline.send_system()
        clock.now += 60
        pipeline.merge_metrics()
        assert pipeline.flush(5.0)
        [process] = four_channels.embeds(Channel.PERFORMANCE)
        for shard in range(4):
            assert f"shard {shard} ms" in process["description"]
        assert "bot · 2 processes on 2 hosts" in process["footer"]["text"]
        [silence] = four_channels.embeds(Channel.LOGS)  # one notice for both, naming each
        assert silence["title"].startswith("🔕 2 processes silent since ")
        assert "`host1 · pid 1`, `host2 · pid 2`" in silence["description"]

    def test_fleet_performance_snapshot_carries_a_chart(
        self, four_channels: FourChannels, closing
    ) -> None:
        """The gateway's snapshot shows the merged fleet's chart: the slowest shard's latency."""
        pipeline = FleetPipeline(
            four_channels.config(), GatewaySettings(), clock_ns=lambda: T0 + 2 * S
        )
        closing(pipeline)
        for pid, shards in ((1, (0, 1)), (2, (2, 3))):
            points = [({"discord.shard.id": s}, 0.05 * (s + 1)) for s in shards]
            state = pipeline.fleet.sender(_resource(pid, f"host{pid}"))
            assert state is not None
            metrics = [_gauge("discord.gateway.latency", points)]
            pipeline.ingest_metrics(state, metrics, _export(state.resource, metrics))
        pipeline.merge_metrics()
        pipeline.pipeline.send_performance()  # the composed Pipeline sends the snapshots
        assert pipeline.flush(5.0)
        [message] = four_channels.server.messages(Channel.PERFORMANCE.value)
        assert ["performance.png"] == [f.filename for f in message.files]
        chart = pipeline.pipeline.charts.chart("performance", pipeline.pipeline.now_ns())
        assert chart is not None
        [latency] = chart.panels
        assert isinstance(latency, Panel)
        assert [200.0] == [round(v, 6) for _, v in latency.series[0].points]

    def test_alerts_name_the_process(self, four_channels: FourChannels, closing) -> None:
        """A default rule firing for one process says which process in its footer."""
        now = [T0]
        pipeline = FleetPipeline(four_channels.config(), GatewaySettings(), clock_ns=lambda: now[0])
        closing(pipeline)
        pipeline.start()
        state = pipeline.fleet.sender(_resource(7, "edge"))
        assert state is not None
        for _ in range(3):
            metrics = [_gauge("discord.gateway.latency", [({}, 3.0)])]
            pipeline.ingest_metrics(state, metrics, _export(state.resource, metrics))
            now[0] += 100 * S
        assert pipeline.flush(5.0)
        [alert] = four_channels.embeds(Channel.LOGS)
        assert "Gateway latency" in alert["title"]
        assert "host edge · pid 7" in alert["footer"]["text"]

    def test_roster_lists_processes_and_names_disconnected_shards(
        self, four_channels: FourChannels, closing
    ) -> None:
        """The diagnostics roster has a row per process and names shards that are down."""
        pipeline = FleetPipeline(four_channels.config(), GatewaySettings())
        closing(pipeline)
        pipeline.start()
        for pid, up in ((1, 1), (2, 0)):
            state = pipeline.fleet.sender(_resource(pid))
            assert state is not None
            metrics = [_gauge("discord.connected", [({"discord.shard.id": pid}, up)])]
            pipeline.ingest_metrics(state, metrics, _export(state.resource, metrics))
        pipeline.send_roster()
        assert pipeline.flush(5.0)
        roster = four_channels.embeds(Channel.DIAGNOSTICS)[-1]
        assert roster["title"] == "🛰️ Fleet · bot · 2 processes on 1 host"
        assert "`h1 · pid 2` shards 2 disconnected" in roster["description"]
        assert "h1 · pid 1" in roster["description"]


class TestSenderTable:
    """A full sender table makes room instead of locking new processes out."""

    def test_full_table_evicts_the_quietest(self) -> None:
        """4 slots, 4 senders heard at different times: a 5th evicts the one quiet longest."""
        clock = Clock()
        fleet = Fleet(max_senders=4, since_ns=T0, clock=clock)
        for pid in (1, 2, 3, 4):
            _send(fleet, _resource(pid), _gauge("g", [({}, 1.0)]))
            clock.now += 10
        _send(fleet, _resource(1), _gauge("g", [({}, 1.0)]))  # pid 1 heard again: newest
        newcomer = fleet.sender(_resource(5))
        assert newcomer is not None
        assert ["h1 · pid 1", "h1 · pid 3", "h1 · pid 4", "h1 · pid 5"] == [
            v.label for v in fleet.views()
        ]
        assert 1 == fleet.evicted

    def test_silent_go_before_live(self) -> None:
        """A silent sender is evicted before a live one heard earlier."""
        clock = Clock()
        fleet = Fleet(max_senders=2, silence_after_s=30, since_ns=T0, clock=clock)
        _send(fleet, _resource(1), _gauge("g", [({}, 1.0)]))
        clock.now += 40
        fleet.check_silence()  # pid 1 is silent now
        _send(fleet, _resource(2), _gauge("g", [({}, 1.0)]))
        clock.now += 1
        assert fleet.sender(_resource(3)) is not None
        assert ["h1 · pid 2", "h1 · pid 3"] == [v.label for v in fleet.views()]


class TestGroupedSilence:
    """Many processes going quiet at once: one notice naming them, not one embed each."""

    def test_twelve_silent_one_embed(self, four_channels: FourChannels, closing) -> None:
        """12 processes stop: exactly one logs embed, '12 processes silent since …'."""
        clock = Clock()
        pipeline = FleetPipeline(
            four_channels.config(), GatewaySettings(silence_after_s=30), clock=clock
        )
        closing(pipeline)
        pipeline.start()
        for pid in range(1, 13):
            state = pipeline.fleet.sender(_resource(pid))
            assert state is not None
            metrics = [_gauge("discord.gateway.latency", [({}, 0.05)])]
            pipeline.ingest_metrics(state, metrics, _export(state.resource, metrics))
        pipeline.merge_metrics()
        clock.now += 60
        pipeline.merge_metrics()
        assert pipeline.flush(5.0)
        [silence] = four_channels.embeds(Channel.LOGS)
        assert silence["title"].startswith("🔕 12 processes silent since ")
        assert 12 == silence["description"].count("`h1 · pid ")


class TestSeriesBudget:
    """Series are bounded in bytes per sender and across the fleet, and released when gone."""

    @staticmethod
    def _labelled(count: int, label_chars: int, offset: int = 0) -> Metric:
        points = [({"label": f"{offset + n}-" + "x" * label_chars}, 1.0) for n in range(count)]
        return _gauge("discord.latency", points)

    def test_fleet_budget_drops_new_series_and_frees_gone_ones(self) -> None:
        """A 100 kB budget takes 14 series with 1 kB labels (7.1 kB each); expired ones free it."""
        fleet = Fleet(max_series_bytes=100_000)
        _send(fleet, _resource(1), self._labelled(200, 1_000))
        assert 90_000 < fleet.series_bytes <= 100_000
        assert 0 < fleet.series_dropped
        kept = len(list(_points(fleet.merged(), "discord.latency")))
        assert 14 == kept
        for _ in range(3):  # the series stop coming: gone after three exports
            _send(fleet, _resource(1), _gauge("discord.other", [({}, 1.0)]))
        fleet.merged()
        assert fleet.series_bytes < 2_000
        _send(fleet, _resource(2), self._labelled(10, 1_000, offset=1_000))
        assert 10 == len(list(_points(fleet.merged(), "discord.latency")))

    def test_one_sender_cannot_take_the_fleet_budget(self) -> None:
        """A sender stops at its own share; another sender's series still get in."""
        fleet = Fleet()
        for batch in range(6):
            _send(fleet, _resource(1), self._labelled(500, 2_000, offset=500 * batch))
        flooded = fleet.series_bytes
        assert flooded <= 4 * 1024 * 1024
        _send(fleet, _resource(2), _gauge("discord.latency", [({"shard": 0}, 0.1)]))
        assert fleet.series_bytes > flooded

    def test_forgotten_sender_releases_its_series(self) -> None:
        """Evicting a sender gives its series bytes back."""
        fleet = Fleet(max_senders=1)
        _send(fleet, _resource(1), self._labelled(20, 500))
        assert fleet.series_bytes > 20 * 1_000
        _send(fleet, _resource(2), _gauge("discord.latency", [({}, 0.1)]))
        assert fleet.series_bytes < 2_000

    def test_export_of_an_evicted_sender_charges_nothing(self) -> None:
        """A state evicted between acceptance and ingest does not leak the fleet's budget."""
        fleet = Fleet(max_senders=1)
        ghost = fleet.sender(_resource(1))
        assert ghost is not None
        fleet.sender(_resource(2))  # evicts sender 1
        metric = self._labelled(20, 500)
        fleet.add_metrics(ghost, [metric], _export(_resource(1), [metric]), T0)
        assert 0 == fleet.series_bytes
