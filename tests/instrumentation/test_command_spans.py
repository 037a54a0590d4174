"""Command spans that are the SDK's ReadableSpan: the same spans the SDK's own path gives.

Each scenario runs twice on a real bot: once with a processor that makes the SDK's
``start_span`` necessary (one that overrides ``on_start``) and once with the SDK's
batching or simple processor (a ``CommandSpan``). What reaches the exporter must be
equal in everything but ids and times; parents, logs and child spans must see the
command, and the span reaches the processor when it ends, on the bot's thread.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import threading
from collections.abc import Callable, Iterator
from typing import Any

import discord
import pytest
from discord.ext import commands
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context.contextvars_context import ContextVarsRuntimeContext
from opentelemetry.sdk._logs import LoggingHandler
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, SpanLimits, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    SimpleSpanProcessor,
    SpanExporter,
)
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.id_generator import IdGenerator, RandomIdGenerator
from opentelemetry.sdk.trace.sampling import (
    ALWAYS_OFF,
    DEFAULT_ON,
    Decision,
    Sampler,
    SamplingResult,
)
from opentelemetry.trace import SpanContext, SpanKind, StatusCode, TraceFlags, format_trace_id

from otel_discord import Channel
from otel_discord.exporters import DiscordSpanExporter
from otel_discord.instrumentation import DiscordInstrumentor, _safety, _state
from otel_discord.instrumentation._command_spans import FIELDS, CommandSpan, CommandSpans
from otel_discord.instrumentation.version import __version__
from otel_discord.intake.convert import occurrence_from_span
from otel_discord.offline import payloads as g
from otel_discord.render.errors import render_error
from tests.instrumentation.harness import Otel, World, make_bot, start

seen_in_command: list[trace.Span] = []
"""The current span as the command body saw it."""
child_tracer: list[trace.Tracer] = []
"""The bot's own tracer, when a test wants ping to open a child span."""
bot_log = logging.getLogger("the.bot.commands")


def add_commands(bot: commands.Bot) -> None:
    """ping, boom (a bug), a group with a subcommand, a slash command and a failing one."""

    @bot.command()
    async def ping(ctx: commands.Context[Any]) -> None:
        seen_in_command.append(trace.get_current_span())
        for tracer in child_tracer:
            with tracer.start_as_current_span("child"):
                pass
        bot_log.warning("pinged")
        await ctx.send("pong")

    @bot.command()
    async def boom(ctx: commands.Context[Any]) -> None:
        seen_in_command.append(trace.get_current_span())
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


class SeesStarts(SimpleSpanProcessor):
    """A processor with its own ``on_start``: the SDK's span path is needed for it."""

    def __init__(self, exporter: SpanExporter) -> None:
        super().__init__(exporter)
        self.started: list[str] = []

    def on_start(self, span: Any, parent_context: Any = None) -> None:
        self.started.append(span.name)


class BatchOtel(Otel):
    """The harness's providers with a BatchSpanProcessor."""

    def __init__(self, **provider: Any) -> None:
        super().__init__()
        self.tracer_provider = TracerProvider(**provider)
        self.tracer_provider.add_span_processor(BatchSpanProcessor(self.span_exporter))

    def spans(self) -> list[ReadableSpan]:
        self.tracer_provider.force_flush()
        return super().spans()


def sdk_otel(**provider: Any) -> Otel:
    """The SDK's own span path (a processor that needs ``on_start``)."""
    otel = Otel()
    otel.tracer_provider = TracerProvider(**provider)
    otel.tracer_provider.add_span_processor(SeesStarts(otel.span_exporter))
    return otel


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
            (
                event.name,
                {k: _stable(k, v) for k, v in (event.attributes or {}).items()},
                event.dropped_attributes,  # type: ignore[attr-defined]
            )
            for event in span.events
        ],
        "dropped_events": span.dropped_events,
        "links": [
            (link.context, dict(link.attributes or {}), link.dropped_attributes)
            for link in span.links
        ],
        "dropped_links": span.dropped_links,
        "resource": dict(span.resource.attributes),
        "scope": (span.instrumentation_scope.name, span.instrumentation_scope.version)
        if span.instrumentation_scope
        else None,
        "parent": span.parent is not None,
        "sampled": span.context.trace_flags.sampled if span.context else None,
        "ended_after_start": (span.end_time or 0) >= (span.start_time or 0) > 0,
    }


def json_without_ids(span: ReadableSpan) -> dict[str, Any]:
    """``to_json()`` parsed, with ids, times and per-instance values taken out."""
    out: dict[str, Any] = json.loads(span.to_json())
    assert out["context"]["trace_id"].startswith("0x")
    for key in ("context", "parent_id", "start_time", "end_time"):
        out[key] = out[key] is not None
    for event in out["events"]:
        assert event.pop("timestamp")
        event["attributes"] = {k: _stable(k, v) for k, v in event["attributes"].items()}
    return out


def rendered(span: ReadableSpan) -> dict[str, Any]:
    """The embed the exporters' error path renders for ``span``, without the trace id."""
    occurrence = occurrence_from_span(span, "twin", None)
    assert occurrence.trace_id is not None
    embed = dict(render_error(occurrence, 1, 0, 0))
    embed["fields"] = [f for f in embed["fields"] if f["name"] != "Trace"]
    return embed


@pytest.fixture(autouse=True)
def _clear() -> Iterator[None]:
    seen_in_command.clear()
    yield
    seen_in_command.clear()


COMMANDS = ("ping", "boom", "warning add", "/hello", "/fail")


class TestSameSpansAsTheSdk:
    """Command spans equal the SDK's own, field by field, as JSON and as rendered."""

    @pytest.mark.parametrize("ours", [BatchOtel, simple_otel], ids=["batch", "simple"])
    def test_every_command_span_is_equal(self, ours: Callable[..., Otel]) -> None:
        resource = Resource.create({"service.name": "twin"})
        direct, cheap = sdk_otel(resource=resource), ours(resource=resource)
        run(direct)
        run(cheap)
        assert not isinstance(seen_in_command[0], CommandSpan)
        assert isinstance(seen_in_command[2], CommandSpan)
        for name in COMMANDS:
            assert comparable(direct.span(name)) == comparable(cheap.span(name)), name
            assert json_without_ids(direct.span(name)) == json_without_ids(cheap.span(name))
        failed = comparable(cheap.span("boom"))
        assert (StatusCode.ERROR, "ValueError: kaboom") == failed["status"]
        assert "ValueError" == failed["events"][0][1]["exception.type"]
        assert "twin" == failed["resource"]["service.name"]
        assert ("otel_discord.instrumentation.discord", __version__) == failed["scope"]
        assert SpanKind.SERVER == cheap.span("/hello").kind
        assert SpanKind.CONSUMER == cheap.span("ping").kind

    def test_exporters_render_the_same_embed(self) -> None:
        """The error embed the span exporter's path renders (title, stack, fields, footer)."""
        direct, cheap = sdk_otel(), simple_otel()
        run(direct)
        run(cheap)
        for name in ("boom", "/fail"):
            assert rendered(direct.span(name)) == rendered(cheap.span(name)), name
        embed = rendered(cheap.span("boom"))
        assert "❌ ValueError: kaboom" == embed["title"]
        assert 'raise ValueError("kaboom")' in embed["description"]

    def test_discord_span_exporter_posts_the_error_of_a_command_span(
        self, four_channels: Any
    ) -> None:
        """Through the package's own exporter to the local Discord: the bug's embed."""
        otel = simple_otel()
        exporter = DiscordSpanExporter(four_channels.config())
        otel.tracer_provider.add_span_processor(BatchSpanProcessor(exporter))
        run(otel, lambda world: world.say("!boom"))
        assert isinstance(seen_in_command[0], CommandSpan)
        assert otel.tracer_provider.force_flush()
        assert exporter.force_flush(10_000)
        span = otel.span("boom")
        assert span.context is not None
        embeds = four_channels.embeds(Channel.LOGS)
        assert ["❌ ValueError: kaboom"] == [e["title"] for e in embeds]
        trace_field = [f["value"] for f in embeds[0]["fields"] if f["name"] == "Trace"]
        assert [f"`{format_trace_id(span.context.trace_id)}`"] == trace_field
        assert 'raise ValueError("kaboom")' in embeds[0]["description"]

    def test_span_limits_apply(self) -> None:
        limits = SpanLimits(
            max_span_attributes=2,
            max_span_attribute_length=3,
            max_event_attributes=2,
            max_events=0,
        )
        direct, cheap = sdk_otel(span_limits=limits), BatchOtel(span_limits=limits)
        run(direct)
        run(cheap)
        for name in COMMANDS:
            assert comparable(direct.span(name)) == comparable(cheap.span(name)), name
        assert 2 == len(cheap.span("ping").attributes or {})
        assert 3 == cheap.span("ping").dropped_attributes
        assert "pin" == next(iter((cheap.span("ping").attributes or {}).values()))  # newest kept
        boom = cheap.span("boom")
        assert () == boom.events
        assert 1 == boom.dropped_events

    def test_event_attribute_limit(self) -> None:
        limits = SpanLimits(max_event_attributes=2)
        direct, cheap = sdk_otel(span_limits=limits), simple_otel(span_limits=limits)
        run(direct, lambda world: world.say("!boom"))
        run(cheap, lambda world: world.say("!boom"))
        assert comparable(direct.span("boom")) == comparable(cheap.span("boom"))
        event = cheap.span("boom").events[0]
        assert 2 == len(event.attributes or {})
        assert 3 == event.dropped_attributes  # type: ignore[attr-defined]


class TestChildrenAndLogs:
    """The command's body sees the command span: children and logs point at it."""

    def test_child_span_and_log_record_carry_the_command(self) -> None:
        otel = BatchOtel()
        child_tracer.append(otel.tracer_provider.get_tracer("the.bot"))
        handler = LoggingHandler(logger_provider=otel.logger_provider)
        bot_log.addHandler(handler)
        try:
            run(otel, lambda world: world.say("!ping"))
        finally:
            child_tracer.clear()
            bot_log.removeHandler(handler)
        command, child = otel.span("ping"), otel.span("child")
        assert isinstance(seen_in_command[0], CommandSpan)
        assert command.context is not None
        assert child.parent is not None
        assert child.context is not None
        assert command.context.span_id == child.parent.span_id
        assert command.context.trace_id == child.context.trace_id
        assert command.context.trace_flags.sampled
        records = [r.log_record for r in otel.logs() if r.log_record.body == "pinged"]
        assert 1 == len(records)
        assert command.context.trace_id == records[0].trace_id
        assert command.context.span_id == records[0].span_id
        assert command.context.trace_flags == records[0].trace_flags

    def test_error_log_of_a_bug_carries_the_command(self) -> None:
        otel = simple_otel()
        run(otel, lambda world: world.say("!boom"))
        command = otel.span("boom")
        assert command.context is not None
        errors = otel.error_logs()
        assert 1 == len(errors)
        assert command.context.span_id == errors[0].log_record.span_id
        assert command.context.trace_id == errors[0].log_record.trace_id


class TestSamplersAndParents:
    """The provider's sampler decides, with the parent the SDK would use."""

    def test_sampler_off_exports_nothing_and_children_are_unsampled(self) -> None:
        otel = BatchOtel(sampler=ALWAYS_OFF)
        run(otel, lambda world: world.say("!ping"))
        assert [] == otel.spans()
        assert not isinstance(seen_in_command[0], CommandSpan)
        assert not seen_in_command[0].get_span_context().trace_flags.sampled
        assert seen_in_command[0].get_span_context().is_valid

    @pytest.mark.parametrize("sampled", [True, False])
    def test_parent_based_default_follows_the_current_span(self, sampled: bool) -> None:
        """Inside a current span the command is its child; an unsampled parent drops it."""
        results = {}
        for path, processor in (("sdk", SeesStarts), ("ours", SimpleSpanProcessor)):
            exporter = InMemorySpanExporter()
            provider = TracerProvider(sampler=DEFAULT_ON)
            provider.add_span_processor(processor(exporter))
            outer = SpanContext(
                0xABC,
                0xDEF,
                is_remote=False,
                trace_flags=TraceFlags(TraceFlags.SAMPLED if sampled else 0),
            )
            tracer = provider.get_tracer("t")
            with trace.use_span(trace.NonRecordingSpan(outer)):
                span = CommandSpans().start(tracer, "cmd", SpanKind.CONSUMER, {"a": 1})
            span.end()
            assert (path == "ours" and sampled) == isinstance(span, CommandSpan)
            context = span.get_span_context()
            assert 0xABC == context.trace_id
            assert sampled == context.trace_flags.sampled
            results[path] = [comparable(s) for s in exporter.get_finished_spans()]
            if sampled:
                assert 0xDEF == exporter.get_finished_spans()[0].parent.span_id  # type: ignore[union-attr]
        assert results["sdk"] == results["ours"]
        assert (1 if sampled else 0) == len(results["ours"])

    def test_custom_sampler_attributes_and_record_only(self) -> None:
        class Tagging(Sampler):
            def should_sample(self, *args: Any, **kwargs: Any) -> SamplingResult:
                return SamplingResult(Decision.RECORD_ONLY, {"sampled.by": "me"})

            def get_description(self) -> str:
                return "tagging"

        seen: list[ReadableSpan] = []

        class Keeping(SimpleSpanProcessor):
            def on_end(self, span: ReadableSpan) -> None:
                seen.append(span)
                super().on_end(span)

        exporter = InMemorySpanExporter()
        provider = TracerProvider(sampler=Tagging())
        provider.add_span_processor(Keeping(exporter))
        span = CommandSpans().start(provider.get_tracer("t"), "s", SpanKind.INTERNAL, {"a": 1})
        assert isinstance(span, CommandSpan)
        assert span.is_recording()
        span.end()
        assert [{"sampled.by": "me"}] == [dict(s.attributes or {}) for s in seen]
        assert not seen[0].context.trace_flags.sampled  # type: ignore[union-attr]
        assert () == exporter.get_finished_spans()  # a recorded, unsampled span is not exported


class TestIdsAndCurrentSpan:
    """The ids and the parent the short paths read, and the SDK's calls they fall back to."""

    @staticmethod
    def ours(provider: TracerProvider, **kwargs: Any) -> trace.Span:
        span = CommandSpans().start(provider.get_tracer("t"), "cmd", SpanKind.CONSUMER, {})
        assert isinstance(span, CommandSpan)
        return span

    @staticmethod
    def provider(**kwargs: Any) -> TracerProvider:
        provider = TracerProvider(**kwargs)
        provider.add_span_processor(SimpleSpanProcessor(InMemorySpanExporter()))
        return provider

    def test_default_ids_are_the_draws_the_sdk_makes(self) -> None:
        provider = self.provider()
        random.seed(1234)
        ours = self.ours(provider).get_span_context()
        random.seed(1234)
        sdk = provider.get_tracer("t").start_span("cmd").get_span_context()
        assert (sdk.trace_id, sdk.span_id) == (ours.trace_id, ours.span_id)
        assert sdk.trace_flags == ours.trace_flags
        assert ours.trace_flags.random_trace_id

    def test_a_zero_draw_is_drawn_again(self, monkeypatch: pytest.MonkeyPatch) -> None:
        draws = iter([0, 5, 0, 7])
        monkeypatch.setattr(random, "getrandbits", lambda bits: next(draws))
        context = self.ours(self.provider()).get_span_context()
        assert (5, 7) == (context.trace_id, context.span_id)
        assert context.is_valid

    @pytest.mark.parametrize("subclass", [False, True])
    def test_another_id_generator_is_asked(self, subclass: bool) -> None:
        base: type[IdGenerator] = RandomIdGenerator if subclass else IdGenerator

        class Fixed(base):  # type: ignore[valid-type,misc]
            def generate_trace_id(self) -> int:
                return 0xABC

            def generate_span_id(self) -> int:
                return 0xDEF

            def is_trace_id_random(self) -> bool:
                return False

        context = self.ours(self.provider(id_generator=Fixed())).get_span_context()
        assert (0xABC, 0xDEF) == (context.trace_id, context.span_id)
        assert not context.trace_flags.random_trace_id
        assert context.trace_flags.sampled

    def test_the_parent_is_read_from_another_runtime_context(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(otel_context, "_RUNTIME_CONTEXT", ContextVarsRuntimeContext())
        outer = SpanContext(0xABC, 0xDEF, is_remote=False, trace_flags=TraceFlags(1))
        with trace.use_span(trace.NonRecordingSpan(outer)):
            span = self.ours(self.provider())
        assert 0xABC == span.get_span_context().trace_id
        assert 0xDEF == span.parent.span_id  # type: ignore[union-attr]

    def test_a_current_span_is_the_parent(self) -> None:
        outer = SpanContext(0xABC, 0xDEF, is_remote=False, trace_flags=TraceFlags(1))
        with trace.use_span(trace.NonRecordingSpan(outer)):
            span = self.ours(self.provider())
        assert 0xDEF == span.parent.span_id  # type: ignore[union-attr]
        assert None is self.ours(self.provider()).parent


class TestProcessors:
    """Which processors get a CommandSpan, and when they receive it."""

    def test_a_processor_with_its_own_on_start_gets_sdk_spans_and_its_calls(self) -> None:
        otel = sdk_otel()
        run(otel, lambda world: world.say("!ping"))
        assert not isinstance(seen_in_command[0], CommandSpan)
        processor = otel.tracer_provider._active_span_processor._span_processors[0]
        assert isinstance(processor, SeesStarts)
        assert ["ping"] == processor.started
        assert 1 == len(otel.spans())

    def test_simple_processor_exports_at_end_on_the_ending_thread(self) -> None:
        threads: list[int] = []

        class Noting(InMemorySpanExporter):
            def export(self, spans: Any) -> Any:
                threads.append(threading.get_ident())
                return super().export(spans)

        exporter = Noting()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        span = CommandSpans().start(provider.get_tracer("t"), "s", SpanKind.INTERNAL, {})
        assert isinstance(span, CommandSpan)
        assert () == exporter.get_finished_spans()
        span.end()
        assert [span] == list(exporter.get_finished_spans())
        assert [threading.get_ident()] == threads
        span.end()  # a second end is ignored, as the SDK's
        assert 1 == len(exporter.get_finished_spans())

    def test_a_failing_on_end_neither_raises_nor_starves_the_next_processor(self) -> None:
        class Failing(SimpleSpanProcessor):
            def on_end(self, span: ReadableSpan) -> None:
                raise RuntimeError("processor bug")

        exporter = InMemorySpanExporter()
        provider = TracerProvider()
        provider.add_span_processor(Failing(InMemorySpanExporter()))
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        span = CommandSpans().start(provider.get_tracer("t"), "s", SpanKind.INTERNAL, {})
        assert isinstance(span, CommandSpan)
        span.end()
        assert ["s"] == [s.name for s in exporter.get_finished_spans()]
        failures = list(_safety.RECENT_FAILURES)
        _safety.RECENT_FAILURES.clear()  # swallowed as meant: not a failure of this test
        assert ["processor bug"] == [str(exc) for exc in failures]

    def test_batch_processor_has_it_queued_at_end_and_flush_exports_it(self) -> None:
        exporter = InMemorySpanExporter()
        provider = TracerProvider()
        processor = BatchSpanProcessor(exporter, schedule_delay_millis=3_600_000)
        provider.add_span_processor(processor)
        span = CommandSpans().start(provider.get_tracer("t"), "s", SpanKind.INTERNAL, {})
        span.end()
        assert [span] == list(processor._batch_processor._queue)
        assert provider.force_flush()
        assert ["s"] == [s.name for s in exporter.get_finished_spans()]
        provider.shutdown()

    def test_shutdown_right_after_the_command_exports_it(self) -> None:
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
                otel.tracer_provider.shutdown()
                await bot.close()

            asyncio.run(main())
        finally:
            instrumentor.uninstrument()
        assert ["ping"] == [s.name for s in otel.span_exporter.get_finished_spans()]

    def test_instrumenting_again_leaves_the_processors_as_they_were(self) -> None:
        otel = BatchOtel()
        run(otel, lambda world: world.say("!ping"))
        run(otel, lambda world: world.say("!ping"))
        assert 2 == len(otel.spans())
        processors = otel.tracer_provider._active_span_processor._span_processors
        assert [BatchSpanProcessor] == [type(p) for p in processors]

    def test_a_processor_added_later_is_honoured(self) -> None:
        exporter, later = InMemorySpanExporter(), InMemorySpanExporter()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        spans, tracer = CommandSpans(), provider.get_tracer("t")
        first = spans.start(tracer, "first", SpanKind.INTERNAL, {})
        late = SeesStarts(later)
        provider.add_span_processor(late)
        first.end()  # ends into the processors there are now, as the SDK's span
        second = spans.start(tracer, "second", SpanKind.INTERNAL, {})
        second.end()
        assert isinstance(first, CommandSpan)
        assert not isinstance(second, CommandSpan)
        assert ["second"] == late.started
        assert ["first", "second"] == [s.name for s in exporter.get_finished_spans()]
        assert ["first", "second"] == [s.name for s in later.get_finished_spans()]

    def test_sdk_span_metrics_on_keeps_the_sdks_path(self, monkeypatch: Any) -> None:
        """With the SDK's span self-metrics on, its own span counts every command."""
        monkeypatch.setenv("OTEL_PYTHON_SDK_INTERNAL_METRICS_ENABLED", "true")
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(InMemorySpanExporter()))
        span = CommandSpans().start(provider.get_tracer("t"), "s", SpanKind.INTERNAL, {})
        assert not isinstance(span, CommandSpan)
        assert span.is_recording()


class TestSdkDrift:
    """A ReadableSpan whose fields differ from ours: the SDK's path, decided per provider."""

    def test_fields_are_those_a_command_span_sets(self) -> None:
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(InMemorySpanExporter()))
        span = CommandSpans().start(provider.get_tracer("t"), "s", SpanKind.INTERNAL, {})
        assert FIELDS == set(vars(span)) - {"_adoption", "_shared", "context"}
        assert span.context is span._context is span.get_span_context()
        assert FIELDS == set(vars(ReadableSpan(name="plain")))

    def test_the_span_context_is_the_one_the_api_builds(self) -> None:
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(InMemorySpanExporter()))
        span = CommandSpans().start(provider.get_tracer("t"), "s", SpanKind.INTERNAL, {})
        ours = span.get_span_context()
        made = SpanContext(ours.trace_id, ours.span_id, False, ours.trace_flags)
        assert type(made) is type(ours)
        assert tuple(made) == tuple(ours)
        assert ours.is_valid
        assert not ours.is_remote
        assert made.trace_state is ours.trace_state
        assert ours.trace_flags.sampled
        assert ours.trace_flags.random_trace_id

    def test_an_api_span_with_a_new_abstract_method_takes_the_sdk_path(
        self, monkeypatch: Any
    ) -> None:
        """``CommandSpan`` would not build: checked at adoption, not per command."""
        monkeypatch.setattr(
            CommandSpan, "__abstractmethods__", frozenset({"get_span_context", "new_in_api"})
        )
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(InMemorySpanExporter()))
        span = CommandSpans().start(provider.get_tracer("t"), "s", SpanKind.INTERNAL, {})
        assert not isinstance(span, CommandSpan)
        assert span.is_recording()

    @pytest.mark.parametrize("change", ["added", "removed", "span context"])
    def test_a_changed_sdk_takes_the_sdk_path(self, monkeypatch: Any, change: str) -> None:
        original = ReadableSpan.__init__
        original_context = SpanContext.__new__

        def drifted(self: ReadableSpan, *args: Any, **kwargs: Any) -> None:
            original(self, *args, **kwargs)
            if change == "added":
                self._dropped_by_reason = {}  # type: ignore[attr-defined]
            else:
                del self._links  # the SDK's Span sets its own after this

        def longer_context(cls: type[SpanContext], *args: Any, **kwargs: Any) -> SpanContext:
            made = original_context(cls, *args, **kwargs)
            return tuple.__new__(cls, (*made, "sampled-by"))

        exporter = InMemorySpanExporter()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        tracer = provider.get_tracer("t")
        if change == "span context":
            monkeypatch.setattr(SpanContext, "__new__", longer_context)
        else:
            monkeypatch.setattr(ReadableSpan, "__init__", drifted)
        spans = CommandSpans()
        span = spans.start(tracer, "drifted", SpanKind.INTERNAL, {"a": 1})
        span.end()
        assert not isinstance(span, CommandSpan)
        assert ["drifted"] == [s.name for s in exporter.get_finished_spans()]
        monkeypatch.undo()
        again = CommandSpans().start(tracer, "again", SpanKind.INTERNAL, {"a": 1})
        assert isinstance(again, CommandSpan)


class TestCommandSpanMethods:
    """What a user's code may do to a command span, against the SDK's span."""

    def _twins(self, **provider: Any) -> tuple[list[Any], list[InMemorySpanExporter]]:
        spans, exporters = [], []
        for processor in (SeesStarts, SimpleSpanProcessor):
            exporter = InMemorySpanExporter()
            tracer_provider = TracerProvider(**provider)
            tracer_provider.add_span_processor(processor(exporter))
            tracer = tracer_provider.get_tracer("t")
            spans.append(CommandSpans().start(tracer, "cmd", SpanKind.CONSUMER, SHARED))
            exporters.append(exporter)
        assert not isinstance(spans[0], CommandSpan)
        assert isinstance(spans[1], CommandSpan)
        return spans, exporters

    def test_writes_links_names_and_status_match(self) -> None:
        limits = SpanLimits(max_span_attributes=3, max_links=1, max_link_attributes=1)
        spans, exporters = self._twins(span_limits=limits)
        valid = SpanContext(1, 2, is_remote=True)
        for span in spans:
            span.set_attribute("x", 1)
            span.set_attributes({"y": 2, "z": "long"})
            span.add_link(trace.INVALID_SPAN_CONTEXT)  # dropped: not valid, no attributes
            span.add_link(valid, {"l": 1, "m": 2})
            span.add_link(valid)
            span.update_name("renamed")
            span.set_status(StatusCode.OK)
            span.set_status(StatusCode.ERROR, "ignored after OK")
            span.end()
            span.set_attribute("after", "end")
        direct, cheap = (exporter.get_finished_spans()[0] for exporter in exporters)
        assert comparable(direct) == comparable(cheap)
        assert {"x": 1, "y": 2, "z": "long"} == dict(cheap.attributes or {})
        assert 2 == cheap.dropped_attributes
        assert 1 == cheap.dropped_links
        assert (StatusCode.OK, None) == comparable(cheap)["status"]
        assert "renamed" == cheap.name

    def test_a_write_copies_and_leaves_the_shared_shape_alone(self) -> None:
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(InMemorySpanExporter()))
        spans, tracer = CommandSpans(), provider.get_tracer("t")
        first = spans.start(tracer, "a", SpanKind.INTERNAL, SHARED)
        second = spans.start(tracer, "b", SpanKind.INTERNAL, SHARED)
        assert isinstance(first, CommandSpan)
        assert isinstance(second, CommandSpan)
        assert first._attributes is second._attributes  # one bounded copy per shape
        first.set_attribute("error.type", "X")
        first.end()
        second.end()
        assert {**SHARED, "error.type": "X"} == dict(first.attributes or {})
        assert SHARED == dict(second.attributes or {})
        assert {"command.name": "ping", "n": 1} == SHARED

    def test_used_as_a_context_manager_records_the_error(self) -> None:
        spans, exporters = self._twins()
        for span in spans:
            with pytest.raises(KeyError), span:
                raise KeyError("gone")
        direct, cheap = (exporter.get_finished_spans()[0] for exporter in exporters)
        assert comparable(direct) == comparable(cheap)
        assert (StatusCode.ERROR, "KeyError: 'gone'") == comparable(cheap)["status"]
        assert "True" == (cheap.events[0].attributes or {})["exception.escaped"]

    def test_repr_and_context(self) -> None:
        spans, _ = self._twins()
        assert repr(spans[1]).startswith('CommandSpan(name="cmd", context=SpanContext(')
        assert spans[1].get_span_context() is spans[1].context


SHARED = {"command.name": "ping", "n": 1}
