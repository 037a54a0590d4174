"""One exception, one embed; other errors in the same span all counted; windows line up.

Real SDK providers and exporters over loopback to the strict local Discord; the
token that ties an exception's records together is added by the bridge filter
the setup installs (``ExceptionIdFilter``) and by the instrumentation.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from otel_discord import Channel
from otel_discord.exception_ids import ATTR_EXCEPTION_ID, ExceptionIdFilter, exception_id
from otel_discord.exporters import DiscordLogExporter, DiscordSpanExporter
from otel_discord.pipeline import Pipeline
from otel_discord.records import Occurrence
from otel_discord.state.sightings import Sightings


@pytest.fixture
def stack(four_channels) -> Iterator[tuple[logging.Logger, TracerProvider, DiscordLogExporter]]:
    """A bridged logger (with the exception-id filter) and a tracer, sharing one pipeline."""
    config = four_channels.config()
    logs = DiscordLogExporter(config)
    log_provider = LoggerProvider()
    log_provider.add_log_record_processor(SimpleLogRecordProcessor(logs))
    handler = LoggingHandler(logger_provider=log_provider)
    handler.addFilter(ExceptionIdFilter())
    logger = logging.getLogger("astrobot.report")
    logger.addHandler(handler)
    logger.propagate = False
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(DiscordSpanExporter(config)))
    yield logger, tracer_provider, logs
    Pipeline.shutdown_all(2.0)  # while the local Discord still answers
    logger.removeHandler(handler)
    logger.propagate = True
    tracer_provider.shutdown()
    log_provider.shutdown()


def titles(four_channels) -> list[str]:
    return sorted(e["title"] for e in four_channels.embeds(Channel.LOGS))


class TestSameSpan:
    """Errors that share a span are different errors; one exception is one embed."""

    def test_two_errors_in_one_span_both_shown(self, stack, four_channels) -> None:
        logger, tracer_provider, logs = stack
        with tracer_provider.get_tracer("bot").start_as_current_span("report"):
            for exc in (ZeroDivisionError("division by zero"), KeyError("week")):
                try:
                    raise exc
                except Exception:
                    logger.exception("report failed")
        assert logs.force_flush(10_000)
        assert ["❌ KeyError: 'week'", "❌ ZeroDivisionError: division by zero"] == titles(
            four_channels
        )

    def test_one_exception_logged_and_on_its_span_shows_once(self, stack, four_channels) -> None:
        logger, tracer_provider, logs = stack
        tracer = tracer_provider.get_tracer("bot")
        with tracer.start_as_current_span("ratio") as span:
            try:
                _ = 1 / 0
            except ZeroDivisionError as exc:
                logger.exception("ratio failed")
                span.record_exception(exc, attributes={ATTR_EXCEPTION_ID: exception_id(exc)})
                span.set_status("ERROR")  # type: ignore[arg-type]
        assert logs.force_flush(10_000)
        assert ["❌ ZeroDivisionError: division by zero"] == titles(four_channels)


def occurrence(
    *, span_id: str | None = "s1", exc_type: str = "KeyError", token: str | None = None
) -> Occurrence:
    return Occurrence(
        time_ns=1,
        severity_number=17,
        severity_text="ERROR",
        source="bot",
        message="failed",
        service="svc",
        exc_type=exc_type,
        span_id=span_id,
        exception_id=token,
    )


class TestSightings:
    """Tokens decide; a tokenless span error pairs with one log record of its span and type."""

    def test_tokens(self) -> None:
        seen = Sightings(16)
        assert not seen.seen_before(occurrence(token="a"), from_span=False)
        assert seen.seen_before(occurrence(token="a"), from_span=True)
        assert not seen.seen_before(occurrence(token="b"), from_span=False)  # same span and type

    def test_tokenless_span_pairs_once(self) -> None:
        seen = Sightings(16)
        assert not seen.seen_before(occurrence(token="a"), from_span=False)
        assert not seen.seen_before(occurrence(token="b"), from_span=False)
        other_type = occurrence(exc_type="builtins.ValueError")
        assert not seen.seen_before(other_type, from_span=True)
        assert seen.seen_before(occurrence(exc_type="builtins.KeyError"), from_span=True)

    def test_span_first_then_its_log(self) -> None:
        seen = Sightings(16)
        assert not seen.seen_before(occurrence(), from_span=True)
        assert seen.seen_before(occurrence(token="x"), from_span=False)
        assert not seen.seen_before(occurrence(token="y"), from_span=False)  # paired already

    def test_bounded(self) -> None:
        seen = Sightings(4)
        for token in "abcdef":
            seen.seen_before(occurrence(span_id=None, token=token), from_span=False)
        assert not seen.seen_before(occurrence(span_id=None, token="a"), from_span=False)
        assert seen.seen_before(occurrence(span_id=None, token="f"), from_span=False)


class TestWindows:
    """Before a summary closes, the SDK's queues are drained into it."""

    def test_spans_ended_before_the_summary_are_in_it(self, four_channels) -> None:
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        exporter = DiscordSpanExporter(four_channels.config())
        provider = TracerProvider()
        provider.add_span_processor(BatchSpanProcessor(exporter, schedule_delay_millis=3_600_000))
        pipeline = exporter._core.pipeline
        pipeline.drains = [provider.force_flush]
        for _ in range(3):
            with provider.get_tracer("bot").start_as_current_span("play"):
                pass
        pipeline.start()
        pipeline.send_activity()
        assert exporter.force_flush(10_000)
        [summary] = four_channels.embeds(Channel.ANALYTICS)
        spans = next(f["value"] for f in summary["fields"] if f["name"] == "Spans")
        assert spans.startswith("3 spans · error rate 0.0 %")
        pipeline.shutdown(2.0)
        provider.shutdown()


class TestDefaultHandlerPrints:
    """A bot with no error handler: discord.py logs every failure; user mistakes stay out."""

    def test_only_the_bug_reaches_logs(self, four_channels) -> None:
        import asyncio
        from typing import Any

        from discord.ext import commands
        from opentelemetry.sdk.metrics import MeterProvider

        from otel_discord.instrumentation import DiscordInstrumentor
        from otel_discord.offline import payloads as g
        from otel_discord.offline.bot import make_bot, start

        config = four_channels.config()
        logs = DiscordLogExporter(config)
        log_provider = LoggerProvider()
        log_provider.add_log_record_processor(SimpleLogRecordProcessor(logs))
        bridge = LoggingHandler(logger_provider=log_provider)
        bridge.addFilter(ExceptionIdFilter())
        library = logging.getLogger("discord")
        library.addHandler(bridge)
        instrumentor = DiscordInstrumentor()
        instrumentor.instrument(
            tracer_provider=TracerProvider(),
            meter_provider=MeterProvider(),
            logger_provider=log_provider,
        )

        def setup(bot: commands.Bot) -> None:
            @bot.command()
            async def echo(ctx: commands.Context[Any], text: str) -> None:
                await ctx.send(text)

            @bot.command()
            async def boom(ctx: commands.Context[Any]) -> None:
                raise ValueError("kaboom")

        async def main() -> None:
            bot = make_bot()
            world = await start(bot, setup)
            for text in ("!nosuch", "!echo", "!boom"):
                world.say(text)
            await g.settle()
            await bot.close()

        try:
            asyncio.run(main())
        finally:
            instrumentor.uninstrument()
            library.removeHandler(bridge)
        assert logs.force_flush(10_000)
        errors = [t for t in titles(four_channels) if not t.startswith("⚠️")]  # PyNaCl & co.
        assert ["❌ ValueError: kaboom"] == errors
        Pipeline.shutdown_all(2.0)
        log_provider.shutdown()


class TestOwnSdkSetup:
    """The README's third way: the app's own providers and bridge, then ``instrument()``."""

    def test_the_bridge_it_finds_is_tagged_and_untagged(self, four_channels) -> None:
        import asyncio
        from typing import Any

        from discord.ext import commands
        from opentelemetry.sdk.metrics import MeterProvider

        from otel_discord.instrumentation import DiscordInstrumentor
        from otel_discord.offline import payloads as g
        from otel_discord.offline.bot import make_bot, start

        config = four_channels.config()
        logs = DiscordLogExporter(config)
        log_provider = LoggerProvider()
        log_provider.add_log_record_processor(SimpleLogRecordProcessor(logs))
        bridge = LoggingHandler(logger_provider=log_provider)  # no filter of ours: the app's
        root = logging.getLogger()
        root.addHandler(bridge)
        instrumentor = DiscordInstrumentor()
        instrumentor.instrument(
            tracer_provider=TracerProvider(),
            meter_provider=MeterProvider(),
            logger_provider=log_provider,
        )

        def setup(bot: commands.Bot) -> None:
            @bot.command()
            async def boom(ctx: commands.Context[Any]) -> None:
                raise ValueError("kaboom")

        async def main() -> None:
            bot = make_bot()
            world = await start(bot, setup)
            for text in ("!nosuch", "!boom"):
                world.say(text)
            await g.settle()
            await bot.close()

        try:
            asyncio.run(main())
            tagged = [f for f in bridge.filters if isinstance(f, ExceptionIdFilter)]
        finally:
            instrumentor.uninstrument()
            root.removeHandler(bridge)
        assert 1 == len(tagged)
        assert [] == bridge.filters  # uninstrument() leaves the app's handler as it was
        assert logs.force_flush(10_000)
        errors = [t for t in titles(four_channels) if not t.startswith("⚠️")]  # PyNaCl & co.
        # The unknown command is the user's mistake; the bug is one embed, not two (its
        # record from discord.py's default handler carries the CommandInvokeError wrapper).
        assert ["❌ ValueError: kaboom"] == errors
        Pipeline.shutdown_all(2.0)
        log_provider.shutdown()
