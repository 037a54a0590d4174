"""Recent history of the readings a person wants to see, derived from raw OTel metrics.

The system-metrics instrumentation exports 150+ points at a time (per CPU and state,
per disk and direction, cumulative counters...). ``MetricHistory`` turns each export
into a few dozen *readings* with stable keys (``system.cpu.percent``,
``discord.latency_ms``...) and keeps a short history of each, so the performance
embed can show now / average / peak / sparkline, and alert rules can ask for
``value(key)``. Rates come from counters: cumulative points are differenced between
ingests using their own timestamps; delta points are divided by their interval (a
series' first point, either way, is a baseline), and a delta up-down counter's changes
are summed into its level.

Memory is bounded: ``samples`` values per reading, and at most ``max_series``
counter series and readings (a cardinality explosion is ignored, not stored).
"""

from __future__ import annotations

import math
import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from opentelemetry.sdk.metrics.export import (
    AggregationTemporality,
    Gauge,
    MetricsData,
    NumberDataPoint,
    Sum,
)

from otel_discord.state import reading_keys as keys

STALE_AFTER_INGESTS: Final = 5
"""A series or reading absent from this many exports in a row is forgotten (a shard went away)."""

_SAMPLE_TIMES: Final = 1024
"""How many ingest timestamps to remember for "N samples" lines."""

_NS_PER_S: Final = 1e9
_MS_PER_UNIT: Final = {
    "ns": 1e-6,
    "us": 1e-3,
    "ms": 1.0,
    "s": 1000.0,
    "min": 60_000.0,
    "h": 3_600_000.0,
}
"""Milliseconds per UCUM time unit; an unknown or missing unit is read as seconds
(OpenTelemetry's convention for durations)."""

_STATE: Final = (
    "state",
    "cpu.mode",
    "system.cpu.state",
    "system.memory.state",
    "system.paging.state",
    "system.filesystem.state",
)
_CPU: Final = ("cpu", "cpu.logical_number", "system.cpu.logical_number")
_DEVICE: Final = ("device", "system.device", "network.interface.name")
_DIRECTION: Final = ("direction", "disk.io.direction", "network.io.direction")
_MOUNTPOINT: Final = ("mountpoint", "system.filesystem.mountpoint")
_SHARD: Final = ("shard", "shard_id", "shard.id", "discord.shard.id", "discord.shard_id")
_TYPE: Final = ("type",)
_CONNECTED: Final = ("discord.gateway.connected", "discord.connected")
"""One point per shard: 1 when it is ready and open."""

_VIRTUAL_DISK: Final = re.compile(r"(loop|ram|zram|dm-|md)\d")
"""Devices layered over (or beside) physical disks: counting them would double the rate."""
_LOCAL_NET: Final = re.compile(r"lo\d*|veth.*|docker.*|br-.*|virbr.*|cni.*|flannel.*|cali.*")
"""Loopback, and the virtual interfaces of containers: their traffic also crosses the
physical interface, and counting both would double the rate."""


@dataclass(frozen=True)
class Reading:
    """One derived reading: latest value and the recent history it came with."""

    key: str
    label: str
    unit: str
    """``%``, ``By``, ``By/s``, ``ms``, ``/min`` or ``""`` for a plain number."""
    now: float
    history: tuple[float, ...]
    peak: float
    mean: float
    at_ns: int
    times: tuple[int, ...] = ()
    """When each value of ``history`` was exported (unix ns), oldest first."""

    def within(self, start_ns: int, end_ns: int) -> tuple[float, ...]:
        """The values exported in ``[start_ns, end_ns]`` (all of them if none was timed)."""
        if not self.times:
            return self.history
        pairs = zip(self.history, self.times, strict=True)
        return tuple(v for v, t in pairs if start_ns <= t <= end_ns)


Attrs = Mapping[str, Any]
Derived = tuple[str, str, str, float]
"""(key, label, unit, value) produced from one export."""


def _attr(attrs: Attrs, names: tuple[str, ...]) -> str | None:
    for name in names:
        if name in attrs:
            return str(attrs[name])
    return None


def _series_key(name: str, attrs: Attrs) -> tuple[str, tuple[tuple[str, str], ...]]:
    return name, tuple(sorted((k, repr(v)) for k, v in attrs.items()))


@dataclass
class _Counter:
    start_ns: int
    time_ns: int
    value: float
    seen: int


@dataclass
class _Track:
    label: str
    unit: str
    values: deque[float]
    times: deque[int]
    at_ns: int = 0
    seen: int = 0


@dataclass
class _Batch:
    """One export, flattened: latest values, per-second rates, and which counters reset."""

    values: dict[str, list[tuple[Attrs, float]]] = field(default_factory=dict)
    rates: dict[str, list[tuple[Attrs, float]]] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)
    reset: dict[str, list[Attrs]] = field(default_factory=dict)
    """The series of each counter that restarted in this export."""
    time_ns: int = 0

    def get(self, name: str) -> list[tuple[Attrs, float]]:
        return self.values.get(name, [])

    def first(self, *names: str) -> tuple[str, list[tuple[Attrs, float]]]:
        """The first metric of ``names`` present in this export (older/newer spellings)."""
        for name in names:
            if name in self.values:
                return name, self.values[name]
        return names[0], []

    def rate_sum(self, name: str, keep: Callable[[Attrs], bool] | None = None) -> float | None:
        """Sum of the per-second rates of ``name``'s kept series; None if none yet or one of
        them reset (a reset of a series left out, such as a loop device, costs nothing)."""
        if any(keep is None or keep(attrs) for attrs in self.reset.get(name, ())):
            return None
        rates = [r for a, r in self.rates.get(name, []) if keep is None or keep(a)]
        return math.fsum(rates) if rates else None

    def seconds_factor(self, name: str) -> float:
        """Multiplier to milliseconds for a duration metric (its UCUM unit; seconds if none)."""
        return _MS_PER_UNIT.get(self.units.get(name, ""), 1000.0)


class MetricHistory:
    """Keeps, in bounded memory, the latest value and recent history of each derived reading."""

    def __init__(self, *, samples: int = 30, max_series: int = 2000) -> None:
        if samples < 1 or max_series < 1:
            msg = f"samples and max_series must be at least 1, got {samples}, {max_series}"
            raise ValueError(msg)
        self._samples = samples
        self._max_series = max_series
        self._counters: dict[tuple[str, tuple[tuple[str, str], ...]], _Counter] = {}
        self._levels: dict[tuple[str, tuple[tuple[str, str], ...]], _Counter] = {}
        """Delta up-down counters' running levels: kept while quiet (a synchronous one
        exports no point while nothing changes), bounded by ``max_series``."""
        self._tracks: dict[str, _Track] = {}
        self._ingests = 0
        self._times: deque[int] = deque(maxlen=_SAMPLE_TIMES)

    def ingest(self, data: MetricsData) -> None:
        """Fold one SDK export (any interval, cumulative or delta) into the history."""
        self._ingests += 1
        batch = self._flatten(data)
        for key, label, unit, value in _derive(batch):
            if math.isfinite(value):
                self._record(key, label, unit, value, batch.time_ns)
        self._forget_stale()
        if batch.time_ns:
            self._times.append(batch.time_ns)

    def readings(self) -> dict[str, Reading]:
        """Derived readings by key."""
        return {key: self._reading(key, t) for key, t in self._tracks.items() if t.values}

    def value(self, key: str) -> float | None:
        """Latest value of ``key``, or None when it has no data (for alert rules)."""
        track = self._tracks.get(key)
        return track.values[-1] if track is not None and track.values else None

    def sample_times(self) -> tuple[int, ...]:
        """Timestamps (unix ns) of recent exports, oldest first."""
        return tuple(self._times)

    def _reading(self, key: str, track: _Track) -> Reading:
        history = tuple(track.values)
        return Reading(
            key=key,
            label=track.label,
            unit=track.unit,
            now=history[-1],
            history=history,
            peak=max(history),
            mean=math.fsum(history) / len(history),
            at_ns=track.at_ns,
            times=tuple(track.times),
        )

    def _record(self, key: str, label: str, unit: str, value: float, at_ns: int) -> None:
        track = self._tracks.get(key)
        if track is None:
            if len(self._tracks) >= self._max_series:
                return
            track = self._tracks[key] = _Track(
                label, unit, deque(maxlen=self._samples), deque(maxlen=self._samples)
            )
        track.values.append(value)
        track.times.append(at_ns)
        track.at_ns = at_ns
        track.seen = self._ingests

    def _forget_stale(self) -> None:
        oldest = self._ingests - STALE_AFTER_INGESTS
        for key in [k for k, t in self._tracks.items() if t.seen <= oldest]:
            del self._tracks[key]
        for ckey in [k for k, c in self._counters.items() if c.seen <= oldest]:
            del self._counters[ckey]

    def _flatten(self, data: MetricsData) -> _Batch:
        batch = _Batch()
        for resource_metrics in data.resource_metrics:
            for scope_metrics in resource_metrics.scope_metrics:
                for metric in scope_metrics.metrics:
                    self._add_metric(batch, metric.name, metric.unit or "", metric.data)
        return batch

    def _add_metric(self, batch: _Batch, name: str, unit: str, data: object) -> None:
        if not isinstance(data, (Gauge, Sum)):
            return  # histograms carry no reading of ours
        counter = isinstance(data, Sum) and data.is_monotonic
        delta = isinstance(data, Sum) and (
            data.aggregation_temporality == AggregationTemporality.DELTA
        )
        batch.units[name] = unit
        for point in data.data_points:
            value = float(point.value)
            if not math.isfinite(value):
                continue
            attrs: Attrs = point.attributes or {}
            batch.time_ns = max(batch.time_ns, point.time_unix_nano)
            if delta and not counter:  # an up-down counter's changes: the level is their sum
                level = self._level(name, attrs, point)
                if level is None:
                    continue
                value = level
            batch.values.setdefault(name, []).append((attrs, value))
            if not counter:
                continue
            if delta:
                rate = self._delta_rate(name, attrs, point)
            else:
                rate = self._cumulative_rate(batch, name, attrs, point)
            if rate is not None:
                batch.rates.setdefault(name, []).append((attrs, rate))

    def _level(self, name: str, attrs: Attrs, point: NumberDataPoint) -> float | None:
        """The running sum of a delta up-down counter's changes (its first one is its level)."""
        key = _series_key(name, attrs)
        value, now = float(point.value), point.time_unix_nano
        prev = self._levels.get(key)
        if prev is None:
            if len(self._levels) >= self._max_series:
                return None
            self._levels[key] = _Counter(point.start_time_unix_nano, now, value, self._ingests)
            return value
        prev.seen = self._ingests
        if now > prev.time_ns:  # not the same point exported again
            prev.time_ns, prev.value = now, prev.value + value
        return prev.value

    def _delta_rate(self, name: str, attrs: Attrs, point: NumberDataPoint) -> float | None:
        """A delta point over its own interval, from a series' second point on.

        The first is a baseline, as a cumulative series' first point is: an asynchronous
        counter's first delta is everything since it began counting (bytes since boot)
        over an interval since the provider started.
        """
        key = _series_key(name, attrs)
        start, now = point.start_time_unix_nano, point.time_unix_nano
        prev = self._counters.get(key)
        if prev is None:
            if len(self._counters) < self._max_series:
                self._counters[key] = _Counter(start, now, float(point.value), self._ingests)
            return None
        prev.seen = self._ingests
        if now <= prev.time_ns:
            return None  # the same point exported again
        prev.start_ns, prev.time_ns = start, now
        return _delta_rate(float(point.value), start, now)

    def _cumulative_rate(
        self, batch: _Batch, name: str, attrs: Attrs, point: NumberDataPoint
    ) -> float | None:
        key = _series_key(name, attrs)
        value = float(point.value)
        start, now = point.start_time_unix_nano or 0, point.time_unix_nano
        prev = self._counters.get(key)
        if prev is None:
            if len(self._counters) < self._max_series:
                self._counters[key] = _Counter(start, now, value, self._ingests)
            return None
        prev.seen = self._ingests
        if value < prev.value or (start and prev.start_ns and start != prev.start_ns):
            # restarted counter: a new baseline, never a negative rate
            batch.reset.setdefault(name, []).append(attrs)
            prev.start_ns, prev.time_ns, prev.value = start, now, value
            return None
        if now <= prev.time_ns:
            return None  # the same point exported again
        rate = (value - prev.value) / ((now - prev.time_ns) / _NS_PER_S)
        prev.start_ns, prev.time_ns, prev.value = start, now, value
        return rate


def _delta_rate(value: float, start_ns: int, time_ns: int) -> float | None:
    if not start_ns or time_ns <= start_ns or value < 0:
        return None
    return value / ((time_ns - start_ns) / _NS_PER_S)


def _derive(batch: _Batch) -> Iterator[Derived]:
    for derive in _DERIVATIONS:
        yield from derive(batch)


def _percent(fraction: float) -> float:
    # Rounded past any reading's precision: 0.56 * 100 is 56.00000000000001, which would
    # breach a 56 % threshold.
    return min(max(round(fraction * 100.0, 9), 0.0), 100.0)


def _system_cpu(batch: _Batch) -> Iterator[Derived]:
    per_cpu: dict[str, float] = {}
    measured: dict[str, float] = {}
    for attrs, value in batch.get("system.cpu.utilization"):
        cpu = _attr(attrs, _CPU) or ""
        measured[cpu] = measured.get(cpu, 0.0) + value
        if _attr(attrs, _STATE) == "idle":
            per_cpu[cpu] = _percent(1.0 - value)
    # psutil's very first utilization reading has every state at 0 (nothing to compare
    # with yet); read as "1 - idle" it would say 100 % busy.
    per_cpu = {cpu: pct for cpu, pct in per_cpu.items() if measured.get(cpu, 0.0) > 0.0}
    if not per_cpu and "system.cpu.time" not in batch.reset:
        totals: dict[str, list[float]] = {}
        for attrs, rate in batch.rates.get("system.cpu.time", []):
            busy_idle = totals.setdefault(_attr(attrs, _CPU) or "", [0.0, 0.0])
            busy_idle[_attr(attrs, _STATE) == "idle"] += rate
        per_cpu = {
            cpu: _percent(busy / (busy + idle))
            for cpu, (busy, idle) in totals.items()
            if busy + idle > 0
        }
    if not per_cpu:
        return
    yield keys.CPU, "cpu", "%", math.fsum(per_cpu.values()) / len(per_cpu)
    for cpu, percent in per_cpu.items():
        if cpu:
            yield keys.core(cpu), f"core {cpu}", "%", percent


def _used_percent(batch: _Batch, utilization: str, usage: str) -> float | None:
    """Share of the ``used`` state, from a 0-1 utilization gauge or from usage by state."""
    used = [v for a, v in batch.get(utilization) if _attr(a, _STATE) == "used"]
    if used:
        return _percent(max(used))
    points = batch.get(usage)
    total = math.fsum(v for _, v in points)
    used = [v for a, v in points if _attr(a, _STATE) == "used"]
    return _percent(math.fsum(used) / total) if used and total > 0 else None


def _memory(batch: _Batch) -> Iterator[Derived]:
    for key, label, prefix in (
        (keys.MEMORY, "memory", "system.memory"),
        (keys.SWAP, "swap", "system.swap"),
    ):
        percent = _used_percent(batch, f"{prefix}.utilization", f"{prefix}.usage")
        if percent is not None:
            yield key, label, "%", percent


def _filesystem(batch: _Batch) -> Iterator[Derived]:
    percents = [_percent(v) for a, v in batch.get("system.filesystem.utilization") if _is_used(a)]
    if not percents:
        by_mount: dict[str, list[float]] = {}
        for attrs, value in batch.get("system.filesystem.usage"):
            used_total = by_mount.setdefault(_attr(attrs, _MOUNTPOINT) or "", [0.0, 0.0])
            used_total[0] += value if _is_used(attrs) else 0.0
            used_total[1] += value
        percents = [_percent(used / total) for used, total in by_mount.values() if total > 0]
    if percents:
        yield keys.DISK, "disk space", "%", max(percents)


def _is_used(attrs: Attrs) -> bool:
    """A filesystem point of the ``used`` state (or with no state: it is the used share)."""
    state = _attr(attrs, _STATE)
    return state is None or state == "used"


def _physical_disks(batch: _Batch) -> set[str]:
    """Whole physical disks: no loop/ram/device-mapper devices, no partitions of a listed disk."""
    devices = {_attr(a, _DEVICE) or "" for a, _ in batch.get("system.disk.io")}
    return {d for d in devices if not _VIRTUAL_DISK.match(d) and not _is_partition(d, devices)}


def _is_partition(device: str, devices: set[str]) -> bool:
    """``sda1`` of ``sda``, ``nvme0n1p2`` of ``nvme0n1``, ``mmcblk0p1`` of ``mmcblk0``."""
    digits = len(device) - len(device.rstrip("0123456789"))
    if not digits:
        return False
    base = device[:-digits]
    return base in devices or (base.endswith("p") and base[:-1] in devices)


def _io_rates(batch: _Batch) -> Iterator[Derived]:
    disks = _physical_disks(batch)
    rows = (
        (keys.DISK_READ, "disk read", "system.disk.io", "read"),
        (keys.DISK_WRITE, "disk write", "system.disk.io", "write"),
        (keys.NET_RX, "net rx", "system.network.io", "receive"),
        (keys.NET_TX, "net tx", "system.network.io", "transmit"),
    )
    for key, label, name, direction in rows:

        def keep(attrs: Attrs, name: str = name, direction: str = direction) -> bool:
            device = _attr(attrs, _DEVICE) or ""
            wanted = (
                device in disks if name == "system.disk.io" else not _LOCAL_NET.fullmatch(device)
            )
            return wanted and _attr(attrs, _DIRECTION) == direction

        rate = batch.rate_sum(name, keep)
        if rate is not None:
            yield key, label, "By/s", rate


def _load(batch: _Batch) -> Iterator[Derived]:
    values = [v for _, v in batch.get("system.cpu.load_average.1m")]
    if values:
        yield keys.LOAD_1M, "load 1m", "", max(values)


def _process(batch: _Batch) -> Iterator[Derived]:
    utilization = batch.get("process.cpu.utilization")
    if utilization:
        yield keys.PROCESS_CPU, "proc cpu", "%", math.fsum(v for _, v in utilization) * 100
    else:
        cpus = {_attr(a, _CPU) for a, _ in batch.get("system.cpu.time")} or {None}
        name, _ = batch.first("process.cpu.time", "process.runtime.cpython.cpu_time")
        rate = batch.rate_sum(name)
        if rate is not None:
            yield keys.PROCESS_CPU, "proc cpu", "%", rate / len(cpus) * 100
    name, rss = batch.first("process.memory.usage", "process.runtime.cpython.memory")
    if name == "process.runtime.cpython.memory":
        rss = [(a, v) for a, v in rss if _attr(a, _TYPE) == "rss"]
    if rss:
        yield keys.RSS, "rss", "By", math.fsum(v for _, v in rss)
    for key, label, names in (
        (
            keys.THREADS,
            "threads",
            ("process.thread.count", "process.runtime.cpython.thread_count"),
        ),
        (keys.OPEN_FDS, "open fds", ("process.open_file_descriptor.count",)),
    ):
        _, points = batch.first(*names)
        if points:
            yield key, label, "", math.fsum(v for _, v in points)
    for name in ("cpython.gc.collections", "process.runtime.cpython.gc_count"):
        if name in batch.values:
            rate = batch.rate_sum(name)
            if rate is not None:
                yield keys.GC_PER_MIN, "gc", "/min", rate * 60
            break


def _discord(batch: _Batch) -> Iterator[Derived]:
    factor = batch.seconds_factor("discord.gateway.latency")
    latencies = batch.get("discord.gateway.latency")
    if latencies:
        yield keys.LATENCY, "latency", "ms", max(v for _, v in latencies) * factor
    for attrs, value in latencies:
        shard = _attr(attrs, _SHARD)
        if shard is not None:
            yield keys.shard_latency(shard), f"shard {shard}", "ms", value * factor
    lag = batch.get("discord.event_loop.lag")
    if lag:
        factor = batch.seconds_factor("discord.event_loop.lag")
        yield keys.LOOP_LAG, "loop lag", "ms", max(v for _, v in lag) * factor
    for key, label, combine, names in _DISCORD_GAUGES:
        _, points = batch.first(*names)
        if points:
            yield key, label, "", combine(v for _, v in points)
    yield from _shards(batch)
    rate = batch.rate_sum("discord.gateway.events")
    if rate is not None:
        yield keys.EVENTS_PER_MIN, "events", "/min", rate * 60


_DISCORD_GAUGES: Final[
    tuple[tuple[str, str, Callable[[Iterable[float]], float], tuple[str, ...]], ...]
] = (
    (keys.GUILDS, "guilds", math.fsum, ("discord.guilds", "discord.guild.count")),
    (
        keys.USERS_CACHED,
        "users cached",
        math.fsum,
        ("discord.users.cached", "discord.user.count"),
    ),
    (keys.CONNECTED, "connected", math.fsum, _CONNECTED),
)
"""Bot gauges: (reading key, label, how to combine per-shard points, metric names accepted)."""


def _shards(batch: _Batch) -> Iterator[Derived]:
    """The shards reported on: one ``connected`` point each, else the shard-count gauge.

    A process of a cluster runs some of the bot's shards (``shard_ids``), and its
    ``discord.shards`` is the bot's whole count: compared with the shards it runs, the
    others would read as disconnected.
    """
    _, connected = batch.first(*_CONNECTED)
    if connected:
        yield keys.SHARDS, "shards", "", float(len(connected))
        return
    _, points = batch.first("discord.shards", "discord.shard.count")
    if points:
        yield keys.SHARDS, "shards", "", max(v for _, v in points)


_DERIVATIONS: Final = (_system_cpu, _load, _memory, _filesystem, _io_rates, _process, _discord)
