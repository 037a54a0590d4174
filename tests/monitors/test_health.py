"""The health score and its recommendations for named scenarios (pure, exact values)."""

from __future__ import annotations

import pytest

from otel_discord import DiscordConfig
from otel_discord.delivery.stats import DeliveryStats
from otel_discord.monitors import defaults as keys
from otel_discord.monitors.health import (
    HealthInputs,
    HealthPolicy,
    HealthReport,
    assess,
    is_leaking,
    linear,
    memory_growth,
)

POLICY = HealthPolicy.from_config(DiscordConfig())
MIB = 1024 * 1024
MIN_NS = 60 * 1_000_000_000
OK4 = {
    name: DeliveryStats(sent_messages=3)
    for name in ("analytics", "diagnostics", "logs", "performance")
}


def bot(**values: float) -> dict[str, float]:
    """Readings of a calm bot, overridden by ``values``."""
    base = {
        keys.CPU: 20.0,
        keys.PROCESS_CPU: 5.0,
        keys.MEMORY: 40.0,
        keys.RSS: 300.0 * MIB,
        keys.DISK: 50.0,
        keys.LATENCY: 80.0,
        keys.LOOP_LAG: 2.0,
        keys.CONNECTED: 1.0,
        keys.SHARDS: 1.0,
        keys.DISCONNECTED: 0.0,
    }
    base.update(values)
    return base


def rows(report: HealthReport) -> list[tuple[str, str, float]]:
    return [(c.name, c.value, round(c.points, 2)) for c in report.components]


class TestScenarios:
    """Named situations give the documented score and the advice that fits them."""

    def test_healthy(self) -> None:
        report = assess(HealthInputs(bot(), errors_per_min=0.0, delivery=OK4), POLICY)
        assert 100 == report.score
        assert () == report.recommendations
        assert [
            ("cpu", "20 %", 15.0),
            ("memory", "40 %", 15.0),
            ("disk", "50 %", 10.0),
            ("latency", "80 ms", 15.0),
            ("loop lag", "2.0 ms", 15.0),
            ("errors", "0/min", 15.0),
            ("delivery", "4/4 ok", 15.0),
        ] == rows(report)

    def test_cpu_bound(self) -> None:
        values = bot(**{keys.CPU: 93.0, keys.PROCESS_CPU: 90.0, keys.LATENCY: 300.0})
        values[keys.LOOP_LAG] = 120.0
        report = assess(HealthInputs(values, errors_per_min=0.0, delivery=OK4), POLICY)
        # weighted 83.07, capped at 50 + 100 x cpu's 0.067
        assert (57, "cpu") == (report.score, report.held_by)
        assert ("cpu", "93 %", 1.0) == rows(report)[0]
        assert (
            "CPU at 93 %, 90 % of it this process: profile it (py-spy top --pid <pid>), "
            "cache repeated work, move heavy work to a process pool.",
        ) == report.recommendations

    def test_memory_leak(self) -> None:
        samples = [(i * 5 * MIN_NS, (300 + 10 * i) * MIB) for i in range(13)]  # +120 MiB/h
        values = bot(**{keys.CPU: 30.0, keys.MEMORY: 70.0, keys.RSS: 420.0 * MIB})
        report = assess(
            HealthInputs(values, errors_per_min=0.5, rss_samples=samples, delivery=OK4), POLICY
        )
        assert (75, "memory") == (report.score, report.held_by)
        assert ("memory", "70 % ↗", 3.75) == rows(report)[1]
        assert (
            "Memory climbing +120 MiB/h (RSS 420 MiB): possible leak. Look for caches and "
            "lists that only grow (bound them, e.g. discord.py max_messages) and compare "
            "tracemalloc snapshots.",
        ) == report.recommendations

    def test_slow_loop(self) -> None:
        values = bot(**{keys.CPU: 35.0, keys.LATENCY: 700.0, keys.LOOP_LAG: 420.0})
        report = assess(HealthInputs(values, errors_per_min=0.0, delivery=OK4), POLICY)
        assert (68, "loop lag") == (report.score, report.held_by)
        assert [("latency", "700 ms", 9.6), ("loop lag", "420 ms", 2.67)] == rows(report)[3:5]
        assert (
            "Event-loop lag 420 ms: a blocking call in a handler holds the loop (sync HTTP "
            "or database client, time.sleep, heavy CPU). Await an async client or move the "
            "work to asyncio.to_thread.",
            "Gateway latency 700 ms: fix the event-loop lag first, heartbeats wait behind it.",
        ) == report.recommendations

    def test_discord_outage(self) -> None:
        values = bot(**{keys.CPU: 10.0, keys.CONNECTED: 0.0, keys.DISCONNECTED: 1.0})
        del values[keys.LATENCY]
        delivery = {
            **OK4,
            "logs": DeliveryStats(
                sent_messages=9,
                retries=4,
                dropped={"info": 3},
                queue_depth=37,
                state="retrying",
                last_error="HTTP 502",
            ),
        }
        before = {**OK4, "logs": DeliveryStats(sent_messages=9)}
        report = assess(
            HealthInputs(values, errors_per_min=0.0, delivery=delivery, delivery_before=before),
            POLICY,
        )
        assert (50, "latency") == (report.score, report.held_by)
        assert [("latency", "offline", 0.0)] == rows(report)[3:4]
        assert ("delivery", "1 retrying", 6.56) == rows(report)[-1]
        assert (
            "The bot is disconnected from the gateway (1 of 1 shards): check "
            "discordstatus.com, the bot token and the host's network; discord.py "
            "reconnects by itself once Discord answers.",
            "Delivery to logs is failing and retrying (HTTP 502); 37 item(s) wait in memory "
            "(limit 1000).",
            "3 item(s) dropped in logs since the last check: a channel takes about 30 "
            "messages a minute; raise the log level or route noisy records to a channel of "
            "their own.",
        ) == report.recommendations


class TestWeights:
    """Missing components are skipped and the rest scaled up; trends compare checks."""

    def test_service_without_bot_metrics(self) -> None:
        values = {keys.CPU: 80.0, keys.MEMORY: 40.0, keys.DISK: 50.0}
        report = assess(HealthInputs(values, errors_per_min=0.0, delivery=OK4), POLICY)
        assert ["cpu", "memory", "disk", "errors", "delivery"] == [
            c.name for c in report.components
        ]
        assert 100.0 == pytest.approx(sum(c.max_points for c in report.components))
        assert (89, None) == (report.score, report.held_by)  # 100 - 0.5 x 15 x 100/70

    def test_nothing_known_is_full_marks_without_rows(self) -> None:
        report = assess(HealthInputs(), POLICY)
        assert (100, ()) == (report.score, report.components)

    def test_trend_against_previous(self) -> None:
        first = assess(HealthInputs(bot(), errors_per_min=0.0), POLICY)
        second = assess(HealthInputs(bot(**{keys.CPU: 80.0}), errors_per_min=0.0), POLICY, first)
        # six components (no delivery): cpu is worth 100 x 15/85 points, half of them lost
        assert (None, -9) == (first.change, second.change)
        assert -8.82 == round(second.components[0].change or 0, 2)

    def test_policy_follows_thresholds(self) -> None:
        policy = HealthPolicy.from_config(
            DiscordConfig(alert_cpu_percent=80.0, alert_latency_ms=400)
        )
        assert ((55.0, 85.0), (100.0, 600.0)) == (policy.cpu, policy.latency_ms)


class TestGrowth:
    """RSS growth: a least-squares rate, and a leak only when the climb is steady."""

    def test_linear(self) -> None:
        assert (1.0, 0.5, 0.0) == (linear(10, 20, 30), linear(25, 20, 30), linear(31, 20, 30))

    def test_short_history_has_no_rate(self) -> None:
        assert (
            memory_growth([(0, 1.0), (MIN_NS, 2.0), (2 * MIN_NS, 3.0), (3 * MIN_NS, 4.0)]) is None
        )

    def test_rate_in_mib_per_hour(self) -> None:
        samples = [(i * 10 * MIN_NS, (100 + 5 * i) * MIB) for i in range(7)]
        assert 30.0 == pytest.approx(memory_growth(samples))

    def test_sawtooth_is_not_a_leak(self) -> None:
        """GC-like drops between climbs: a positive slope, but too few rising steps."""
        values = [100, 160, 100, 165, 100, 170, 100, 175, 110]
        samples = [(i * 5 * MIN_NS, v * MIB) for i, v in enumerate(values)]
        assert (memory_growth(samples) or 0) > 0
        assert is_leaking(samples) is None
