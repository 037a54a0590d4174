"""Added cost of DiscordInstrumentor per gateway event and per prefix command.

A real ``commands.Bot`` is fed raw gateway payloads through discord.py's own parsers
(no network): plain messages (parse, dispatch, ``on_message``, ``process_commands``)
and ``!ping`` commands (the above plus ``Bot.invoke`` and a REST call answered by an
in-process fake). The same bot runs alternately uninstrumented and instrumented
(real OTel SDK providers, exporters that drop everything), several rounds, and
the median per-item time of each mode is printed.

Usage::

    python benchmarks/bench_instrumentation_overhead.py            # < 1 min
    python benchmarks/bench_instrumentation_overhead.py --events 100000 --commands 20000 --rounds 5
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import discord
from discord.ext import commands
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import (
    LogRecordExporter,
    LogRecordExportResult,
    SimpleLogRecordProcessor,
)
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from otel_discord.instrumentation import DiscordInstrumentor
from tests.instrumentation import gateway as g


class DropSpans(SpanExporter):
    """Accept spans and keep nothing: measures the SDK path, not an exporter."""

    def export(self, spans: Sequence[Any]) -> SpanExportResult:
        return SpanExportResult.SUCCESS


class DropLogs(LogRecordExporter):
    """Accept log records and keep nothing."""

    def export(self, batch: Sequence[Any]) -> LogRecordExportResult:
        return LogRecordExportResult.SUCCESS

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return True

    def shutdown(self) -> None:
        return None


def providers() -> dict[str, Any]:
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(DropSpans()))
    logger_provider = LoggerProvider()
    logger_provider.add_log_record_processor(SimpleLogRecordProcessor(DropLogs()))
    return {
        "tracer_provider": tracer_provider,
        "meter_provider": MeterProvider(metric_readers=[InMemoryMetricReader()]),
        "logger_provider": logger_provider,
    }


async def build_bot() -> tuple[commands.Bot, dict[str, Any]]:
    intents = discord.Intents.default()
    intents.members = True
    intents.message_content = True
    bot = commands.Bot(
        command_prefix="!", intents=intents, guild_ready_timeout=0, chunk_guilds_at_startup=False
    )

    @bot.command()
    async def ping(ctx: commands.Context[Any]) -> None:
        await ctx.send("pong")

    await bot._async_setup_hook()
    bot_user = g.user(name="benchbot", bot=True)

    async def request(route: Any, **kwargs: Any) -> Any:
        return g.message_create(str(route.channel_id), bot_user, "pong")

    bot.http.request = request  # type: ignore[method-assign]
    guild_id, channel_id = g.snowflake(), g.snowflake()
    alice = g.user(name="alice")
    g.feed(bot, "READY", g.ready(bot_user, bot_user["id"]))
    await g.settle()
    g.feed(
        bot,
        "GUILD_CREATE",
        g.guild_create(
            guild_id,
            "Bench",
            alice["id"],
            channels=[g.channel(channel_id, guild_id)],
            members=[g.member(alice), g.member(bot_user)],
        ),
    )
    await g.settle()
    payloads = {
        "event": g.message_create(channel_id, alice, "hello there", guild_id=guild_id),
        "command": g.message_create(channel_id, alice, "!ping", guild_id=guild_id),
    }
    return bot, payloads


async def per_item_us(bot: commands.Bot, payload: dict[str, Any], count: int) -> float:
    """Feed ``payload`` ``count`` times in chunks, wait for every handler, time it."""
    parse = bot._connection.parsers["MESSAGE_CREATE"]
    chunk = 500
    started = time.perf_counter()
    done = 0
    while done < count:
        for _ in range(min(chunk, count - done)):
            parse(payload)
        done += chunk
        await g.settle(timeout=60)
    return (time.perf_counter() - started) / count * 1e6


async def measure(events: int, command_runs: int, rounds: int) -> dict[str, dict[str, list[float]]]:
    bot, payloads = await build_bot()
    instrumentor = DiscordInstrumentor()
    results: dict[str, dict[str, list[float]]] = {
        "event": {"off": [], "on": []},
        "command": {"off": [], "on": []},
    }
    counts = {"event": events, "command": command_runs}
    sdk = providers()
    for kind in ("event", "command"):  # warm-up, both modes
        await per_item_us(bot, payloads[kind], 200)
        instrumentor.instrument(**sdk)
        await per_item_us(bot, payloads[kind], 200)
        instrumentor.uninstrument()
    for _ in range(rounds):
        for kind in ("event", "command"):
            results[kind]["off"].append(await per_item_us(bot, payloads[kind], counts[kind]))
            instrumentor.instrument(**sdk)
            results[kind]["on"].append(await per_item_us(bot, payloads[kind], counts[kind]))
            instrumentor.uninstrument()
    await bot.close()
    return results


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=20_000, help="plain messages per round")
    parser.add_argument("--commands", type=int, default=4_000, help="!ping commands per round")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (median kept)")
    args = parser.parse_args(argv)
    logging.getLogger("discord").setLevel(logging.ERROR)  # no voice-support warnings
    results = asyncio.run(measure(args.events, args.commands, args.rounds))
    print(
        f"discord.py {discord.__version__}, Python {sys.version.split()[0]}, rounds={args.rounds}"
    )
    print(f"{'per':<28}{'uninstrumented':>16}{'instrumented':>16}{'added':>12}")
    labels = {
        "event": f"gateway event ({args.events}x)",
        "command": f"prefix command ({args.commands}x)",
    }
    for kind, modes in results.items():
        off, on = statistics.median(modes["off"]), statistics.median(modes["on"])
        print(f"{labels[kind]:<28}{off:>13.1f} us{on:>13.1f} us{on - off:>9.1f} us")


if __name__ == "__main__":
    main()
