"""Command spans built off the loop: the same spans the SDK's own path gives.

Each scenario runs twice on a real bot: once with a ``SimpleSpanProcessor`` (the SDK's
``start_span``, not deferred) and once with a ``BatchSpanProcessor`` (deferred: the
span object is built by the sink's thread). What reaches the exporter must be equal
in everything but ids and times; parents, logs and child spans must see the command.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import discord
import pytest
from discord.ext import commands
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, SpanLimits, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, Decision, Sampler, SamplingResult
from opentelemetry.trace import SpanKind, StatusCode

from otel_discord.instrumentation import DiscordInstrumentor, _state
from otel_discord.instrumentation._deferred_spans import DeferredSpan, SpanSink
from otel_discord.instrumentation.version import __version__
from otel_discord.offline import payloads as g
from tests.instrumentation.harness import Otel, World, make_bot, start

seen_in_command: list[trace.Span] = []
"""The current span as the command body saw it."""
child_tracer: list[trace.Tracer] = []
"""The bot's own tracer, when a test wants ping to open a child span."""


def add_commands(bot: commands.Bot) -> None:
    """ping, boom (a bug), a group with a subcommand, a slash command and a failing one."""

    @bot.command()
    async def ping(ctx: commands.Context[Any]) -> None:
        seen_in_command.append(trace.get_current_span())
        for tracer in child_tracer:
            with tracer.start_as_current_span("child"):
                pass
        await ctx.send("pong")

    @bot.command()
    async def boom(ctx: commands.Context[Any]) -> None:
        raise ValueError("kaboom")

    @bot.group(invoke_without_command=True)
    async def warning(ctx: commands.Context[Any]) -> None:
        return None

    @warning.command(name="add")
    async def warning_add(ctx: commands.Context[Any]) -> None:
        return None

    @bot.tree.command()
    async def hello(interaction: discord.Interaction[Any]) -> None:
        return None

    @bot.tree.command()
    async def fail(interaction: discord.Interaction[Any]) -> None:
        raise RuntimeError("slash kaboom")


def play(world: World) -> None:
    world.say("!ping")
    world.say("!boom")
    world.say("!warning add")
    world.slash("hello")
    world.slash("fail")


def run(otel: Otel, scenario: Callable[[World], None] = play) -> None:
    instrumentor = DiscordInstrumentor()
    instrumentor.instrument(**otel.providers())
    try:

        async def main() -> None:
            bot = make_bot()
            world = await start(bot, add_commands)
            scenario(world)
            await g.settle()
            await bot.close()

        asyncio.run(main())
    finally:
        instrumentor.uninstrument()


class BatchOtel(Otel):
    """The harness's providers with a BatchSpanProcessor: command spans are deferred."""

    def __init__(self, **provider: Any) -> None:
        super().__init__()
        self.tracer_provider = TracerProvider(**provider)
        self.tracer_provider.add_span_processor(BatchSpanProcessor(self.span_exporter))

    def spans(self) -> list[ReadableSpan]:
        self.tracer_provider.force_flush()
        return super().spans()


def simple_otel(**provider: Any) -> Otel:
    otel = Otel()
    otel.tracer_provider = TracerProvider(**provider)
    otel.tracer_provider.add_span_processor(SimpleSpanProcessor(otel.span_exporter))
    return otel


def _stable(key: str, value: Any) -> Any:
    """An event attribute without what differs per exception instance."""
    if key == "exception.stacktrace":
        return str(value).splitlines()[-1]
    if key == "otel_discord.exception.id":
        return str(value).rsplit("-", 1)[0]  # the kind's hash; the suffix counts instances
    return value


def comparable(span: ReadableSpan) -> dict[str, Any]:
    """A span without its ids and times."""
    return {
        "name": span.name,
        "kind": span.kind,
        "attributes": dict(span.attributes or {}),
        "dropped_attributes": span.dropped_attributes,
        "status": (span.status.status_code, span.status.description),
        "events": [
            (event.name, {k: _stable(k, v) for k, v in (event.attributes or {}).items()})
            for event in span.events
        ],
        "resource": dict(span.resource.attributes),
        "scope": (span.instrumentation_scope.name, span.instrumentation_scope.version)
        if span.instrumentation_scope
        else None,
        "parent": span.parent is not None,
        "sampled": span.context.trace_flags.sampled if span.context else None,
        "ended_after_start": (span.end_time or 0) >= (span.start_time or 0) > 0,
    }


@pytest.fixture(autouse=True)
def _clear() -> Iterator[None]:
    seen_in_command.clear()
    yield
    seen_in_command.clear()


COMMANDS = ("ping", "boom", "warning add", "/hello", "/fail")


class TestSameSpansAsTheSdk:
    """Deferred spans equal the SDK's own, field by field."""

    def test_every_command_span_is_equal(self) -> None:
        resource = Resource.create({"service.name": "twin"})
        direct, deferred = simple_otel(resource=resource), BatchOtel(resource=resource)
        run(direct)
        run(deferred)
        assert isinstance(seen_in_command[1], DeferredSpan)
        assert not isinstance(seen_in_command[0], DeferredSpan)
        for name in COMMANDS:
            assert comparable(direct.span(name)) == comparable(deferred.span(name)), name
        failed = comparable(deferred.span("boom"))
        assert (StatusCode.ERROR, "ValueError: kaboom") == failed["status"]
        assert "ValueError" == failed["events"][0][1]["exception.type"]
        assert "twin" == failed["resource"]["service.name"]
        assert ("otel_discord.instrumentation.discord", __version__) == failed["scope"]
        assert SpanKind.SERVER == deferred.span("/hello").kind

    def test_span_limits_apply(self) -> None:
        limits = SpanLimits(max_span_attributes=2, max_span_attribute_length=3)
        direct, deferred = simple_otel(span_limits=limits), BatchOtel(span_limits=limits)
        run(direct, lambda world: world.say("!ping"))
        run(deferred, lambda world: world.say("!ping"))
        assert comparable(direct.span("ping")) == comparable(deferred.span("ping"))
        assert 2 == len(deferred.span("ping").attributes or {})
        assert 3 == deferred.span("ping").dropped_attributes


class TestChildrenAndLogs:
    """The command's body sees the command span: children and logs point at it."""

    def test_child_span_and_log_context_are_the_command(self) -> None:
        """A child span's parent and the context a log record is stamped with."""
        otel = BatchOtel()
        child_tracer.append(otel.tracer_provider.get_tracer("the.bot"))
        try:
            run(otel, lambda world: world.say("!ping"))
        finally:
            child_tracer.clear()
        command, child = otel.span("ping"), otel.span("child")
        assert command.context is not None
        assert child.parent is not None
        assert child.context is not None
        assert command.context.span_id == child.parent.span_id
        assert command.context.trace_id == child.context.trace_id
        # What the logging bridge reads for a record emitted in the command.
        assert command.context == seen_in_command[0].get_span_context()
        assert command.context.trace_flags.sampled


class TestSamplerAndProcessors:
    """The provider's sampler decides; processors other than batching keep the SDK path."""

    def test_sampler_off_exports_nothing_and_children_are_unsampled(self) -> None:
        otel = BatchOtel(sampler=ALWAYS_OFF)
        run(otel, lambda world: world.say("!ping"))
        assert [] == otel.spans()
        assert not seen_in_command[0].get_span_context().trace_flags.sampled
        assert seen_in_command[0].get_span_context().is_valid

    def test_on_start_is_not_called_for_deferred_spans(self) -> None:
        """The stated loss: a batching processor's ``on_start`` never sees a command span."""
        started: list[str] = []

        class Counting(BatchSpanProcessor):
            def on_start(self, span: Any, parent_context: Any = None) -> None:
                started.append(span.name)

        otel = BatchOtel()
        otel.tracer_provider = TracerProvider()
        otel.tracer_provider.add_span_processor(Counting(otel.span_exporter))
        run(otel, lambda world: world.say("!ping"))
        assert [] == started
        assert 1 == len([s for s in otel.spans() if s.name == "ping"])

    def test_a_non_batching_processor_gets_sdk_spans(self) -> None:
        otel = simple_otel()
        run(otel, lambda world: world.say("!ping"))
        assert not isinstance(seen_in_command[0], DeferredSpan)
        assert 1 == len(otel.spans())

    def test_shutdown_delivers_what_waits(self) -> None:
        """A provider shutdown right after the command exports its span."""
        otel = BatchOtel()
        instrumentor = DiscordInstrumentor()
        instrumentor.instrument(**otel.providers())
        try:

            async def main() -> None:
                bot = make_bot()
                world = await start(bot, add_commands)
                world.say("!ping")
                await g.settle()
                assert _state.current is not None
                assert 0 == len(otel.span_exporter.get_finished_spans())
                otel.tracer_provider.shutdown()
                await bot.close()

            asyncio.run(main())
        finally:
            instrumentor.uninstrument()
        assert ["ping"] == [s.name for s in otel.span_exporter.get_finished_spans()]

    def test_instrumenting_again_keeps_one_drain_and_delivers(self) -> None:
        """Uninstrument takes the drain out; a second instrument() puts its own in."""
        otel = BatchOtel()
        run(otel, lambda world: world.say("!ping"))
        run(otel, lambda world: world.say("!ping"))
        assert 2 == len(otel.spans())
        processors = otel.tracer_provider._active_span_processor._span_processors
        assert [BatchSpanProcessor] == [type(p) for p in processors]


class TestBuffer:
    """The buffer is bounded: past its limit spans are dropped and counted."""

    def test_full_buffer_drops_and_counts(self) -> None:
        exporter = InMemorySpanExporter()
        provider = TracerProvider()
        provider.add_span_processor(BatchSpanProcessor(exporter))
        tracer = provider.get_tracer("t")
        sink = SpanSink(limit=3, interval=3600)
        for i in range(5):
            sink.start(tracer, f"s{i}", SpanKind.INTERNAL, {}).end()
        assert 2 == sink.dropped
        sink.close()
        provider.force_flush()
        assert ["s0", "s1", "s2"] == [s.name for s in exporter.get_finished_spans()]
        provider.shutdown()

    def test_a_forked_child_gets_its_own_thread(self) -> None:
        """After os.fork the parent's thread is gone; the child's next span starts one."""
        exporter = InMemorySpanExporter()
        provider = TracerProvider()
        provider.add_span_processor(BatchSpanProcessor(exporter))
        sink = SpanSink(interval=0.01)
        sink.start(provider.get_tracer("t"), "parent", SpanKind.INTERNAL, {}).end()
        parent_thread = sink._thread
        sink._after_fork()  # what os.register_at_fork runs in the child
        assert sink._thread is None
        sink.start(provider.get_tracer("t"), "child", SpanKind.INTERNAL, {}).end()
        assert sink._thread is not None
        assert sink._thread is not parent_thread
        sink.close()
        provider.force_flush()
        assert ["parent", "child"] == [s.name for s in exporter.get_finished_spans()]
        provider.shutdown()

    def test_custom_sampler_attributes_are_kept(self) -> None:
        class Tagging(Sampler):
            def should_sample(self, *args: Any, **kwargs: Any) -> SamplingResult:
                return SamplingResult(Decision.RECORD_AND_SAMPLE, {"sampled.by": "me"})

            def get_description(self) -> str:
                return "tagging"

        exporter = InMemorySpanExporter()
        provider = TracerProvider(sampler=Tagging())
        provider.add_span_processor(BatchSpanProcessor(exporter))
        sink = SpanSink()
        sink.start(provider.get_tracer("t"), "s", SpanKind.INTERNAL, {"a": 1}).end()
        sink.close()
        provider.force_flush()
        assert [{"sampled.by": "me"}] == [
            dict(s.attributes or {}) for s in exporter.get_finished_spans()
        ]
        provider.shutdown()
