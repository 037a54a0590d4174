"""Bugs injected into our exporters and renderers while a real discord.py bot runs commands.

The bot is the real library, driven offline (``otel_discord.offline.bot``), fully
instrumented by ``configure()``; on top of the batch processors ``configure()`` installs,
simple processors make the exporters run synchronously inside the bot's own call paths.
Whatever breaks on our side, the bot's replies, its ``on_command_error`` and discord.py's
default error output must be exactly what they are without any telemetry.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from discord.ext import commands
from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from otel_discord import DiscordLogExporter, DiscordMetricExporter, DiscordSpanExporter
from otel_discord.delivery.grouped import ErrorGroup
from otel_discord.instrumentation import _safety
from otel_discord.offline import payloads as g
from otel_discord.offline.bot import make_bot, start
from otel_discord.pipeline import Pipeline

from .stack import Stack

COMMANDS = ("!ping", "!boom", "!echo hi", "!echo", "!nosuch", "!ping")
DEFAULT_PRINT = "Ignoring exception in command"
EXPORTERS = (DiscordSpanExporter, DiscordLogExporter, DiscordMetricExporter)


@dataclass
class Outcome:
    """What the bot did, as its users and its operator see it."""

    replies: list[str]
    handled: list[str] = field(default_factory=list)
    """Errors the bot's own ``on_command_error`` saw."""
    printed: list[str] = field(default_factory=list)
    """discord.py's default error output (its library logger)."""


def add_commands(bot: commands.Bot, handled: list[str] | None) -> None:
    """ping answers, boom raises, echo needs an argument; optionally an error handler."""

    @bot.command()
    async def ping(ctx: commands.Context[Any]) -> None:
        await ctx.send("pong")

    @bot.command()
    async def boom(ctx: commands.Context[Any]) -> None:
        raise ValueError("kaboom")

    @bot.command()
    async def echo(ctx: commands.Context[Any], text: str) -> None:
        await ctx.send(text)

    if handled is not None:

        @bot.event
        async def on_command_error(ctx: commands.Context[Any], error: Exception) -> None:
            handled.append(type(error).__name__)
            await ctx.send(f"sorry: {type(error).__name__}")


def play(with_handler: bool, caplog: pytest.LogCaptureFixture) -> Outcome:
    """Run the commands one by one on a fresh bot and loop; collect what it did."""
    handled: list[str] | None = [] if with_handler else None
    first = len(caplog.records)

    async def main() -> list[str]:
        bot = make_bot()
        world = await start(bot, lambda b: add_commands(b, handled))
        for text in COMMANDS:
            world.say(text)
            await g.settle()
        await bot.close()
        return world.rest.sent()

    replies = asyncio.run(main())
    printed = [
        r.getMessage()
        for r in caplog.records[first:]
        if r.name.startswith("discord") and r.getMessage().startswith(DEFAULT_PRINT)
    ]
    return Outcome(replies, handled or [], printed)


@pytest.fixture
def baseline(caplog: pytest.LogCaptureFixture) -> dict[bool, Outcome]:
    """The bot without any telemetry, with and without its own error handler."""
    outcomes = {handler: play(handler, caplog) for handler in (False, True)}
    assert ["pong", "hi", "pong"] == outcomes[False].replies
    assert [f"{DEFAULT_PRINT} {c}" for c in ("boom", "echo", "None")] == outcomes[False].printed
    assert ["CommandInvokeError", "MissingRequiredArgument", "CommandNotFound"] == (
        outcomes[True].handled
    )
    assert [] == outcomes[True].printed
    return outcomes


@dataclass
class Site:
    """Where a bug is planted: ``target.attr`` raises once called."""

    target: Any
    attr: str
    trigger: str | None = None
    """A scheduler job that has to run for the site to be reached."""


SITES = {
    "renderer: error embed": Site(ErrorGroup, "embeds"),
    "renderer: activity summary": Site("otel_discord.pipeline.render_activity", "", "analytics"),
    "renderer: performance snapshot": Site(
        "otel_discord.pipeline.render_performance", "", "performance"
    ),
    "renderer: performance chart": Site(
        "otel_discord.render.charts.draw.render_png", "", "performance"
    ),
    "exporter: log conversion": Site("otel_discord.intake.route.occurrence_from_log", ""),
    "exporter: span conversion": Site("otel_discord.intake.route.occurrence_from_span", ""),
    "exporter: span intake": Site(Pipeline, "add_spans"),
    "exporter: metric intake": Site(Pipeline, "add_metrics"),
    "pipeline: error intake": Site(Pipeline, "submit_error"),
}


def plant(site: Site, monkeypatch: pytest.MonkeyPatch, fired: Counter[str]) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        fired["calls"] += 1
        msg = "planted bug"
        raise RuntimeError(msg)

    if site.attr:
        monkeypatch.setattr(site.target, site.attr, broken)
    else:
        monkeypatch.setattr(site.target, broken)


def spy_on_exports(monkeypatch: pytest.MonkeyPatch) -> tuple[Counter[str], list[BaseException]]:
    """Count export calls per exporter and keep any exception that would reach the SDK."""
    calls: Counter[str] = Counter()
    escaped: list[BaseException] = []
    for cls in EXPORTERS:
        real = cls.export

        def export(self: Any, batch: Any, *args: Any, _real: Any = real, **kwargs: Any) -> Any:
            calls[type(self).__name__] += 1
            try:
                return _real(self, batch, *args, **kwargs)
            except BaseException as exc:
                escaped.append(exc)
                raise

        monkeypatch.setattr(cls, "export", export)
    return calls, escaped


class TestInjectedFailures:
    """The bot behaves exactly as without telemetry, and our failure is logged, not raised."""

    @pytest.mark.parametrize("name", list(SITES))
    def test_bot_unaffected(
        self,
        name: str,
        baseline: dict[bool, Outcome],
        make_stack: Callable[..., Stack],
        monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        site = SITES[name]
        calls, escaped = spy_on_exports(monkeypatch)
        stack = make_stack(instrument_discord=True)
        config = stack.config
        tracer_provider = stack.telemetry.tracer_provider
        tracer_provider.add_span_processor(SimpleSpanProcessor(DiscordSpanExporter(config)))
        stack.telemetry.logger_provider.add_log_record_processor(
            SimpleLogRecordProcessor(DiscordLogExporter(config))
        )
        fired: Counter[str] = Counter()
        plant(site, monkeypatch, fired)
        _safety.RECENT_FAILURES.clear()
        mark = len(caplog.records)

        outcomes = {handler: play(handler, caplog) for handler in (False, True)}
        for _ in range(2):  # rates (events/min, which the chart draws) need two exports
            stack.telemetry.meter_provider.force_flush()
        if site.trigger:
            stack.pipeline.scheduler.run_now(site.trigger)
        stack.flush(10.0)

        assert baseline == outcomes
        assert fired["calls"] > 0, "the planted bug was never reached"
        assert calls["DiscordSpanExporter"] > 0
        assert calls["DiscordLogExporter"] > 0
        assert [] == escaped
        assert [] == list(_safety.RECENT_FAILURES)  # the instrumentation itself never failed
        records = caplog.records[mark:]
        assert not [r for r in records if r.name.startswith("opentelemetry") and r.exc_info]
        ours = [
            r for r in records if r.name.startswith("otel_discord") and r.levelno >= logging.ERROR
        ]
        assert ours, "the failure was silent"
        assert [] == stack.server.violations
