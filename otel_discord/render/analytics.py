"""The analytics summary: one embed per interval instead of a message per event.

``ActivityWindow`` accumulates spans and the bot's activity counters in bounded
memory; ``render_activity`` turns a closed window into an embed (pure).
"""

from __future__ import annotations

import dataclasses
import math
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from opentelemetry.sdk.metrics.export import MetricsData, Sum
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import StatusCode

from otel_discord.render import style
from otel_discord.render.text import clip, code_block, human_count, neutralise, sparkline
from otel_discord.render.types import Embed

MAX_SPAN_NAMES: Final = 200
MAX_DURATIONS: Final = 512
MAX_SERIES: Final = 2000
TOP_N: Final = 5
HISTORY: Final = 12
"""Windows of history kept for the sparklines."""

COMMANDS: Final = "discord.commands"
FAILURE_REASON: Final = "discord.command.failure_reason"
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
        else:  # keep a uniform-ish sample without randomness: overwrite round-robin
            self.durations[self.count % MAX_DURATIONS] = duration_s


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
        self._spans: dict[str, SpanStats] = {}
        self._history: dict[str, deque[float]] = {}
        self._members: dict[str, list[int]] = {}

    def add_member_change(self, guild: str, joined: bool) -> None:
        counts = self._members.get(guild)
        if counts is None:
            if len(self._members) >= MAX_SPAN_NAMES:
                guild = "(other guilds)"
            counts = self._members.setdefault(guild, [0, 0])
        counts[0 if joined else 1] += 1

    def add_spans(self, spans: Iterable[ReadableSpan]) -> None:
        for span in spans:
            name = span.name
            stats = self._spans.get(name)
            if stats is None:
                if len(self._spans) >= MAX_SPAN_NAMES:
                    name = "(other)"
                stats = self._spans.setdefault(name, SpanStats())
            duration = ((span.end_time or 0) - (span.start_time or 0)) / 1e9
            error = span.status.status_code is StatusCode.ERROR
            stats.add(max(0.0, duration), error)

    def add_metrics(self, data: MetricsData) -> None:
        """Turn the activity counters (cumulative or delta) into per-window increments."""
        for resource_metrics in data.resource_metrics:
            for scope_metrics in resource_metrics.scope_metrics:
                for metric in scope_metrics.metrics:
                    if metric.name in ACTIVITY_COUNTERS and isinstance(metric.data, Sum):
                        self._add_sum(metric.name, metric.data)

    def _add_sum(self, name: str, data: Sum) -> None:
        cumulative = data.aggregation_temporality.name == "CUMULATIVE"
        for point in data.data_points:
            key = (name, tuple(sorted((point.attributes or {}).items())))
            value = float(point.value)
            if cumulative:
                previous = self._last.get(key)
                if previous is None and len(self._last) >= MAX_SERIES:
                    continue
                self._last[key] = value
                # A first sighting counts fully: the process started in this window.
                delta = value if previous is None or value < previous else value - previous
            else:
                delta = value
            if delta and (key in self._counters or len(self._counters) < MAX_SERIES):
                self._counters[key] = self._counters.get(key, 0.0) + delta

    def close(self, end_ns: int) -> Activity:
        """Hand out this window and start the next one (counter baselines carry over)."""
        members = {guild: (joins, leaves) for guild, (joins, leaves) in self._members.items()}
        activity = Activity(self.start_ns, end_ns, dict(self._counters), self._spans, {}, members)
        for metric in ("discord.messages", COMMANDS, "discord.gateway.events"):
            self._history.setdefault(metric, deque(maxlen=HISTORY)).append(activity.total(metric))
        history = {name: tuple(values) for name, values in self._history.items()}
        self._counters = {}
        self._spans = {}
        self._members = {}
        self.start_ns = end_ns
        return dataclasses.replace(activity, history=history)


def render_activity(activity: Activity, *, service: str, host: str | None) -> list[Embed]:
    """The summary embed of one window; [] when nothing happened."""
    if activity.empty:
        return []
    events = activity.total("discord.gateway.events")
    messages = activity.total("discord.messages")
    ok = activity.total(COMMANDS, **{"discord.command.outcome": "success"})
    failed = activity.total(COMMANDS, **{"discord.command.outcome": "failure"})
    unknown = activity.total("discord.commands.unknown")
    headline = [f"**{human_count(events)} events**"] if events else []
    headline.append(f"{human_count(messages)} messages")
    headline.append(f"{human_count(ok + failed)} commands")
    fields: list[dict[str, Any]] = [
        _field("Commands", _command_outcomes(activity, ok, failed), COMMANDS, activity),
        _field("Messages", human_count(messages), "discord.messages", activity),
    ]
    members = activity.by("discord.member.changes", "discord.change")
    guilds = activity.by("discord.guild.changes", "discord.change")
    if members or guilds or activity.member_changes:
        lines = []
        if members:
            lines.append(f"members +{_n(members, 'join')} / −{_n(members, 'leave')}")
        lines.extend(_member_lines(activity.member_changes))
        if guilds:
            lines.append(f"guilds +{_n(guilds, 'join')} / −{_n(guilds, 'leave')}")
        fields.append({"name": "Joins · leaves", "value": "\n".join(lines), "inline": True})
    voice = activity.by("discord.voice.changes", "discord.change")
    if voice:
        text = " · ".join(f"{k} {human_count(v)}" for k, v in sorted(voice.items()))
        fields.append({"name": "Voice", "value": text, "inline": True})
    reactions = activity.by("discord.reactions", "discord.change")
    if reactions:
        text = f"+{_n(reactions, 'add')} / −{_n(reactions, 'remove')}"
        fields.append({"name": "Reactions", "value": text, "inline": True})
    top = _top_commands(activity)
    if top:
        fields.append({"name": "Top commands", "value": top, "inline": False})
    if unknown:
        fields.append({"name": "Unknown commands", "value": human_count(unknown), "inline": True})
    if activity.spans:
        fields.append({"name": "Spans", "value": _span_table(activity), "inline": False})
    failure_rate = failed / (ok + failed) if ok + failed else 0.0
    colour = style.YELLOW if failure_rate > 0.1 else style.BLUE
    return [
        {
            "title": f"📊 Activity · {style.window_text(activity.start_ns, activity.end_ns)}",
            "description": " · ".join(headline),
            "color": colour,
            "fields": fields,
            "footer": style.footer(service, host),
            "timestamp": style.iso(activity.end_ns),
        }
    ]


def _command_outcomes(activity: Activity, ok: float, failed: float) -> str:
    """``7 ok · 5 failed · 2 bad argument · 2 on cooldown · 1 error``: failures by reason."""
    reasons = activity.by(COMMANDS, FAILURE_REASON, **{"discord.command.outcome": "failure"})
    ranked = sorted(
        ((reason, count) for reason, count in reasons.items() if reason != "?" and count),
        key=lambda item: (-item[1], item[0]),
    )
    parts = [f"{human_count(ok)} ok", f"{human_count(failed)} failed"]
    parts.extend(f"{human_count(count)} {clip(neutralise(r), 40)}" for r, count in ranked)
    return " · ".join(parts)


def _member_lines(changes: Mapping[str, tuple[int, int]]) -> list[str]:
    """The busiest guilds' joins and leaves, e.g. ``Lo-Fi Lounge +12 / −3``."""
    ranked = sorted(changes.items(), key=lambda item: (-sum(item[1]), item[0]))
    lines = [
        f"{clip(neutralise(guild), 40)} +{joins} / −{leaves}"
        for guild, (joins, leaves) in ranked[:3]
    ]
    if len(ranked) > 3:
        lines.append(f"… {len(ranked) - 3} more guilds")
    return lines


def _n(counts: Mapping[str, float], key: str) -> str:
    return human_count(counts.get(key, 0))


def _field(name: str, value: str, metric: str, activity: Activity) -> dict[str, Any]:
    history = activity.history.get(metric, ())
    if len(history) > 1:
        value = f"{value}\n{sparkline(history)}"
    return {"name": name, "value": value, "inline": True}


def _top_commands(activity: Activity) -> str:
    totals = activity.by(COMMANDS, "discord.command.name")
    failures = activity.by(
        COMMANDS, "discord.command.name", **{"discord.command.outcome": "failure"}
    )
    ranked = sorted(totals.items(), key=lambda item: (-item[1], item[0]))[:TOP_N]
    lines = []
    for rank, (name, count) in enumerate(ranked, 1):
        failed = failures.get(name, 0)
        suffix = f" ({human_count(failed)} failed)" if failed else ""
        lines.append(f"{rank}. `{clip(neutralise(name), 60)}` — {human_count(count)}{suffix}")
    return "\n".join(lines)


def _span_table(activity: Activity) -> str:
    ranked = sorted(activity.spans.items(), key=lambda item: (-item[1].count, item[0]))[:TOP_N]
    rows = [f"{'span':<20} {'n':>6} {'p50':>7} {'p95':>7} {'err':>4}"]
    for name, stats in ranked:
        durations = sorted(stats.durations)
        rows.append(
            f"{name[:20]:<20} {stats.count:>6} {_ms(percentile(durations, 0.5)):>7}"
            f" {_ms(percentile(durations, 0.95)):>7} {stats.errors:>4}"
        )
    total = sum(s.count for s in activity.spans.values())
    errors = sum(s.errors for s in activity.spans.values())
    rate = f"{100 * errors / total:.1f} %" if total else "0 %"
    return f"{human_count(total)} spans · error rate {rate}\n" + code_block("\n".join(rows), 900)


def _ms(seconds: float) -> str:
    if math.isnan(seconds):
        return "-"
    return f"{seconds * 1000:.0f}ms" if seconds < 10 else f"{seconds:.0f}s"
