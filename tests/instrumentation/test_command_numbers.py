"""The command metrics carry the right numbers: durations in seconds, exact counts.

Commands that sleep a known time are run on a real bot; the duration histogram's
sum, count, unit and buckets, the span's length and the command counters must
agree with what the bot did (a duration recorded in milliseconds fails here).
"""

from __future__ import annotations

import asyncio
from typing import Any

import discord
from discord.ext import commands
from opentelemetry.sdk.metrics.export import HistogramDataPoint, Metric

from otel_discord.instrumentation import DiscordInstrumentor
from otel_discord.instrumentation._telemetry import DURATION_BUCKETS
from otel_discord.offline import payloads as g
from tests.instrumentation.harness import Otel, World, make_bot, start

NAP = 0.03
"""Seconds each ``nap`` command sleeps."""
SLACK = 0.5
"""Upper tolerance per command for a busy test machine (still far below a ms mistake)."""


def add_commands(bot: commands.Bot) -> None:
    """``!nap`` and ``/nap`` sleep ``NAP`` seconds; ``!oops`` fails at once."""

    @bot.command()
    async def nap(ctx: commands.Context[Any]) -> None:
        await asyncio.sleep(NAP)

    @bot.command()
    async def oops(ctx: commands.Context[Any]) -> None:
        raise ValueError("oops")

    @bot.tree.command(name="nap")
    async def slash_nap(interaction: discord.Interaction[Any]) -> None:
        await asyncio.sleep(NAP)


def run(scenario: Any) -> None:
    async def main() -> None:
        bot = make_bot()
        world: World = await start(bot, add_commands)
        scenario(world)
        await g.settle()
        await bot.close()

    asyncio.run(main())


def histogram(otel: Otel) -> tuple[Metric, list[HistogramDataPoint]]:
    data = otel.metric_reader.get_metrics_data()
    assert data is not None
    for resource_metrics in data.resource_metrics:
        for scope_metrics in resource_metrics.scope_metrics:
            for metric in scope_metrics.metrics:
                if metric.name == "discord.command.duration":
                    points = metric.data.data_points
                    return metric, [p for p in points if isinstance(p, HistogramDataPoint)]
    raise AssertionError("no discord.command.duration")


def point(points: list[HistogramDataPoint], **wanted: str) -> HistogramDataPoint:
    [found] = [
        p
        for p in points
        if all((p.attributes or {}).get(f"discord.command.{k}") == v for k, v in wanted.items())
    ]
    return found


class TestDurationHistogram:
    """``discord.command.duration`` is in seconds, one record per command."""

    def test_prefix_durations_in_seconds(self, otel: Otel, instrument: Any) -> None:
        """Three 30 ms naps: count 3, sum between 0.09 s and 0.09 s plus slack, unit s."""
        instrument()
        run(lambda world: [world.say("!nap") for _ in range(3)])
        metric, points = histogram(otel)
        nap = point(points, name="nap", kind="prefix", outcome="success")
        assert "s" == metric.unit
        assert 3 == nap.count
        assert 3 * NAP <= nap.sum < 3 * (NAP + SLACK)
        assert NAP <= nap.min <= nap.max < NAP + SLACK

    def test_buckets_are_seconds(self, otel: Otel, instrument: Any) -> None:
        """Bounds are the seconds scale; a 30 ms nap lands above 25 ms, not in bucket 0."""
        instrument()
        run(lambda world: world.say("!nap"))
        _, points = histogram(otel)
        nap = point(points, name="nap")
        assert DURATION_BUCKETS == tuple(nap.explicit_bounds)
        first_possible = DURATION_BUCKETS.index(0.025) + 1  # (0.025, 0.05]
        assert 0 == sum(nap.bucket_counts[:first_possible])
        assert 1 == sum(nap.bucket_counts[first_possible:])

    def test_span_length_matches_histogram(self, otel: Otel, instrument: Any) -> None:
        """The span lasts as long as the recorded duration (same command, same clock scale)."""
        instrument()
        run(lambda world: world.say("!nap"))
        span = otel.span("nap")
        span_seconds = ((span.end_time or 0) - (span.start_time or 0)) / 1e9
        _, points = histogram(otel)
        recorded = point(points, name="nap").sum
        assert NAP <= span_seconds < NAP + SLACK
        assert abs(span_seconds - recorded) < 0.005

    def test_slash_durations_in_seconds(self, otel: Otel, instrument: Any) -> None:
        """Two slash naps: count 2, sum in seconds, kind slash."""
        instrument()
        run(lambda world: [world.slash("nap") for _ in range(2)])
        _, points = histogram(otel)
        nap = point(points, name="nap", kind="slash", outcome="success")
        assert 2 == nap.count
        assert 2 * NAP <= nap.sum < 2 * (NAP + SLACK)


class TestCounts:
    """Counts by equality across outcomes and many runs."""

    def test_counts_and_histogram_counts_agree(self, otel: Otel, instrument: Any) -> None:
        """5 naps, 4 failures, 2 unknown: counter and histogram say the same, exactly."""
        instrument()

        def scenario(world: World) -> None:
            for _ in range(5):
                world.say("!nap")
            for _ in range(4):
                world.say("!oops")
            world.say("!nope")
            world.say("!nope")

        run(scenario)
        metrics = otel.metrics()
        assert 5 == otel.value(metrics, "discord.commands", discord__command__name="nap")
        assert 4 == otel.value(
            metrics,
            "discord.commands",
            discord__command__name="oops",
            discord__command__outcome="failure",
        )
        assert 2 == otel.value(metrics, "discord.commands.unknown", discord__command__kind="prefix")
        _, points = histogram(otel)
        assert (5, 4) == (point(points, name="nap").count, point(points, name="oops").count)

    def test_many_distinct_commands_each_counted(self, otel: Otel) -> None:
        """300 distinct command names, each run twice: 300 rows of exactly 2."""
        instrumentor = DiscordInstrumentor()
        instrumentor.instrument(**otel.providers())
        try:

            def setup(bot: commands.Bot) -> None:
                async def quick(ctx: commands.Context[Any]) -> None:
                    return None

                for index in range(300):
                    bot.add_command(commands.Command(quick, name=f"c{index}"))

            async def main() -> None:
                bot = make_bot()
                world = await start(bot, setup)
                for _ in range(2):
                    for index in range(300):
                        world.say(f"!c{index}")
                await g.settle()
                await bot.close()

            asyncio.run(main())
        finally:
            instrumentor.uninstrument()
        rows = otel.metrics()["discord.commands"]
        assert 300 == len(rows)
        assert {2} == {value for _, value in rows}
        assert {f"c{i}" for i in range(300)} == {a["discord.command.name"] for a, _ in rows}
