"""The fleet: per-sender metric state, merged into one coherent export on a schedule.

Counters arrive cumulative per process. Keyed by metric and attributes alone,
several processes' counters would interleave and give nonsense deltas, so each
sender's counters are turned into deltas here, per sender, and the merge emits
DELTA sums tagged with the sender (``otel_discord.instance``): the pipeline's
analytics add them up to exact totals and can break them down per process.

Gauges keep each sender's latest value. Host-wide ``system.*`` metrics are taken
from one process per host (the others report the same host); per-CPU and per-shard
attributes are qualified when two senders would otherwise collide. A sender that
stops exporting metrics for ``silence_after_s`` (or three of its own intervals) is
*silent*: its gauges leave the merge and the gateway says so, naming it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

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

from otel_discord.gateway._identity import Sender, sender_of
from otel_discord.gateway._metrics_in import GATEWAY_SCOPE
from otel_discord.monitors import defaults as keys
from otel_discord.monitors.rules import AlertEvaluator, AlertEvent, AlertRule
from otel_discord.state.history import MetricHistory

INSTANCE_ATTR: Final = "otel_discord.instance"
"""Attribute the merge adds to every point: the sender's label."""
SHARD_ATTRS: Final = ("shard", "shard_id", "shard.id", "discord.shard.id", "discord.shard_id")
CPU_ATTRS: Final = ("cpu", "system.cpu.logical_number")
CONNECTED_METRICS: Final = ("discord.connected", "discord.gateway.connected")
SERIES_KEPT_EXPORTS: Final = 3
"""A gauge series missing from this many of its sender's exports in a row leaves the merge."""
SILENT_INTERVALS: Final = 3.0
FORGET_AFTER_S: Final = 3600.0
"""A sender silent this long is forgotten (bounded memory across restarts and scale-downs)."""
MAX_SERIES_PER_SENDER: Final = 4000
SERIES_BYTES: Final = 1024
"""Charged per series kept besides its name and attributes (a counter or point and its key)."""
MAX_SENDER_SERIES_BYTES: Final = 4 * 1024 * 1024
"""Series bytes one sender may hold: its thousands of series, not a flood of huge labels."""
MAX_FLEET_SERIES_BYTES: Final = 64 * 1024 * 1024
"""Series bytes the whole fleet may hold (max_senders times a sender's share would be gigabytes)."""

AttrKey = tuple[tuple[str, str], ...]
Transition = tuple[Literal["silent", "back"], "SenderView", float]
"""(what happened, to whom, seconds: silent for / since last heard)."""


def _attr_key(name: str, attrs: dict[str, Any] | Any) -> tuple[str, AttrKey]:
    return name, tuple(sorted((k, repr(v)) for k, v in (attrs or {}).items()))


def _series_bytes(key: tuple[str, AttrKey]) -> int:
    """What keeping a series costs, measured: its labels are held about six times over
    (the fleet's key and point, the sender's history and the merged history, each a key
    and a point)."""
    name, attrs = key
    return SERIES_BYTES + len(name) + 6 * sum(len(k) + len(v) for k, v in attrs)


@dataclass
class _Latest:
    """The latest point of a gauge (or a non-monotonic sum) of one sender."""

    metric: Metric
    point: NumberDataPoint
    seen: int


@dataclass
class _Counter:
    """A monotonic counter of one sender: the last cumulative value and deltas not yet merged."""

    metric: Metric
    attrs: dict[str, Any]
    last: float | None = None
    start_ns: int = 0
    time_ns: int = 0
    pending: float = 0.0
    pending_start_ns: int | None = None
    pending_time_ns: int = 0

    def add(self, point: NumberDataPoint, cumulative: bool, since_ns: int) -> None:
        """Fold a point in; a counter first seen that began before ``since_ns`` is a baseline."""
        if point.time_unix_nano < self.time_ns:
            return  # an older export arriving late: its counts are inside the newer value
        value = float(point.value)
        if cumulative:
            start_ns = point.start_time_unix_nano
            restarted = (
                self.last is None
                or value < self.last
                or bool(start_ns and self.start_ns and start_ns != self.start_ns)
            )
            if self.last is None and start_ns and start_ns < since_ns:
                delta = 0.0  # counted before the gateway was listening: not this window's
            else:
                # A reset or a process started since: everything it counted is new.
                delta = value if restarted else value - (self.last or 0.0)
            start = start_ns if restarted else self.time_ns
            self.last, self.start_ns = value, start_ns
        else:
            delta, start = value, point.start_time_unix_nano
        self.time_ns = point.time_unix_nano
        if self.pending_start_ns is None:
            self.pending_start_ns = start or point.time_unix_nano
        self.pending += delta
        self.pending_time_ns = point.time_unix_nano

    def take(self) -> NumberDataPoint | None:
        if self.pending_start_ns is None:
            return None
        point = NumberDataPoint(
            dict(self.attrs), self.pending_start_ns, self.pending_time_ns, self.pending
        )
        self.pending, self.pending_start_ns = 0.0, None
        return point


@dataclass(frozen=True)
class SenderView:
    """A consistent copy of one sender's state, safe to read on any thread."""

    label: str
    service: str
    silent: bool
    last_seen_s: float
    spans: int
    logs: int
    shards: tuple[str, ...]
    down: tuple[str, ...]
    """Shards whose connection gauge says disconnected."""
    gap_s: float | None
    """Seconds between its last two metric exports."""
    silence_limit_s: float


@dataclass
class SenderState:
    """What the gateway knows of one process."""

    sender: Sender
    resource: Resource
    label: str
    first_seen_s: float
    last_seen_s: float
    history: MetricHistory
    alerts: AlertEvaluator
    last_metrics_s: float | None = None
    gap_s: float | None = None
    exports: int = 0
    spans: int = 0
    logs: int = 0
    points: int = 0
    window: dict[str, int] = field(default_factory=dict)
    """Spans, logs and errors since the last analytics summary."""
    latest: dict[tuple[str, AttrKey], _Latest] = field(default_factory=dict)
    counters: dict[tuple[str, AttrKey], _Counter] = field(default_factory=dict)
    silent: bool = False
    series_bytes: int = 0
    """What its series cost (``_series_bytes``), within the sender's and the fleet's budgets."""

    @property
    def host_key(self) -> str:
        return self.sender.host or f"?{self.label}"

    def shards(self) -> tuple[list[str], list[str]]:
        """(all shard ids, disconnected shard ids) from the latest connection gauges."""
        every, down = [], []
        for (name, _), latest in self.latest.items():
            if name in CONNECTED_METRICS:
                shard = _shard_of(latest.point.attributes or {})
                if shard is not None:
                    every.append(shard)
                    if not latest.point.value:
                        down.append(shard)
        return sorted(every, key=_shard_order), sorted(down, key=_shard_order)

    def silence_limit_s(self, floor_s: float) -> float:
        return max(floor_s, SILENT_INTERVALS * (self.gap_s or 0.0))

    def view(self, floor_s: float) -> SenderView:
        """A snapshot (call with the fleet's lock held)."""
        shards, down = self.shards()
        return SenderView(
            self.label,
            self.sender.service,
            self.silent,
            self.last_seen_s,
            self.spans,
            self.logs,
            tuple(shards),
            tuple(down),
            self.gap_s,
            self.silence_limit_s(floor_s),
        )


def _shard_of(attrs: Any) -> str | None:
    for name in SHARD_ATTRS:
        if name in attrs:
            return str(attrs[name])
    return None


def _shard_order(shard: str) -> tuple[int, int, str]:
    return (0, int(shard), "") if shard.isdigit() else (1, 0, shard)


class Fleet:
    """Per-sender state and the merge. Thread-safe.

    Args:
        instance_rules: Alert rules evaluated per sender on its own readings (named in alerts).
        repeat_s: How often a firing per-sender alert repeats.
        silence_after_s: Floor of the silence limit (see module docstring).
        max_senders: Senders tracked at once; a new one beyond evicts the quietest.
        max_series_bytes: Series bytes of all senders together; new series beyond are dropped.
        since_ns: Counters that started before this (unix ns) are baselines, not new counts.
        clock: Monotonic seconds.
    """

    def __init__(
        self,
        *,
        instance_rules: Sequence[AlertRule] = (),
        repeat_s: float = 3600.0,
        silence_after_s: float = 90.0,
        max_senders: int = 1024,
        max_series_bytes: int = MAX_FLEET_SERIES_BYTES,
        since_ns: int = 0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._since_ns = since_ns
        self._rules = tuple(instance_rules)
        self._repeat_s = repeat_s
        self._silence_after_s = silence_after_s
        self._max_senders = max_senders
        self._max_series_bytes = max_series_bytes
        self._series_bytes = 0
        self.series_dropped = 0
        """Points of new series dropped because a series budget was spent."""
        self._clock = clock
        self._lock = threading.Lock()
        self._senders: dict[AttrKey, SenderState] = {}
        self._transitions: list[Transition] = []
        self.evicted = 0
        """Senders forgotten early to make room for new ones."""

    # -- intake ----------------------------------------------------------------------------

    def sender(self, resource: Resource) -> SenderState | None:
        """The state of the process behind ``resource`` (registered on first sight).

        Never None today (a full table evicts); Optional for callers written before that.
        """
        sender = sender_of(resource)
        now = self._clock()
        with self._lock:
            state = self._senders.get(sender.key)
            if state is None:
                if len(self._senders) >= self._max_senders:
                    self._evict_quietest()
                state = SenderState(
                    sender,
                    resource,
                    self._unique_label(sender.label),
                    now,
                    now,
                    MetricHistory(),
                    AlertEvaluator(self._rules, repeat_s=self._repeat_s),
                )
                self._senders[sender.key] = state
            state.last_seen_s = now
            return state

    def _evict_quietest(self) -> None:
        """Make room: forget the sender quiet the longest (silent ones first).

        A full table must not lock out a new process for an hour (until the quiet
        ones are forgotten): throwaway sender ids go first, live processes last.
        """
        key, _ = min(
            self._senders.items(), key=lambda item: (not item[1].silent, item[1].last_seen_s)
        )
        self._forget(key)
        self.evicted += 1

    def _forget(self, key: AttrKey) -> None:
        state = self._senders.pop(key)
        self._series_bytes -= state.series_bytes

    @property
    def series_bytes(self) -> int:
        """What every sender's series cost together (see ``_series_bytes``)."""
        with self._lock:
            return self._series_bytes

    def _admit(self, state: SenderState, key: tuple[str, AttrKey]) -> bool:
        """Charge a new series to its sender and the fleet; False when either budget is spent."""
        cost = _series_bytes(key)
        if (
            state.series_bytes + cost > MAX_SENDER_SERIES_BYTES
            or self._series_bytes + cost > self._max_series_bytes
        ):
            self.series_dropped += 1
            return False
        state.series_bytes += cost
        self._series_bytes += cost
        return True

    def _release(self, state: SenderState, key: tuple[str, AttrKey]) -> None:
        cost = _series_bytes(key)
        state.series_bytes -= cost
        self._series_bytes -= cost

    def _unique_label(self, label: str) -> str:
        taken = {s.label for s in self._senders.values()}
        candidate, n = label, 2
        while candidate in taken:
            candidate, n = f"{label} #{n}", n + 1
        return candidate

    def note(self, state: SenderState, *, spans: int = 0, logs: int = 0, errors: int = 0) -> None:
        """Count records for the roster and the per-process analytics lines."""
        with self._lock:
            state.spans += spans
            state.logs += logs
            for name, n in (("spans", spans), ("logs", logs), ("errors", errors)):
                if n:
                    state.window[name] = state.window.get(name, 0) + n

    def add_metrics(
        self, state: SenderState, metrics: Iterable[Metric], export: MetricsData, now_ns: int
    ) -> list[AlertEvent]:
        """Fold one export of one sender in; return its per-sender alert events.

        A sender evicted since its request was accepted is skipped: series charged to a
        state no longer tracked would never be released.
        """
        now = self._clock()
        with self._lock:
            if self._senders.get(state.sender.key) is not state:
                return []
            if state.last_metrics_s is not None:
                state.gap_s = now - state.last_metrics_s
            state.last_metrics_s = now
            if state.silent:
                state.silent = False
                back = now - state.last_seen_s
                self._transitions.append(("back", state.view(self._silence_after_s), back))
            state.exports += 1
            kept = [m for m in (self._fold(state, metric) for metric in metrics) if m is not None]
            # Only series within the budgets reach the sender's history (its keys hold labels).
            resource = export.resource_metrics[0].resource if export.resource_metrics else None
            scope = ScopeMetrics(GATEWAY_SCOPE, kept, "")
            state.history.ingest(
                MetricsData([ResourceMetrics(resource or state.resource, [scope], "")])
            )
            values = {k: r.now for k, r in state.history.readings().items()}
            _, down = state.shards()
            if any(name in CONNECTED_METRICS for name, _ in state.latest):
                values[keys.DISCONNECTED] = float(len(down))
            return state.alerts.evaluate(values, now_ns)

    def _fold(self, state: SenderState, metric: Metric) -> Metric | None:
        """Fold a metric's points in; the metric with the points kept (None: none kept)."""
        data = metric.data
        if not isinstance(data, (Gauge, Sum)):
            return None
        monotonic = isinstance(data, Sum) and data.is_monotonic
        # What the series keep of the metric: not the request's other points (and labels).
        template = Metric(
            metric.name,
            metric.description,
            metric.unit,
            Sum([], data.aggregation_temporality, data.is_monotonic)
            if isinstance(data, Sum)
            else Gauge([]),
        )
        kept: list[NumberDataPoint] = []
        for point in data.data_points:
            state.points += 1
            key = _attr_key(metric.name, point.attributes)
            if monotonic:
                assert isinstance(data, Sum)
                counter = state.counters.get(key)
                if counter is None:
                    if len(state.counters) >= MAX_SERIES_PER_SENDER or not self._admit(state, key):
                        continue
                    counter = state.counters[key] = _Counter(template, dict(point.attributes or {}))
                cumulative = data.aggregation_temporality == AggregationTemporality.CUMULATIVE
                counter.add(point, cumulative, self._since_ns)
            elif key in state.latest or (
                len(state.latest) < MAX_SERIES_PER_SENDER and self._admit(state, key)
            ):
                state.latest[key] = _Latest(template, point, state.exports)
            else:
                continue
            kept.append(point)
        if len(kept) == len(data.data_points):
            return metric
        if not kept:
            return None
        part: Gauge | Sum = (
            Sum(kept, data.aggregation_temporality, data.is_monotonic)
            if isinstance(data, Sum)
            else Gauge(kept)
        )
        return Metric(metric.name, metric.description, metric.unit, part)

    # -- merge -----------------------------------------------------------------------------

    def merged(self) -> MetricsData:
        """Every live sender's latest gauges and the counter deltas since the last merge."""
        with self._lock:
            states = list(self._senders.values())
            live = [s for s in states if not s.silent]
            owners = _system_owners(live)
            multi_host = len({s.host_key for s in live}) > 1
            shared_shards = _shared_shards(live)
            out = []
            for state in states:
                qualify = _Qualifier(state, multi_host, shared_shards)
                metrics = self._counter_metrics(state, qualify)
                if not state.silent:
                    metrics += self._gauge_metrics(state, qualify, owners)
                if metrics:
                    scope = ScopeMetrics(GATEWAY_SCOPE, metrics, "")
                    out.append(ResourceMetrics(state.resource, [scope], ""))
        return MetricsData(out)

    def _counter_metrics(self, state: SenderState, qualify: _Qualifier) -> list[Metric]:
        by_metric: dict[str, tuple[Metric, list[NumberDataPoint]]] = {}
        for (name, _), counter in state.counters.items():
            point = counter.take()
            if point is not None:
                point = qualify(point)
                by_metric.setdefault(name, (counter.metric, []))[1].append(point)
        return [
            Metric(name, m.description, m.unit, Sum(points, AggregationTemporality.DELTA, True))
            for name, (m, points) in by_metric.items()
        ]

    def _gauge_metrics(
        self, state: SenderState, qualify: _Qualifier, owners: dict[str, SenderState]
    ) -> list[Metric]:
        oldest = state.exports - SERIES_KEPT_EXPORTS
        for key in [k for k, v in state.latest.items() if v.seen <= oldest]:
            del state.latest[key]
            self._release(state, key)
        by_metric: dict[str, tuple[Metric, list[NumberDataPoint]]] = {}
        for (name, _), latest in state.latest.items():
            if name.startswith("system.") and owners.get(state.host_key) is not state:
                continue
            entry = by_metric.setdefault(name, (latest.metric, []))
            entry[1].append(qualify(latest.point))
        metrics = []
        for name, (template, points) in by_metric.items():
            data: Gauge | Sum = (
                Sum(points, template.data.aggregation_temporality, False)
                if isinstance(template.data, Sum)
                else Gauge(points)
            )
            metrics.append(Metric(name, template.description, template.unit, data))
        return metrics

    # -- silence and summaries -------------------------------------------------------------

    def check_silence(self) -> list[Transition]:
        """Mark senders gone quiet; return every silent/back transition since the last call."""
        now = self._clock()
        with self._lock:
            for key, state in list(self._senders.items()):
                quiet = now - state.last_seen_s
                if state.last_metrics_s is None:
                    if quiet > FORGET_AFTER_S:
                        self._forget(key)  # spans/logs only: sporadic, never "silent"
                    continue
                since = now - state.last_metrics_s
                if not state.silent and since > state.silence_limit_s(self._silence_after_s):
                    state.silent = True
                    view = state.view(self._silence_after_s)
                    self._transitions.append(("silent", view, since))
                elif state.silent and since > FORGET_AFTER_S:
                    self._forget(key)
            transitions, self._transitions = self._transitions, []
        return transitions

    def views(self) -> list[SenderView]:
        """Every sender, by label (copies: safe while exports keep arriving)."""
        with self._lock:
            states = sorted(self._senders.values(), key=lambda s: s.label)
            return [state.view(self._silence_after_s) for state in states]

    def close_window(self) -> dict[str, dict[str, int]]:
        """Per-sender spans/logs/errors since the last call (for the analytics summary)."""
        with self._lock:
            out = {s.label: s.window for s in self._senders.values() if s.window}
            for state in self._senders.values():
                state.window = {}
        return out

    def describe(self) -> str:
        """``mybot · 3 processes on 2 hosts`` (live senders; services named when few)."""
        with self._lock:
            live = [s for s in self._senders.values() if not s.silent]
        services = sorted({s.sender.service for s in live})
        if not services:
            return "otel-discord gateway"
        name = ", ".join(services[:3]) + (f" +{len(services) - 3}" if len(services) > 3 else "")
        hosts = len({s.host_key for s in live})
        processes = f"{len(live)} process{'es' if len(live) != 1 else ''}"
        return f"{name} · {processes} on {hosts} host{'s' if hosts != 1 else ''}"


class _Qualifier:
    """Adds the instance attribute; qualifies CPU numbers by host and colliding shard ids."""

    def __init__(self, state: SenderState, multi_host: bool, shared: set[str]) -> None:
        self._state = state
        self._multi_host = multi_host
        self._shared = shared

    def __call__(self, point: NumberDataPoint) -> NumberDataPoint:
        attrs = dict(point.attributes or {})
        attrs[INSTANCE_ATTR] = self._state.label
        for name in CPU_ATTRS:
            if self._multi_host and name in attrs:
                attrs[name] = f"{self._state.sender.host or self._state.label}:{attrs[name]}"
        for name in SHARD_ATTRS:
            if name in attrs and str(attrs[name]) in self._shared:
                attrs[name] = f"{attrs[name]}@{self._state.label}"
        return NumberDataPoint(attrs, point.start_time_unix_nano, point.time_unix_nano, point.value)


def _system_owners(live: list[SenderState]) -> dict[str, SenderState]:
    """One sender per host reports its system.* metrics: the first by label that has them."""
    owners: dict[str, SenderState] = {}
    for state in sorted(live, key=lambda s: s.label):
        if state.host_key not in owners and any(n.startswith("system.") for n, _ in state.latest):
            owners[state.host_key] = state
    return owners


def _shared_shards(live: list[SenderState]) -> set[str]:
    """Shard ids reported by more than one sender (two bots, each with its shard 0)."""
    seen: dict[str, str] = {}
    shared: set[str] = set()
    for state in live:
        for latest in state.latest.values():
            shard = _shard_of(latest.point.attributes or {})
            if shard is not None and seen.setdefault(shard, state.label) != state.label:
                shared.add(shard)
    return shared
