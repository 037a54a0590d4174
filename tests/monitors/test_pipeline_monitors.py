"""Monitors in a real pipeline: SDK gauges in, notices out to the strict local Discord."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from otel_discord import Channel
from otel_discord.delivery.destination import WebhookDestination
from otel_discord.pipeline import Pipeline

from .rig import Clock, Rig

CALM: dict[str, float | None] = {
    "cpu": 20.0,
    "process_cpu": 5.0,
    "memory": 40.0,
    "disk": 50.0,
    "rss": 300 * 2**20,
    "latency": 80.0,
    "loop_lag": 2.0,
    "connected": 1.0,
    "shards": 1.0,
    "errors_per_min": 2.0,
}
STEP_S = 30.0


@dataclass
class Live:
    rig: Rig
    pipeline: Pipeline
    discord: Any  # conftest's FourChannels (tests/ is not a package)

    def logs(self) -> list[dict[str, Any]]:
        assert self.pipeline.flush(5)
        return self.discord.embeds(Channel.LOGS)

    def diagnostics(self) -> list[dict[str, Any]]:
        assert self.pipeline.flush(5)
        return self.discord.embeds(Channel.DIAGNOSTICS)


@pytest.fixture
def live(four_channels: Any) -> Iterator[Live]:
    clock = Clock()
    pipeline = Pipeline(four_channels.config(), clock_ns=clock)
    rig = Rig.build(pipeline, clock)
    rig.values.update(CALM)
    try:
        yield Live(rig, pipeline, four_channels)
    finally:
        rig.close()
        pipeline.shutdown(5)
        assert [] == four_channels.server.violations


@dataclass(frozen=True)
class Case:
    reading: str
    breach: float
    peak: float
    for_s: float
    title: str
    resolved: str


CASES = {
    "cpu": Case(
        "cpu", 95, 97, 180, "CPU usage above 90 %", "Back to **20 %** after 33 min 30 s. Peak 97 %."
    ),
    "memory": Case(
        "memory",
        95,
        97,
        180,
        "Memory usage above 90 %",
        "Back to **40 %** after 33 min 30 s. Peak 97 %.",
    ),
    "disk": Case(
        "disk",
        95,
        96,
        120,
        "Disk space above 90 %",
        "Back to **50 %** after 32 min 30 s. Peak 96 %.",
    ),
    "latency": Case(
        "latency",
        1300,
        1500,
        120,
        "Gateway latency above 1,000 ms",
        "Back to **80 ms** after 32 min 30 s. Peak 1,500 ms.",
    ),
    "event_loop_lag": Case(
        "loop_lag",
        400,
        600,
        60,
        "Event-loop lag above 250 ms",
        "Back to **2.0 ms** after 31 min 30 s. Peak 600 ms.",
    ),
    "disconnected": Case(
        "connected",
        0,
        0,
        60,
        "Bot disconnected",
        "Back to **0 shards** after 31 min 30 s. Peak 1 shard.",
    ),
    # The rate is measured over a minute: the first calm sample still sees the spike.
    "error_rate": Case(
        "errors_per_min",
        40,
        60,
        0,
        "Error-rate spike above 10/min",
        "Back to **2.0/min** after 31 min. Peak 50/min.",
    ),
}


class TestDefaultRules:
    """Each default rule fires once after its duration, repeats on schedule, then resolves."""

    @pytest.mark.parametrize("name", list(CASES))
    def test_life_cycle(self, live: Live, name: str) -> None:
        case = CASES[name]
        rig = live.rig
        for _ in range(8):
            rig.step(STEP_S)
        for _ in range(int(case.for_s // STEP_S)):
            rig.step(STEP_S, **{case.reading: case.breach})
        assert [] == live.logs()
        rig.step(STEP_S, **{case.reading: case.breach})
        assert [f"🔴 {case.title}"] == [e["title"] for e in live.logs()]
        rig.step(STEP_S, **{case.reading: case.peak})
        rig.step(1800 - 2 * STEP_S, **{case.reading: case.breach})
        assert [] == live.logs()[1:]  # not yet 30 min since it fired
        rig.step(STEP_S)
        assert [f"🔁 Still firing: {case.title}"] == [e["title"] for e in live.logs()[1:]]
        for _ in range(14):
            rig.step(STEP_S, **{case.reading: CALM[case.reading]})
        *_, resolved = live.logs()
        assert (3, f"✅ Resolved: {case.title.split(' above')[0]}", case.resolved) == (
            len(live.logs()),
            resolved["title"],
            resolved["description"],
        )
        assert [] == live.diagnostics()


class TestFlapping:
    """Values wobbling around a threshold send nothing."""

    def test_cpu_wobble(self, live: Live) -> None:
        for i in range(40):
            live.rig.step(STEP_S, cpu=91.0 if i % 3 else 88.0, loop_lag=240.0 + 20 * (i % 2))
        assert [] == live.logs()


class TestHealthInPipeline:
    """The scheduled health check lands in diagnostics with the advice that fits."""

    def test_slow_loop(self, live: Live) -> None:
        for _ in range(4):
            live.rig.step(60, cpu=35.0, latency=700.0, loop_lag=420.0, errors_per_min=0.0)
        assert live.pipeline.scheduler.run_now("health")
        (embed,) = live.diagnostics()
        assert "🩺 Health 68/100 — Degraded" == embed["title"]
        recommendations = embed["fields"][1]["value"].split("\n")
        assert recommendations[0].startswith("1. Event-loop lag 420 ms: a blocking call")
        assert "2. Gateway latency 700 ms: fix the event-loop lag first" in recommendations[1]
        assert "Automation · delivery since start" == embed["fields"][2]["name"]

    def test_memory_leak_growth_from_rss_history(self, live: Live) -> None:
        for minute in range(31):
            live.rig.step(60, rss=(300 + minute) * 2**20)  # +60 MiB/h
        live.pipeline.monitors.check_health()
        (embed,) = live.diagnostics()
        assert "Memory climbing +60 MiB/h (RSS 330 MiB): possible leak" in str(embed["fields"][1])

    def test_trend_between_checks(self, live: Live) -> None:
        live.rig.step(60)
        first = live.pipeline.monitors.check_health()
        live.diagnostics()
        live.rig.step(60, cpu=80.0)
        second = live.pipeline.monitors.check_health()
        assert (98, 91, -7) == (first.score, second.score, second.change)  # 2 errors/min
        assert "since last check" in live.diagnostics()[-1]["description"]

    def test_service_without_bot_metrics(self, live: Live) -> None:
        """No bot gauges: latency and loop lag are left out, not shown as zero."""
        for key in ("latency", "loop_lag", "connected", "shards"):
            live.rig.values[key] = None
        for _ in range(6):
            live.rig.step(60)
        report = live.pipeline.monitors.check_health()
        assert ["cpu", "memory", "disk", "errors", "delivery"] == [
            c.name for c in report.components
        ]


class TestStartup:
    """Start-up says hello in diagnostics once, without secrets."""

    def test_startup_notice(self, live: Live) -> None:
        live.pipeline.start()
        live.pipeline.start()
        (embed,) = live.diagnostics()
        assert embed["title"].startswith("🟢 Monitoring started · otel-discord ")
        assert not any(token in str(embed) for token in live.discord.tokens())
        channels = next(f["value"] for f in embed["fields"] if f["name"] == "Channels")
        redacted = WebhookDestination.parse(live.discord.urls[Channel.LOGS]).redacted
        assert f"`logs` on · `{redacted}`" in channels
