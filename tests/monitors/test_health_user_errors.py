"""Users' mistakes do not lower the health score; a bug does (real bot, SDK, exporters, monitors).

A discord.py bot without an error handler of its own, driven offline, instrumented
with SDK providers that export to the Discord exporters, and the logging bridge on
the root logger (so discord.py's own "Ignoring exception in command …" records reach
the pipeline too). Each scenario gets a fresh pipeline; the health check covers one
minute of the pipeline's clock.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from discord.ext import commands
from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from otel_discord.channels import Channel
from otel_discord.exception_ids import ExceptionIdFilter
from otel_discord.exporters import DiscordLogExporter, DiscordSpanExporter
from otel_discord.instrumentation import DiscordInstrumentor
from otel_discord.monitors.health import HealthReport
from otel_discord.offline import payloads as g
from otel_discord.offline.bot import World, make_bot, start
from tests.conftest import FourChannels

NS_PER_MIN = 60 * 1_000_000_000
OK_COMMANDS = ["!ping"] * 10 + ["!daily"]
TYPOS = (
    ["!pnig", "!hepl", "!rol 6"] * 5  # 15 unknown commands
    + ["!roll six", "!roll 1d6"] * 5  # 10 bad arguments
    + ["!roll"] * 10  # 10 missing arguments
    + ["!daily"] * 15  # on cooldown (OK_COMMANDS took the daily coins)
)
"""Fifty user-input mistakes, each a failure with a reason, none a bug."""
BUGS = ["!boom"] * 10


def add_commands(bot: commands.Bot) -> None:
    """Commands a user can get wrong, and one with a bug; no error handler at all."""

    @bot.command()
    async def ping(ctx: commands.Context[Any]) -> None:
        await ctx.send("pong")

    @bot.command()
    async def roll(ctx: commands.Context[Any], sides: int) -> None:
        await ctx.send(str(sides))

    @bot.command()
    @commands.cooldown(1, 3600, commands.BucketType.user)
    async def daily(ctx: commands.Context[Any]) -> None:
        await ctx.send("coins")

    @bot.command()
    async def boom(ctx: commands.Context[Any]) -> None:
        raise KeyError("missing")


def _run(messages: list[str]) -> Callable[[World], None]:
    def play(world: World) -> None:
        for text in messages:
            world.say(text)

    return play


def health_after(four_channels: FourChannels, messages: list[str]) -> tuple[HealthReport, int, int]:
    """The health check one minute after the bot handled ``messages``; errors seen; error embeds."""
    config = four_channels.config()
    span_exporter = DiscordSpanExporter(config)
    log_exporter = DiscordLogExporter(config)
    pipeline = span_exporter.pipeline
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(span_exporter))
    logger_provider = LoggerProvider()
    logger_provider.add_log_record_processor(SimpleLogRecordProcessor(log_exporter))
    meter_provider = MeterProvider(metric_readers=[InMemoryMetricReader()])
    bridge = LoggingHandler(logger_provider=logger_provider)
    bridge.addFilter(ExceptionIdFilter())
    root = logging.getLogger()
    root.addHandler(bridge)
    instrumentor = DiscordInstrumentor()
    instrumentor.instrument(
        tracer_provider=tracer_provider,
        meter_provider=meter_provider,
        logger_provider=logger_provider,
    )
    try:
        started = pipeline.now_ns()

        async def main() -> None:
            bot = make_bot()
            world = await start(bot, add_commands)
            _run(messages)(world)
            await g.settle()
            await bot.close()

        asyncio.run(main())
        assert pipeline.flush(10.0)
        report = pipeline.monitors.check_health(started + NS_PER_MIN)
        seen = pipeline.errors_seen
    finally:
        instrumentor.uninstrument()
        root.removeHandler(bridge)
        tracer_provider.shutdown()
        logger_provider.shutdown()
        meter_provider.shutdown()
    errors = [e for e in four_channels.embeds(Channel.LOGS) if e["title"].startswith("❌")]
    four_channels.server.clear()
    return report, seen, len(errors)


def _errors_component(report: HealthReport) -> tuple[str, float]:
    [errors] = [c for c in report.components if c.name == "errors"]
    return errors.value, round(errors.points, 2)


class TestUserErrorsLeaveHealthAlone:
    """50 user mistakes score like none; 10 real bugs lower the score."""

    def test_typos_unchanged_bug_drops(self, four_channels: FourChannels) -> None:
        """Same score and errors component with and without 50 typos; 10 bugs take points off."""
        calm, *calm_errors = health_after(four_channels, OK_COMMANDS)
        typos, *typo_errors = health_after(four_channels, OK_COMMANDS + TYPOS)
        bugs, *bug_errors = health_after(four_channels, OK_COMMANDS + BUGS)
        assert 50 == len(TYPOS)
        assert [0, 0] == calm_errors == typo_errors  # errors seen, error embeds in #logs
        assert [10, 2] == bug_errors  # ten seen; the first at once, nine merged into one
        assert calm.score == typos.score
        # With no host readings, errors and delivery share the weight: 50 points each.
        assert ("0/min", 50.0) == _errors_component(calm) == _errors_component(typos)
        assert 100 == calm.score == typos.score
        # 10 bugs in a minute (plus the test's own second or two): half the errors' points.
        value, points = _errors_component(bugs)
        assert value in ("10.0/min", "9.9/min", "9.8/min", "9.7/min"), value
        assert 25.0 <= points <= 25.8
        assert bugs.score in (75, 76)
