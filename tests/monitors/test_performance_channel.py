"""#performance over simulated minutes: one message a minute, the system snapshot in its turn."""

from __future__ import annotations

from typing import Any

from otel_discord import Channel
from otel_discord.pipeline import Pipeline
from otel_discord.render.performance import PERFORMANCE_TITLE, PROCESS_TITLE, SYSTEM_TITLE

from .rig import Clock, Rig
from .test_pipeline_monitors import CALM


class TestOneMessageAMinute:
    """The performance job runs each minute; the system snapshot takes every second one."""

    def run(self, four_channels: Any, minutes: int, **intervals: int) -> list[list[str]]:
        clock = Clock()
        config = four_channels.config(**intervals)
        pipeline = Pipeline(config, clock_ns=clock)
        rig = Rig.build(pipeline, clock)
        rig.values.update(CALM)
        try:
            for _ in range(minutes):
                rig.step(60)  # a minute passes, with one metric export
                assert pipeline.scheduler.run_now("performance")
                assert pipeline.flush(5)
        finally:
            rig.close()
            pipeline.shutdown(5)
        assert [] == four_channels.server.violations
        messages = four_channels.server.messages(Channel.PERFORMANCE.value)
        return [[e["title"] for e in m.payload["embeds"]] for m in messages]

    def test_ten_minutes_with_the_defaults(self, four_channels: Any) -> None:
        """60 s performance and 120 s system intervals: 10 messages, 5 of them the system one."""
        titles = self.run(
            four_channels, 10, performance_interval_ms=60_000, system_interval_ms=120_000
        )
        system = [SYSTEM_TITLE, PROCESS_TITLE]
        assert [[PERFORMANCE_TITLE], system] * 5 == titles

    def test_a_longer_system_interval(self, four_channels: Any) -> None:
        """A 5-minute system interval: the system snapshot on minutes 5 and 10 only."""
        titles = self.run(
            four_channels, 10, performance_interval_ms=60_000, system_interval_ms=300_000
        )
        system = [SYSTEM_TITLE, PROCESS_TITLE]
        assert ([[PERFORMANCE_TITLE]] * 4 + [system]) * 2 == titles
