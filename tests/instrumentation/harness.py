"""A real discord.py bot in a small world, and in-memory OTel to read what it emitted.

Only the network peer is faked: ``FakeRest`` stands in for Discord's REST API behind
``bot.http.request``. Everything else is the real discord.py and the real OTel SDK.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import discord
from discord.ext import commands
from opentelemetry._logs import SeverityNumber
from opentelemetry.sdk._logs import LoggerProvider, ReadableLogRecord
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tests.instrumentation import gateway as g

Point = tuple[dict[str, Any], Any]


class Otel:
    """Fresh SDK providers whose output stays in memory."""

    def __init__(self) -> None:
        self.span_exporter = InMemorySpanExporter()
        self.tracer_provider = TracerProvider()
        self.tracer_provider.add_span_processor(SimpleSpanProcessor(self.span_exporter))
        self.metric_reader = InMemoryMetricReader()
        self.meter_provider = MeterProvider(metric_readers=[self.metric_reader])
        self.log_exporter = InMemoryLogRecordExporter()
        self.logger_provider = LoggerProvider()
        self.logger_provider.add_log_record_processor(SimpleLogRecordProcessor(self.log_exporter))

    def providers(self) -> dict[str, Any]:
        """Keyword arguments for ``instrument()``."""
        return {
            "tracer_provider": self.tracer_provider,
            "meter_provider": self.meter_provider,
            "logger_provider": self.logger_provider,
        }

    def spans(self) -> list[ReadableSpan]:
        """Finished spans, oldest first."""
        return list(self.span_exporter.get_finished_spans())

    def span(self, name: str) -> ReadableSpan:
        """The one finished span called ``name``."""
        found = [span for span in self.spans() if span.name == name]
        assert len(found) == 1, f"expected one span {name!r}, got {[s.name for s in self.spans()]}"
        return found[0]

    def logs(self) -> list[ReadableLogRecord]:
        """Emitted log records, oldest first."""
        return list(self.log_exporter.get_finished_logs())

    def error_logs(self) -> list[ReadableLogRecord]:
        """Log records at ERROR severity or above."""
        return [
            record
            for record in self.logs()
            if (record.log_record.severity_number or SeverityNumber.UNSPECIFIED).value
            >= SeverityNumber.ERROR.value
        ]

    def log_events(self, event_name: str) -> list[ReadableLogRecord]:
        """Log records whose ``event.name`` attribute is ``event_name``."""
        return [
            record
            for record in self.logs()
            if (record.log_record.attributes or {}).get("event.name") == event_name
        ]

    def metrics(self) -> dict[str, list[Point]]:
        """Collect now: metric name -> [(attributes, value)] (sums, gauges, histogram counts)."""
        data = self.metric_reader.get_metrics_data()
        out: dict[str, list[Point]] = {}
        if data is None:
            return out
        for resource_metrics in data.resource_metrics:
            for scope_metrics in resource_metrics.scope_metrics:
                for metric in scope_metrics.metrics:
                    points = out.setdefault(metric.name, [])
                    for point in metric.data.data_points:
                        value = getattr(point, "value", None)
                        if value is None:
                            value = point.count  # type: ignore[union-attr]
                        points.append((dict(point.attributes or {}), value))
        return out

    def value(self, metrics: dict[str, list[Point]], name: str, **attributes: Any) -> Any:
        """The value of the one point of ``name`` whose attributes include ``attributes``."""
        wanted = {key.replace("__", "."): value for key, value in attributes.items()}
        matches = [
            value
            for attrs, value in metrics.get(name, [])
            if all(attrs.get(key) == expected for key, expected in wanted.items())
        ]
        assert len(matches) == 1, f"{name} {wanted}: {metrics.get(name)}"
        return matches[0]


@dataclass
class FakeRest:
    """Discord's REST API as far as the test commands use it: sending messages."""

    bot_user: dict[str, Any]
    calls: list[tuple[str, str, Any]] = field(default_factory=list)

    async def request(self, route: Any, **kwargs: Any) -> Any:
        """Record the call and answer like Discord does."""
        self.calls.append((route.method, route.path, kwargs.get("json")))
        if route.method == "POST" and route.path == "/channels/{channel_id}/messages":
            payload = kwargs.get("json") or {}
            return g.message_create(
                str(route.channel_id), self.bot_user, payload.get("content", "")
            )
        msg = f"FakeRest has no answer for {route.method} {route.path}"
        raise AssertionError(msg)

    def sent(self) -> list[str]:
        """Contents of the messages the bot sent."""
        return [json["content"] for method, _, json in self.calls if method == "POST" and json]


@dataclass
class World:
    """A bot that is logged in, with one guild, two members and two channels."""

    bot: commands.Bot
    rest: FakeRest
    bot_user: dict[str, Any]
    application_id: str
    guild_id: str
    text_id: str
    voice_id: str
    alice: dict[str, Any]

    def feed(self, event: str, payload: dict[str, Any]) -> None:
        """Deliver one gateway event to the bot."""
        g.feed(self.bot, event, payload)

    def say(self, content: str, author: dict[str, Any] | None = None) -> None:
        """Alice (or ``author``) writes ``content`` in the text channel."""
        self.feed(
            "MESSAGE_CREATE",
            g.message_create(self.text_id, author or self.alice, content, guild_id=self.guild_id),
        )

    def slash(self, name: str, **kwargs: Any) -> None:
        """Alice runs an application command."""
        self.feed(
            "INTERACTION_CREATE",
            g.interaction_create(
                self.application_id,
                name,
                guild_id=self.guild_id,
                channel_id=self.text_id,
                invoker=self.alice,
                **kwargs,
            ),
        )


def make_bot(**options: Any) -> commands.Bot:
    """A prefix ``!`` bot with the intents these tests need; it never connects."""
    intents = discord.Intents.default()
    intents.members = True
    intents.message_content = True
    return commands.Bot(
        command_prefix="!",
        intents=intents,
        guild_ready_timeout=0,
        chunk_guilds_at_startup=False,
        **options,
    )


async def start(bot: commands.Bot, setup: Callable[[commands.Bot], None] | None = None) -> World:
    """Run setup, then READY and a GUILD_CREATE (the bot joins a guild) and wait for handlers."""
    if setup is not None:
        setup(bot)
    await bot._async_setup_hook()
    bot_user = g.user(name="testbot", bot=True)
    rest = FakeRest(bot_user)
    bot.http.request = rest.request  # type: ignore[method-assign]
    world = World(
        bot=bot,
        rest=rest,
        bot_user=bot_user,
        application_id=bot_user["id"],
        guild_id=g.snowflake(),
        text_id=g.snowflake(),
        voice_id=g.snowflake(),
        alice=g.user(name="alice"),
    )
    world.feed("READY", g.ready(bot_user, world.application_id))
    await g.settle()
    world.feed(
        "GUILD_CREATE",
        g.guild_create(
            world.guild_id,
            "Test Guild",
            world.alice["id"],
            channels=[
                g.channel(world.text_id, world.guild_id),
                g.channel(world.voice_id, world.guild_id, "voice", g.VOICE_CHANNEL),
            ],
            members=[g.member(world.alice), g.member(bot_user)],
        ),
    )
    await g.settle()
    return world
