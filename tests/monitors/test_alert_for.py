"""``OTEL_EXPORTER_DISCORD_ALERT_FOR``: one ``for`` duration for every threshold rule."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from otel_discord import Channel, DiscordConfig
from otel_discord.errors import ConfigError
from otel_discord.monitors import default_rules
from otel_discord.pipeline import Pipeline

from .rig import Clock, Rig
from .test_pipeline_monitors import CALM

DEFAULT_FOR_S = {
    "cpu": 180.0,
    "memory": 180.0,
    "disk": 120.0,
    "latency": 120.0,
    "event_loop_lag": 60.0,
    "error_rate": 0.0,
    "disconnected": 60.0,
}
"""What the README's settings table documents for an unset ALERT_FOR."""


def for_s(config: DiscordConfig) -> dict[str, float]:
    return {rule.name: rule.for_s for rule in default_rules(config)}


class TestSetting:
    """Unset keeps each rule's own; milliseconds from the environment or an argument."""

    def test_unset_keeps_the_documented_defaults(self) -> None:
        assert DEFAULT_FOR_S == for_s(DiscordConfig.resolve(env={}))

    def test_environment_sets_the_five_threshold_rules(self) -> None:
        config = DiscordConfig.resolve(env={"OTEL_EXPORTER_DISCORD_ALERT_FOR": "45000"})
        five = dict.fromkeys(("cpu", "memory", "disk", "latency", "event_loop_lag"), 45.0)
        assert {**DEFAULT_FOR_S, **five} == for_s(config)

    def test_argument_zero_fires_at_once(self) -> None:
        config = DiscordConfig.resolve(env={}, alert_for_ms=0)
        assert 0.0 == for_s(config)["cpu"]

    def test_bad_environment_value_warns_and_keeps_the_defaults(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        with caplog.at_level(logging.WARNING, logger="otel_discord.config"):
            config = DiscordConfig.resolve(env={"OTEL_EXPORTER_DISCORD_ALERT_FOR": "-5"})
        assert config.alert_for_ms is None
        assert "OTEL_EXPORTER_DISCORD_ALERT_FOR" in caplog.text

    def test_bad_argument_raises_naming_the_setting(self) -> None:
        with pytest.raises(ConfigError, match="alert_for_ms"):
            DiscordConfig.resolve(env={}, alert_for_ms=-1)


class TestInPipeline:
    """CPU above its threshold fires after ALERT_FOR, not after its 3-minute default."""

    def test_cpu_fires_after_thirty_seconds(self, four_channels: Any) -> None:
        clock = Clock()
        pipeline = Pipeline(four_channels.config(alert_for_ms=30_000), clock_ns=clock)
        rig = Rig.build(pipeline, clock)
        rig.values.update(CALM)
        try:
            for _ in range(4):
                rig.step(10)
            rig.step(10, cpu=97.0)  # the breach begins
            rig.step(20)
            assert pipeline.flush(5)
            assert [] == four_channels.embeds(Channel.LOGS)
            rig.step(10)  # 30 s held
            assert pipeline.flush(5)
            titles = [e["title"] for e in four_channels.embeds(Channel.LOGS)]
        finally:
            rig.close()
            pipeline.shutdown(5)
        assert ["🔴 CPU usage above 90 %"] == titles
        assert "fires after 30 s" in four_channels.embeds(Channel.LOGS)[0]["footer"]["text"]
