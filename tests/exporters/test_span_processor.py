"""``DiscordSpanProcessor``: spans into the Discord intake on the ending thread, no worker thread.

Real SDK providers, the real exporter and pipeline, real HTTP to the strict local
Discord; the configure() case runs a real discord.py bot fed offline.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from discord.ext import commands
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Status, StatusCode

from otel_discord import Channel
from otel_discord.distro import with_export_processors
from otel_discord.exporters import DiscordSpanExporter
from otel_discord.exporters.span_processor import (
    BATCH_SIZE,
    ERROR_GRACE_S,
    MAX_BUFFERED,
    DiscordSpanProcessor,
    span_processor_for,
)
from otel_discord.instrumentation._command_spans import CommandSpan
from otel_discord.pipeline import Pipeline
from otel_discord.routing import Rule
from otel_discord.setup import configure
from tests.instrumentation.harness import run_bot

RESOURCE = Resource.create({"service.name": "astrobot", "host.name": "prod-1"})
T0 = 1_700_000_000_000_000_000
MS = 1_000_000
"""One millisecond in the nanoseconds spans carry."""
BATCH_THREAD = "OtelBatchSpanRecordProcessor"
"""The SDK's BatchSpanProcessor worker thread's name."""


def span_rows(summary: dict[str, Any]) -> list[str]:
    value = next(f["value"] for f in summary["fields"] if f["name"] == "Spans")
    return [line.rstrip() for line in value.split("\n")]


def batch_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith(BATCH_THREAD)]


def wait_for(check: Callable[[], bool], timeout_s: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return check()


def hold_lock(pipeline: Pipeline) -> tuple[threading.Event, threading.Thread]:
    """Hold ``pipeline._lock`` on another thread (as a chart being drawn does) until released."""
    taken, release = threading.Event(), threading.Event()

    def hold() -> None:
        with pipeline._lock:
            taken.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    assert taken.wait(5)
    return release, holder


class Stack:
    """A provider with our processor and the Discord span exporter of ``four_channels``."""

    def __init__(self, four_channels: Any, **processor: Any) -> None:
        self.server = four_channels
        self.exporter = DiscordSpanExporter(
            four_channels.config(), rules=processor.pop("rules", None)
        )
        self.processor = DiscordSpanProcessor(self.exporter, **processor)
        self.provider = TracerProvider(resource=RESOURCE, shutdown_on_exit=False)
        self.provider.add_span_processor(self.processor)
        self.tracer = self.provider.get_tracer("astrobot")

    @property
    def pipeline(self) -> Pipeline:
        return self.exporter.pipeline

    def spans(self, name: str, lengths_ms: list[int], *, error: bool = False) -> None:
        for index, length in enumerate(lengths_ms):
            start = T0 + index * 1_000 * MS
            span = self.tracer.start_span(name, start_time=start)
            if error:
                span.record_exception(ValueError(f"{name} failed"))
                span.set_status(Status(StatusCode.ERROR, f"ValueError: {name} failed"))
            span.end(end_time=start + length * MS)

    def summary_rows(self) -> list[str]:
        """Close the analytics window (the scheduler's job) and read its span table."""
        self.pipeline.scheduler.run_now("analytics")
        assert self.exporter.force_flush(10_000)
        [summary] = self.server.embeds(Channel.ANALYTICS)
        return span_rows(summary)

    def errors(self) -> list[str]:
        return [e.get("title", "") for e in self.server.embeds(Channel.LOGS)]


@pytest.fixture
def stack(four_channels: Any) -> Iterator[Stack]:
    made = Stack(four_channels)
    yield made
    made.provider.shutdown()


class TestAnalytics:
    """Every span reaches the analytics window with its duration, in ms."""

    def test_counts_and_durations(self, stack: Stack) -> None:
        """Fewer spans than a batch, and several batches: all counted when the window closes."""
        play = [10 * i for i in range(1, 21)] * 15  # 300: batches handed over, the rest kept
        stack.spans("play", play)
        stack.spans("ping", [3, 3, 3, 3])
        assert len(stack.processor._buffer) == (300 + 4) % BATCH_SIZE
        assert [
            "304 spans · error rate 0.0 %",
            "```",
            "span                      n     p50     p95  err",
            "play                    300   100ms   190ms    0",
            "ping                      4     3ms     3ms    0",
            "```",
        ] == stack.summary_rows()

    def test_seconds_stay_seconds(self, stack: Stack) -> None:
        stack.spans("backup", [12_000, 30_000, 45_000])
        assert "backup                    3     30s     45s    0" == stack.summary_rows()[3]

    def test_unsampled_spans_are_not_counted(self, stack: Stack) -> None:
        from opentelemetry.sdk.trace.sampling import ALWAYS_OFF

        unsampled = TracerProvider(resource=RESOURCE, sampler=ALWAYS_OFF, shutdown_on_exit=False)
        unsampled.add_span_processor(stack.processor)
        for _ in range(BATCH_SIZE + 1):
            unsampled.get_tracer("astrobot").start_span("quiet").end()
        assert 0 == len(stack.processor._buffer)
        stack.spans("counted", [5])
        assert ["1 span · error rate 0.0 %"] == stack.summary_rows()[:1]

    @pytest.mark.parametrize(
        ("flags", "counted"),
        [(0x00, 0), (0x01, 1), (0x02, 0), (0x03, 1), (0xFF, 1), (0xFE, 0)],
    )
    def test_sampled_bit_alone_decides(self, stack: Stack, flags: int, counted: int) -> None:
        """Only the W3C sampled bit (0x01) counts, whatever else the flags carry
        (0x02: the random-trace-id bit), read from the SpanContext tuple or a subclass."""
        from opentelemetry.sdk.trace import ReadableSpan
        from opentelemetry.trace import SpanContext, TraceFlags

        class TaggedContext(SpanContext):
            pass

        for kind in (SpanContext, TaggedContext):
            context = kind(0x1F, 0x2F, False, TraceFlags(flags))
            for _ in range(BATCH_SIZE):
                span = ReadableSpan(
                    name=f"{kind.__name__} {flags}",
                    context=context,
                    resource=RESOURCE,
                    start_time=T0,
                    end_time=T0 + 5 * MS,
                )
                stack.processor.on_end(span)
        stack.spans("marker", [5])
        expected = 2 * BATCH_SIZE * counted + 1
        spans = "1 span" if expected == 1 else f"{expected:,} spans"
        assert [f"{spans} · error rate 0.0 %"] == stack.summary_rows()[:1]

    def test_spans_from_other_threads(self, stack: Stack) -> None:
        """Four threads ending spans at once: none lost, none counted twice."""
        go = threading.Barrier(4)

        def work(name: str) -> None:
            go.wait()
            stack.spans(name, [7] * 777)

        threads = [threading.Thread(target=work, args=(f"t{i}",)) for i in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        rows = stack.summary_rows()
        assert "3,108 spans · error rate 0.0 %" == rows[0]
        assert [f"t{i}                      777     7ms     7ms    0" for i in range(4)] == sorted(
            rows[3:7]
        )


class TestErrors:
    """Error spans reach the logs channel promptly, not when the window closes."""

    def test_error_span_posted_within_seconds_without_a_flush(self, stack: Stack) -> None:
        """After the grace (so a log record of the same exception goes first), no flush."""
        stack.spans("play", [5, 5])
        ended = time.monotonic()
        stack.spans("fail", [5], error=True)
        assert 1 == len(stack.processor._errors)
        time.sleep(1.0)
        assert [] == stack.errors()  # still in its grace
        assert wait_for(lambda: stack.errors() == ["❌ ValueError: fail failed"]), stack.errors()
        waited = time.monotonic() - ended
        assert ERROR_GRACE_S <= waited < ERROR_GRACE_S + 2.5
        assert "3 spans · error rate 33.3 %" == stack.summary_rows()[0]

    def test_a_first_error_span_names_the_service_in_the_startup_notice(self, stack: Stack) -> None:
        """The error path starts the pipeline: it learns the span's resource first."""
        stack.spans("fail", [5], error=True)
        assert stack.exporter.force_flush(10_000)
        [hello] = [e for e in stack.server.embeds(Channel.DIAGNOSTICS) if "started" in e["title"]]
        assert hello["description"].startswith("Service **astrobot** on **prod-1**.")

    def test_error_storm_goes_at_the_cap(self, stack: Stack) -> None:
        stack.spans("fail", [1] * MAX_BUFFERED, error=True)
        assert 0 == len(stack.processor._errors)  # handed over by the ending thread
        assert f"{MAX_BUFFERED:,} spans · error rate 100.0 %" == stack.summary_rows()[0]

    def test_busy_pipeline_never_blocks_the_ending_thread(self, stack: Stack) -> None:
        """Its lock held elsewhere (a chart being drawn): spans wait in the buffer, the
        error among them goes out within the scheduler's next tick once the lock is free."""
        stack.spans("warmup", [1])
        stack.pipeline.start()
        release, holder = hold_lock(stack.pipeline)
        try:
            began = time.monotonic()
            stack.spans("play", [4] * (2 * BATCH_SIZE))
            stack.spans("fail", [4], error=True)
            assert time.monotonic() - began < 5  # it would wait for 10 s
            assert 2 * BATCH_SIZE + 1 == len(stack.processor._buffer)
            assert 1 == len(stack.processor._errors)
        finally:
            release.set()
            holder.join()
        assert wait_for(lambda: stack.errors() == ["❌ ValueError: fail failed"]), stack.errors()
        rows = stack.summary_rows()
        total = 2 * BATCH_SIZE + 2
        assert f"{total} spans · error rate {100 / total:.1f} %" == rows[0]

    def test_the_cap_waits_rather_than_drops(self, stack: Stack) -> None:
        """Past MAX_BUFFERED the hand-over waits for the lock: bounded memory, no lost count."""
        stack.pipeline.start()
        release, holder = hold_lock(stack.pipeline)
        stack.spans("play", [2] * (MAX_BUFFERED - 1))
        ender = threading.Thread(target=stack.spans, args=("play", [2]))
        ender.start()
        ender.join(0.3)
        assert ender.is_alive()  # waiting for the lock at the cap
        release.set()
        holder.join()
        ender.join(5)
        assert not ender.is_alive()
        assert 0 == len(stack.processor._buffer)
        assert f"{MAX_BUFFERED:,} spans · error rate 0.0 %" == stack.summary_rows()[0]

    def test_failing_intake_never_raises(
        self, stack: Stack, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
    ) -> None:
        """An intake that raises: the span's end returns, the failure is logged once."""

        def broken(*_spans: object) -> bool:
            raise RuntimeError("injected intake failure")

        monkeypatch.setattr(stack.pipeline, "try_add_spans", broken)  # the ending thread's
        monkeypatch.setattr(stack.pipeline, "add_spans", broken)  # the scheduler's and flush's
        with caplog.at_level(logging.ERROR, logger="otel_discord.exporters"):
            stack.spans("play", [1] * (2 * BATCH_SIZE))
            stack.spans("fail", [1], error=True)
            assert stack.processor.force_flush()
        failures = [r for r in caplog.records if "span export failed" in r.getMessage()]
        assert 1 == len(failures)
        assert 0 == len(stack.processor._buffer) == len(stack.processor._errors)  # dropped
        monkeypatch.undo()
        stack.spans("after", [1])
        assert "1 span · error rate 0.0 %" == stack.summary_rows()[0]


class TestKnownOkHandOver:
    """The buffer holds only spans ``on_end`` found not errors; they reach the intake as
    ``ok_spans`` (not classified again, not routed under the default rules)."""

    def test_counts_durations_and_errors_exact(
        self, stack: Stack, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        taken: list[tuple[list[str], list[str]]] = []
        take = stack.exporter.take

        def recording(spans: Any, *, wait: bool = True, ok_spans: Any = ()) -> bool:
            taken.append(([s.name for s in spans], [s.name for s in ok_spans]))
            return take(spans, wait=wait, ok_spans=ok_spans)

        monkeypatch.setattr(stack.exporter, "take", recording)
        stack.spans("play", [10] * 40 + [30] * 30)
        stack.spans("fail", [5], error=True)
        caught = stack.tracer.start_span("caught", start_time=T0)
        caught.record_exception(KeyError("handled"))  # an error span without an error status
        caught.end(end_time=T0 + 7 * MS)
        assert stack.processor.force_flush()
        assert [([], ["play"] * BATCH_SIZE), (["fail", "caught"], ["play"] * 6)] == taken
        assert [
            "72 spans · error rate 1.4 %",
            "```",
            "span                      n     p50     p95  err",
            "play                     70    10ms    30ms    0",
            "caught                    1     7ms     7ms    0",
            "fail                      1     5ms     5ms    1",
            "```",
        ] == stack.summary_rows()
        errors = stack.errors()
        assert 2 == len(errors), errors
        assert 1 == errors.count("❌ ValueError: fail failed")

    def test_user_rules_still_see_ok_spans_and_errors_go_once(self, four_channels: Any) -> None:
        rule = Rule(Channel.LOGS, signal="spans", name="deploy*")
        made = Stack(four_channels, rules=[rule])
        made.spans("deploy v2", [30])
        made.spans("play", [30] * 3)
        made.spans("fail", [5], error=True)
        assert made.processor.force_flush()
        assert made.exporter.force_flush(10_000)
        logs = [str(e) for e in four_channels.embeds(Channel.LOGS)]
        assert 2 == len(logs), logs
        assert 1 == sum("deploy v2" in e for e in logs)
        assert 1 == sum("fail failed" in e for e in logs)
        made.provider.shutdown()

    def test_error_storm_while_busy_loses_nothing(self, stack: Stack) -> None:
        """The storm's hand-over at the cap finds the lock held: the errors go back to
        their deque; the next error span waits for the lock; every span is counted once."""
        stack.pipeline.start()
        release, holder = hold_lock(stack.pipeline)
        stack.spans("fail", [1] * MAX_BUFFERED, error=True)
        assert MAX_BUFFERED == len(stack.processor._errors)  # put back, not lost
        ender = threading.Thread(target=stack.spans, args=("fail", [1]), kwargs={"error": True})
        ender.start()
        ender.join(0.3)
        assert ender.is_alive()  # past the cap: waiting for the lock
        release.set()
        holder.join()
        ender.join(5)
        assert not ender.is_alive()
        assert 0 == len(stack.processor._errors)
        assert f"{MAX_BUFFERED + 1:,} spans · error rate 100.0 %" == stack.summary_rows()[0]


class TestFlushAndShutdown:
    """What the buffer holds is handed over by force_flush and by shutdown."""

    def test_force_flush(self, stack: Stack) -> None:
        stack.spans("play", [2] * (BATCH_SIZE + 5))
        assert 5 == len(stack.processor._buffer)
        assert stack.provider.force_flush()
        assert 0 == len(stack.processor._buffer)

    def test_shutdown_sends_the_last_spans(self, four_channels: Any) -> None:
        made = Stack(four_channels)
        made.spans("play", [2] * (BATCH_SIZE + 5))
        made.pipeline.drains.clear()  # only shutdown may hand the last 5 over
        made.provider.shutdown()
        [summary] = four_channels.embeds(Channel.ANALYTICS)  # the pipeline's final summary
        assert f"{BATCH_SIZE + 5} spans · error rate 0.0 %" == span_rows(summary)[0]
        made.spans("late", [2])  # after shutdown: ignored, no error
        assert 0 == len(made.processor._buffer)

    def test_scheduler_tick_hands_over_a_quiet_bots_spans(self, stack: Stack) -> None:
        stack.spans("play", [2] * 3)
        stack.pipeline.start()  # the scheduler thread, as the first export does
        assert wait_for(lambda: not stack.processor._buffer)

    def test_no_scheduler_job_of_its_own(self, four_channels: Any) -> None:
        """The hand-over rides the pipeline's per-second job: no second wake-up a second."""
        made = Stack(four_channels)
        jobs = [(job.name, job.interval_s) for job in made.pipeline.scheduler._jobs]
        assert 1 == [interval for _, interval in jobs].count(1.0)
        made.provider.shutdown()
        assert made.processor._each_second not in made.pipeline.each_second


class TestRouting:
    """The intake's fast path skips routing only when no user rule can apply to spans."""

    def test_user_rule_for_ordinary_spans(self, four_channels: Any) -> None:
        rule = Rule(Channel.LOGS, signal="spans", name="deploy*")
        made = Stack(four_channels, rules=[rule], batch_size=1)
        made.spans("deploy v2", [30])
        made.spans("play", [30])
        assert made.exporter.force_flush(10_000)
        logs = four_channels.embeds(Channel.LOGS)
        assert 1 == len(logs)
        assert "deploy v2" in str(logs[0])
        made.provider.shutdown()


def add_commands(bot: commands.Bot) -> None:
    @bot.command()
    async def ping(ctx: commands.Context[commands.Bot]) -> None:
        seen.append(trace.get_current_span())
        await ctx.send("pong")

    @bot.command()
    async def boom(ctx: commands.Context[commands.Bot]) -> None:
        raise ValueError("kaboom")


seen: list[trace.Span] = []


class TestConfigure:
    """configure() wires our processor: command spans take the cheap path, no batch thread."""

    def test_configured_bot(self, four_channels: Any) -> None:
        seen.clear()
        before = batch_threads()
        telemetry = configure(config=four_channels.config(), system_metrics=False, set_global=False)
        try:
            processors = telemetry.tracer_provider._active_span_processor._span_processors
            assert [DiscordSpanProcessor] == [type(p) for p in processors]

            def play(world: Any) -> None:
                for _ in range(200):
                    world.say("!ping")
                world.say("!boom")

            run_bot(play, add_commands)
            assert isinstance(seen[0], CommandSpan)
            assert 200 == len(seen)
            assert before == batch_threads()
            # The error is posted without a flush or a closed window.
            assert wait_for(
                lambda: any(
                    e.get("title", "").startswith("❌ ValueError: kaboom")
                    for e in four_channels.embeds(Channel.LOGS)
                )
            )
        finally:
            assert telemetry.shutdown()
        [summary] = [
            e
            for e in four_channels.embeds(Channel.ANALYTICS)
            if e.get("title", "").startswith("📊 Activity")
        ]
        rows = span_rows(summary)
        assert "201 spans · error rate 0.5 %" == rows[0]
        assert rows[3].split()[:2] == ["ping", "200"]
        assert rows[4].split()[:2] == ["boom", "1"]
        assert rows[4].split()[-1] == "1"


class TestZeroCodeFactory:
    """What opentelemetry-instrument's configurator gets for each traces exporter."""

    def test_discord_gets_ours_others_the_batch_processor(self, four_channels: Any) -> None:
        ours = span_processor_for(DiscordSpanExporter(four_channels.config()))
        other = span_processor_for(InMemorySpanExporter())
        try:
            assert DiscordSpanProcessor is type(ours)
            assert BatchSpanProcessor is type(other)
        finally:
            ours.shutdown()
            other.shutdown()

    def test_sdk_with_the_hook(self) -> None:
        def initialize(export_span_processor: Any = None, **_: Any) -> None: ...

        assert {"export_span_processor": span_processor_for} == with_export_processors(
            initialize, {}
        )
        chosen = {"export_span_processor": SimpleSpanProcessor}
        assert chosen == with_export_processors(initialize, chosen)

    def test_sdk_without_the_hook_is_left_alone(self) -> None:
        """An older SDK: no keyword it would reject; the batch processor as before."""

        def initialize(trace_exporter_names: Any = None, span_processors: Any = None) -> None: ...

        assert {"span_processors": None} == with_export_processors(
            initialize, {"span_processors": None}
        )

    def test_the_pinned_sdk_has_both_hooks(self) -> None:
        from opentelemetry.sdk._configuration import _initialize_components

        from otel_discord.exporters.log_processor import log_processor_for

        kwargs = with_export_processors(_initialize_components, {})
        assert span_processor_for is kwargs["export_span_processor"]
        assert log_processor_for is kwargs["export_log_record_processor"]
