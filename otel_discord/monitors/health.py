"""The health score: weighted components, each scored 0-1, and recommendations tied to them.

Pure: :func:`assess` takes the readings, delivery counters and the previous
report and returns a :class:`HealthReport`. The score is documented here and
in every embed (each component shows its value and points):

========  ======  ==========================================================
component weight  scored 1 at ``good`` or better, 0 at ``bad``, linear between
========  ======  ==========================================================
cpu         15    system CPU %: good = alert threshold - 25, bad = threshold + 5
memory      15    system memory %: same; capped at 0.25 while RSS climbs (leak)
disk        10    fullest filesystem %: same
latency     15    gateway latency: good = threshold / 4, bad = threshold x 1.5;
                  0 while any shard is disconnected
loop lag    15    event-loop lag: good 50 ms, bad 500 ms
errors      15    error-level problems per minute since the last check: good 0, bad 20
delivery    15    mean over routed channels (ok 1, retrying 0.5, disabled 0), halved
                  when anything was dropped since the last check
========  ======  ==========================================================

The score is the weighted sum, but at most ``50 + 100 x`` the worst component's
score: one part failing outright (CPU pegged, bot offline) cannot hide behind six
healthy ones, so the score drops to 50 or below and the colour turns.

A component without data (no bot metrics in a plain service, no check yet) is
skipped and the remaining weights are scaled up to 100: never a made-up value.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from otel_discord.config import DiscordConfig
from otel_discord.delivery.stats import DeliveryStats
from otel_discord.monitors import defaults as keys
from otel_discord.render.text import human_bytes, neutralise

WEIGHTS: Final[Mapping[str, float]] = {
    "cpu": 15.0,
    "memory": 15.0,
    "disk": 10.0,
    "latency": 15.0,
    "loop lag": 15.0,
    "errors": 15.0,
    "delivery": 15.0,
}
NEEDS_ATTENTION: Final = 0.8
"""A component scoring below this gets a recommendation."""
MAX_RECOMMENDATIONS: Final = 5
LEAK_MIB_PER_H: Final = 20.0
"""RSS growth (least-squares slope) above which memory counts as climbing."""
LEAK_MIN_SPAN_S: Final = 900.0
"""RSS history needed before a growth rate means anything."""
LEAK_MIN_SAMPLES: Final = 4
LEAK_RISING_SHARE: Final = 0.6
"""Share of steps that must rise: a sawtooth (GC, caches refilling) is not a leak."""
LEAK_MEMORY_CAP: Final = 0.25
WORST_CAP_BASE: Final = 50.0
WORST_CAP_SLOPE: Final = 100.0
"""Score cap = WORST_CAP_BASE + WORST_CAP_SLOPE x the worst component's score."""
_MIB: Final = 1024 * 1024


@dataclass(frozen=True)
class HealthPolicy:
    """Where each component goes from good to bad; built from the alert thresholds."""

    cpu: tuple[float, float] = (65.0, 95.0)
    memory: tuple[float, float] = (65.0, 95.0)
    disk: tuple[float, float] = (65.0, 95.0)
    latency_ms: tuple[float, float] = (250.0, 1500.0)
    loop_lag_ms: tuple[float, float] = (50.0, 500.0)
    errors_per_min: tuple[float, float] = (0.0, 20.0)

    @classmethod
    def from_config(cls, config: DiscordConfig) -> HealthPolicy:
        def percent(threshold: float) -> tuple[float, float]:
            return (max(0.0, threshold - 25.0), min(100.0, threshold + 5.0))

        latency = float(config.alert_latency_ms)
        return cls(
            cpu=percent(config.alert_cpu_percent),
            memory=percent(config.alert_memory_percent),
            disk=percent(config.alert_disk_percent),
            latency_ms=(latency / 4, latency * 1.5),
        )


@dataclass(frozen=True)
class HealthInputs:
    """Everything one health check looks at."""

    values: Mapping[str, float] = field(default_factory=dict)
    """Readings by key (``defaults`` names them), derived ones included."""
    errors_per_min: float | None = None
    """Error-level problems per minute since the previous check (None before a first one)."""
    rss_samples: Sequence[tuple[int, float]] = ()
    """(unix ns, bytes) of the process RSS, oldest first, for the growth rate."""
    delivery: Mapping[str, DeliveryStats] = field(default_factory=dict)
    delivery_before: Mapping[str, DeliveryStats] = field(default_factory=dict)
    max_queue_size: int = 1000
    firing: tuple[str, ...] = ()
    """Titles of the alerts firing now."""


@dataclass(frozen=True)
class Component:
    """One row of the breakdown: its value, share of the score, and points earned."""

    name: str
    value: str
    score: float
    max_points: float
    change: float | None = None
    """Points gained (+) or lost (-) since the previous check."""

    @property
    def points(self) -> float:
        return self.score * self.max_points


@dataclass(frozen=True)
class HealthReport:
    """The outcome of one check."""

    score: int
    components: tuple[Component, ...]
    recommendations: tuple[str, ...]
    change: int | None = None
    """Score change since the previous check (None for the first)."""
    held_by: str | None = None
    """The component whose failure capped the score below the weighted sum."""
    firing: tuple[str, ...] = ()
    delivery: Mapping[str, DeliveryStats] = field(default_factory=dict)


def linear(value: float, good: float, bad: float) -> float:
    """1 at ``good`` or better, 0 at ``bad`` or worse, linear between."""
    if value <= good:
        return 1.0
    if value >= bad:
        return 0.0
    return (bad - value) / (bad - good)


def memory_growth(samples: Sequence[tuple[int, float]]) -> float | None:
    """RSS growth in MiB/h (least-squares slope), or None if the history is too short."""
    if len(samples) < LEAK_MIN_SAMPLES:
        return None
    t0 = samples[0][0]
    xs = [(t - t0) / 1e9 / 3600 for t, _ in samples]
    if xs[-1] * 3600 < LEAK_MIN_SPAN_S:
        return None
    ys = [v / _MIB for _, v in samples]
    mean_x, mean_y = math.fsum(xs) / len(xs), math.fsum(ys) / len(ys)
    var = math.fsum((x - mean_x) ** 2 for x in xs)
    if var <= 0:
        return None
    return math.fsum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / var


def is_leaking(samples: Sequence[tuple[int, float]]) -> float | None:
    """The growth rate if RSS climbs steadily enough to look like a leak, else None."""
    rate = memory_growth(samples)
    if rate is None or rate < LEAK_MIB_PER_H:
        return None
    steps = [b[1] - a[1] for a, b in itertools.pairwise(samples)]
    rising = sum(1 for step in steps if step > 0)
    return rate if rising >= LEAK_RISING_SHARE * len(steps) else None


def number(value: float, unit: str) -> str:
    """``1.8 ms``, ``87 ms``, ``23 %``: one decimal below 10, whole numbers above."""
    text = "0" if value == 0 else f"{value:.1f}" if abs(value) < 10 else f"{value:.0f}"
    return f"{text} {unit}" if unit != "/min" else f"{text}/min"


@dataclass
class _Draft:
    """Components and recommendations gathered before weights are normalised."""

    rows: list[tuple[str, str, float]] = field(default_factory=list)
    advice: list[tuple[float, str]] = field(default_factory=list)

    def add(self, name: str, value: str, score: float, advice: str | None = None) -> None:
        self.rows.append((name, value, score))
        if advice is not None and score < NEEDS_ATTENTION:
            self.advise(WEIGHTS[name] * (1 - score), advice)

    def advise(self, weight: float, text: str) -> None:
        self.advice.append((weight, text))


def assess(
    inputs: HealthInputs, policy: HealthPolicy, previous: HealthReport | None = None
) -> HealthReport:
    """Score each component with data, normalise the weights, and say what to do."""
    draft = _Draft()
    v = inputs.values
    _cpu(draft, v, policy)
    _memory(draft, v, inputs.rss_samples, policy)
    _percent_row(draft, "disk", v.get(keys.DISK), policy.disk, _disk_advice)
    _latency(draft, v, policy)
    lag = v.get(keys.LOOP_LAG)
    if lag is not None:
        draft.add(
            "loop lag",
            number(lag, "ms"),
            linear(lag, *policy.loop_lag_ms),
            f"Event-loop lag {number(lag, 'ms')}: a blocking call in a handler holds the "
            "loop (sync HTTP or database client, time.sleep, heavy CPU). Await an async "
            "client or move the work to asyncio.to_thread.",
        )
    rate = inputs.errors_per_min
    if rate is not None:
        draft.add(
            "errors",
            number(rate, "/min"),
            linear(rate, *policy.errors_per_min),
            f"{number(rate, '/min')} errors since the last check: open the grouped errors "
            "in the logs channel and fix the most frequent first.",
        )
    _delivery(draft, inputs)
    return _report(draft, inputs, previous)


def _report(draft: _Draft, inputs: HealthInputs, previous: HealthReport | None) -> HealthReport:
    total_weight = math.fsum(WEIGHTS[name] for name, _, _ in draft.rows)
    before = {c.name: c.points for c in previous.components} if previous else {}
    components = []
    for name, value, score in draft.rows:
        max_points = WEIGHTS[name] * 100 / total_weight
        change = score * max_points - before[name] if name in before else None
        components.append(Component(name, value, score, max_points, change))
    weighted = math.fsum(c.points for c in components) if components else 100.0
    worst = min(components, key=lambda c: c.score, default=None)
    cap = WORST_CAP_BASE + WORST_CAP_SLOPE * worst.score if worst is not None else 100.0
    held_by = worst.name if worst is not None and cap < weighted else None
    score = round(min(weighted, cap))
    ranked = sorted(draft.advice, key=lambda item: -item[0])
    return HealthReport(
        score=score,
        components=tuple(components),
        recommendations=tuple(text for _, text in ranked[:MAX_RECOMMENDATIONS]),
        change=score - previous.score if previous is not None else None,
        held_by=held_by,
        firing=inputs.firing,
        delivery=dict(inputs.delivery),
    )


def _percent_row(
    draft: _Draft,
    name: str,
    value: float | None,
    curve: tuple[float, float],
    advice: Callable[[float], str],
) -> None:
    if value is not None:
        draft.add(name, number(value, "%"), linear(value, *curve), advice(value))


def _disk_advice(value: float) -> str:
    return (
        f"Disk {number(value, '%')} full on the fullest filesystem: clear old logs and "
        "caches or grow the volume before writes fail."
    )


def _cpu(draft: _Draft, v: Mapping[str, float], policy: HealthPolicy) -> None:
    cpu = v.get(keys.CPU)
    if cpu is None:
        return
    proc = v.get(keys.PROCESS_CPU)
    head = f"CPU at {number(cpu, '%')}"
    if proc is None:
        advice = f"{head}: find the busiest process (top) and what it is doing."
    elif proc >= cpu / 2:
        advice = (
            f"{head}, {number(proc, '%')} of it this process: profile it (py-spy top "
            "--pid <pid>), cache repeated work, move heavy work to a process pool."
        )
    else:
        advice = (
            f"{head}, mostly other processes (this one {number(proc, '%')}): check what "
            "else runs on the host."
        )
    draft.add("cpu", number(cpu, "%"), linear(cpu, *policy.cpu), advice)


def _memory(
    draft: _Draft,
    v: Mapping[str, float],
    rss_samples: Sequence[tuple[int, float]],
    policy: HealthPolicy,
) -> None:
    growth = is_leaking(rss_samples)
    rss = v.get(keys.RSS)
    rss_text = f"RSS {human_bytes(rss)}" if rss is not None else "RSS"
    memory = v.get(keys.MEMORY)
    if growth is not None:
        draft.advise(
            WEIGHTS["memory"] * 0.75,
            f"Memory climbing +{growth:.0f} MiB/h ({rss_text}): possible leak. Look for "
            "caches and lists that only grow (bound them, e.g. discord.py max_messages) "
            "and compare tracemalloc snapshots.",
        )
    if memory is None:
        return
    score = linear(memory, *policy.memory)
    if growth is not None:
        score = min(score, LEAK_MEMORY_CAP)
    advice = (
        f"System memory at {number(memory, '%')} ({rss_text} for this process): trim "
        "caches (max_messages, member cache, intents) or give the host more memory."
    )
    value = number(memory, "%") + (" ↗" if growth is not None else "")
    draft.add("memory", value, score, None if growth is not None else advice)


def _latency(draft: _Draft, v: Mapping[str, float], policy: HealthPolicy) -> None:
    latency = v.get(keys.LATENCY)
    down = v.get(keys.DISCONNECTED)
    if down is not None and down > 0:
        shards = v.get(keys.SHARDS)
        of = f" of {shards:.0f}" if shards is not None else ""
        draft.add(
            "latency",
            "offline",
            0.0,
            f"The bot is disconnected from the gateway ({down:.0f}{of} shards): check "
            "discordstatus.com, the bot token and the host's network; discord.py "
            "reconnects by itself once Discord answers.",
        )
        return
    if latency is None:
        return
    lag = v.get(keys.LOOP_LAG)
    cause = (
        "fix the event-loop lag first, heartbeats wait behind it"
        if lag is not None and lag > policy.loop_lag_ms[0]
        else "the network path to Discord or an overloaded host; check discordstatus.com"
    )
    draft.add(
        "latency",
        number(latency, "ms"),
        linear(latency, *policy.latency_ms),
        f"Gateway latency {number(latency, 'ms')}: {cause}.",
    )


def _delivery(draft: _Draft, inputs: HealthInputs) -> None:
    stats = inputs.delivery
    if not stats:
        return
    scores = {"ok": 1.0, "retrying": 0.5, "disabled": 0.0}
    score = math.fsum(scores[s.state] for s in stats.values()) / len(stats)
    dropped_total = 0
    problems: list[str] = []
    for channel, now in stats.items():
        before = inputs.delivery_before.get(channel, DeliveryStats())
        error = f" ({neutralise(now.last_error)})" if now.last_error else ""
        if now.state == "disabled":
            draft.advise(
                15.0,
                f"The {channel} destination stopped working{error}: recreate the webhook "
                "or fix the channel ID and permissions, then restart.",
            )
        elif now.state == "retrying":
            draft.advise(
                10.0,
                f"Delivery to {channel} is failing and retrying{error}; {now.queue_depth} "
                f"item(s) wait in memory (limit {inputs.max_queue_size}).",
            )
        dropped = sum(now.dropped.values()) - sum(before.dropped.values())
        if dropped > 0:
            dropped_total += dropped
            draft.advise(
                7.5,
                f"{dropped} item(s) dropped in {channel} since the last check: a channel "
                "takes about 30 messages a minute; raise the log level or route noisy "
                "records to a channel of their own.",
            )
        shared = now.rate_limited.get("shared", 0) - before.rate_limited.get("shared", 0)
        if shared > 0:
            draft.advise(
                5.0,
                f"{shared} shared rate limit(s) in {channel}: another poster uses the same "
                "channel; give otel-discord a channel of its own.",
            )
    down = sum(1 for s in stats.values() if s.state == "disabled")
    retrying = sum(1 for s in stats.values() if s.state == "retrying")
    problems += [f"{down} down"] if down else []
    problems += [f"{retrying} retrying"] if retrying else []
    if dropped_total:
        score /= 2
        problems.append(f"{dropped_total} dropped")
    value = problems[0] if problems else f"{len(stats)}/{len(stats)} ok"
    draft.rows.append(("delivery", value, score))
