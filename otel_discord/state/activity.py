"""The analytics window: spans and the bot's activity counters of one interval, bounded.

``ActivityWindow`` accumulates; ``close`` hands out an :class:`Activity` value that
:func:`otel_discord.render.analytics.render_activity` turns into an embed.
"""

from __future__ import annotations

import dataclasses
import math
import random
from collections import Counter, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from opentelemetry.sdk.metrics.export import Gauge, MetricsData, Sum
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import StatusCode

from otel_discord.state.span_fields import FieldReader

MAX_SPAN_NAMES: Final = 200
MAX_DURATIONS: Final = 512
"""Durations kept per span name and window: a uniform sample (a reservoir) beyond this."""
MAX_SERIES: Final = 2048
"""Series kept per counter, above the SDK's default cardinality limit (2,000 series and
its overflow series); one counter's many series never crowd out another's."""
SAMPLER: Final = random.Random()
"""Where the duration reservoirs draw from (a test seeds it to compare two intakes)."""
_random: Final = SAMPLER.random
_ERROR: Final = StatusCode.ERROR
_NAME_TIMES: Final = FieldReader("name", "start_time", "end_time")
_NAME_TIMES_STATUS: Final = FieldReader("name", "start_time", "end_time", "status")
HISTORY: Final = 12
"""Windows of history kept for the sparklines."""

COMMANDS: Final = "discord.commands"
ACTIVITY_COUNTERS: Final = frozenset(
    {
        "discord.gateway.events",
        "discord.messages",
        COMMANDS,
        "discord.commands.unknown",
        "discord.guild.changes",
        "discord.member.changes",
        "discord.voice.changes",
        "discord.reactions",
        "discord.errors",
    }
)
ACTIVE_USERS: Final = "discord.users.active"


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list (``q`` in 0..1)."""
    if not sorted_values:
        return math.nan
    rank = max(0, math.ceil(q * len(sorted_values)) - 1)
    return sorted_values[rank]


@dataclass
class SpanStats:
    """Count, errors and a bounded sample of durations (seconds) of one span name."""

    count: int = 0
    errors: int = 0
    durations: list[float] = field(default_factory=list)

    def add(self, duration_s: float, error: bool) -> None:
        self.count += 1
        self.errors += error
        if len(self.durations) < MAX_DURATIONS:
            self.durations.append(duration_s)
        else:  # a reservoir: every span of the window as likely to be kept as any other
            slot = int(_random() * self.count)
            if slot < MAX_DURATIONS:
                self.durations[slot] = duration_s


@dataclass(frozen=True)
class Activity:
    """A closed window, ready to render."""

    start_ns: int
    end_ns: int
    counters: Mapping[tuple[str, tuple[tuple[str, Any], ...]], float]
    spans: Mapping[str, SpanStats]
    history: Mapping[str, tuple[float, ...]]
    member_changes: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    """Joins and leaves per guild name, from the instrumentation's log events."""
    active_users: float | None = None
    """The most distinct users of the last five minutes any reading in the window gave
    (``discord.users.active``); None without the instrumentation."""

    def total(self, metric: str, **attrs: Any) -> float:
        """Sum of a counter over series whose attributes include ``attrs``."""
        return sum(
            value
            for (name, key), value in self.counters.items()
            if name == metric and all(dict(key).get(k) == v for k, v in attrs.items())
        )

    def by(self, metric: str, attr: str, **attrs: Any) -> dict[str, float]:
        """A counter broken down by one attribute."""
        out: dict[str, float] = {}
        for (name, key), value in self.counters.items():
            labels = dict(key)
            if name == metric and all(labels.get(k) == v for k, v in attrs.items()):
                label = str(labels.get(attr, "?"))
                out[label] = out.get(label, 0.0) + value
        return out

    @property
    def empty(self) -> bool:
        return not any(self.counters.values()) and not self.spans and not self.member_changes


class ActivityWindow:
    """Accumulates one interval of activity. Not thread-safe: the pipeline holds a lock."""

    def __init__(self, start_ns: int) -> None:
        self.start_ns = start_ns
        self._counters: dict[tuple[str, tuple[tuple[str, Any], ...]], float] = {}
        self._last: dict[tuple[str, tuple[tuple[str, Any], ...]], float] = {}
        self._last_series: dict[str, int] = {}
        """Series per counter in ``_last``; ``_window_series``: in ``_counters``."""
        self._window_series: dict[str, int] = {}
        self._spans: dict[str, SpanStats] = {}
        self._history: dict[str, deque[float]] = {}
        self._members: dict[str, list[Any]] = {}
        """Guild id (its name without one) -> [joins, leaves, name]."""
        self._active_users: float | None = None

    def add_member_change(self, guild: str, joined: bool, guild_id: str | None = None) -> None:
        """Count a member join or leave; guilds are told apart by id (names repeat)."""
        key = guild_id or guild
        counts = self._members.get(key)
        if counts is None:
            if len(self._members) >= MAX_SPAN_NAMES:
                key = guild = "(other guilds)"
            counts = self._members.setdefault(key, [0, 0, guild])
        counts[0 if joined else 1] += 1

    def add_spans(self, spans: Iterable[ReadableSpan], *, none_failed: bool = False) -> None:
        """Count each span under its name with its duration, and whether its status is an error.

        ``none_failed``: the caller found none of ``spans`` an error (``span_is_error``), so
        none has an error status: the status is not read. Each span's fields are read in one
        C call where its class allows (:mod:`~otel_discord.state.span_fields`), and the per-name
        update is ``SpanStats.add`` inline: this runs for every span the bot ends.
        """
        by_name = self._spans
        reader = _NAME_TIMES if none_failed else _NAME_TIMES_STATUS
        readers, learn = reader.by_type, reader.learn
        random = _random
        error = False
        for span in spans:
            read = readers.get(type(span)) or learn(type(span))
            if none_failed:
                name, start, end = read(span)
            else:
                name, start, end, status = read(span)
                error = status.status_code is _ERROR
            stats = by_name.get(name)
            if stats is None:
                if len(by_name) >= MAX_SPAN_NAMES:
                    name = "(other)"
                stats = by_name.setdefault(name, SpanStats())
            duration = max(0.0, ((end or 0) - (start or 0)) / 1e9)
            # SpanStats.add, inline (a call per span costs more than the update).
            count = stats.count = stats.count + 1
            if error:
                stats.errors += 1
            durations = stats.durations
            if len(durations) < MAX_DURATIONS:
                durations.append(duration)
            else:
                slot = int(random() * count)
                if slot < MAX_DURATIONS:
                    durations[slot] = duration

    def add_metrics(self, data: MetricsData) -> None:
        """Turn the activity counters (cumulative or delta) into per-window increments."""
        for resource_metrics in data.resource_metrics:
            for scope_metrics in resource_metrics.scope_metrics:
                for metric in scope_metrics.metrics:
                    if metric.name in ACTIVITY_COUNTERS and isinstance(metric.data, Sum):
                        self._add_sum(metric.name, metric.data)
                    elif metric.name == ACTIVE_USERS and isinstance(metric.data, Gauge):
                        self._add_active_users(metric.data)

    def _add_active_users(self, data: Gauge) -> None:
        for point in data.data_points:
            value = float(point.value)
            if math.isfinite(value) and value >= 0:
                self._active_users = max(self._active_users or 0.0, value)

    def _add_sum(self, name: str, data: Sum) -> None:
        cumulative = data.aggregation_temporality.name == "CUMULATIVE"
        for point in data.data_points:
            key = (name, tuple(sorted((point.attributes or {}).items())))
            value = float(point.value)
            if cumulative:
                previous = self._last.get(key)
                if previous is None and not _admit(self._last_series, name):
                    continue
                self._last[key] = value
                # A first sighting counts fully: the process started in this window.
                delta = value if previous is None or value < previous else value - previous
            else:
                delta = value
            if not delta:
                continue
            if key in self._counters:
                self._counters[key] += delta
            elif _admit(self._window_series, name):
                self._counters[key] = delta

    def close(self, end_ns: int) -> Activity:
        """Hand out this window and start the next one (counter baselines carry over)."""
        members = _by_label(self._members)
        activity = Activity(
            self.start_ns,
            end_ns,
            dict(self._counters),
            self._spans,
            {},
            members,
            self._active_users,
        )
        for metric in ("discord.messages", COMMANDS, "discord.gateway.events"):
            self._history.setdefault(metric, deque(maxlen=HISTORY)).append(activity.total(metric))
        history = {name: tuple(values) for name, values in self._history.items()}
        self._counters = {}
        self._window_series = {}
        self._spans = {}
        self._members = {}
        self._active_users = None
        self.start_ns = end_ns
        return dataclasses.replace(activity, history=history)


def _admit(series: dict[str, int], name: str) -> bool:
    """Count one more series of counter ``name`` if it has room (``MAX_SERIES``)."""
    count = series.get(name, 0)
    if count >= MAX_SERIES:
        return False
    series[name] = count + 1
    return True


def _by_label(members: Mapping[str, list[Any]]) -> dict[str, tuple[int, int]]:
    """Joins and leaves under each guild's name; a name two guilds share gets their ids."""
    names = Counter(name for _, _, name in members.values())
    return {
        (f"{name} ({key})" if names[name] > 1 and key != name else name): (joins, leaves)
        for key, (joins, leaves, name) in members.items()
    }
