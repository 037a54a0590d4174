"""Prefix commands on a real bot: spans, metrics, error logs, and the bot's own handlers."""

from __future__ import annotations

import asyncio
import logging
import sys
import traceback
from collections.abc import Callable
from typing import Any

import pytest
from discord.ext import commands
from opentelemetry._logs import SeverityNumber
from opentelemetry.trace import SpanKind, StatusCode

from otel_discord.instrumentation import DiscordInstrumentor
from otel_discord.offline import payloads as g
from tests.instrumentation import harness
from tests.instrumentation.harness import Otel, World, make_bot, start

Instrument = Callable[..., DiscordInstrumentor]
DEFAULT_PRINT = "Ignoring exception in command boom"


def add_commands(bot: commands.Bot) -> None:
    """ping answers, boom raises, echo needs an argument."""

    @bot.command()
    async def ping(ctx: commands.Context[Any]) -> None:
        await ctx.send("pong")

    @bot.command()
    async def boom(ctx: commands.Context[Any]) -> None:
        raise ValueError("kaboom")

    @bot.command()
    async def echo(ctx: commands.Context[Any], text: str) -> None:
        await ctx.send(text)


def run_bot(
    scenario: Callable[[World], Any], setup: Callable[[commands.Bot], None] = add_commands
) -> None:
    """Start a bot with ``setup`` (the commands above by default), play ``scenario``."""
    harness.run_bot(scenario, setup)


class TestSuccessfulCommand:
    """A prefix command that succeeds."""

    def test_span_is_a_consumer_span_with_messaging_attributes(
        self, otel: Otel, instrument: Instrument
    ) -> None:
        """One CONSUMER span named after the command, with the discord attributes."""
        instrument()
        run_bot(lambda world: world.say("!ping"))
        span = otel.span("ping")
        assert SpanKind.CONSUMER == span.kind
        assert {
            "messaging.system": "discord",
            "messaging.operation.type": "process",
            "messaging.operation.name": "process",
            "discord.command.name": "ping",
            "discord.command.kind": "prefix",
        } == dict(span.attributes or {})
        assert StatusCode.UNSET == span.status.status_code

    def test_counts_success_and_duration(self, otel: Otel, instrument: Instrument) -> None:
        """discord.commands and discord.command.duration get one success point each."""
        instrument()
        run_bot(lambda world: world.say("!ping"))
        metrics = otel.metrics()
        keys = {
            "discord__command__name": "ping",
            "discord__command__kind": "prefix",
            "discord__command__outcome": "success",
        }
        assert 1 == otel.value(metrics, "discord.commands", **keys)
        assert 1 == otel.value(metrics, "discord.command.duration", **keys)
        assert [] == otel.error_logs()

    def test_command_still_does_its_work(self, otel: Otel, instrument: Instrument) -> None:
        """The REST call the command makes goes out unchanged."""
        instrument()
        sent: list[str] = []

        def scenario(world: World) -> None:
            world.say("!ping")
            sent.append("started")

        async def main() -> None:
            bot = make_bot()
            world = await start(bot, add_commands)
            scenario(world)
            await g.settle()
            sent.extend(world.rest.sent())
            await bot.close()

        asyncio.run(main())
        assert ["started", "pong"] == sent

    def test_spans_inside_the_command_are_its_children(
        self, otel: Otel, instrument: Instrument
    ) -> None:
        """The command span is current while the command runs."""
        instrument()
        tracer = otel.tracer_provider.get_tracer("bot")

        def setup(bot: commands.Bot) -> None:
            @bot.command()
            async def nested(ctx: commands.Context[Any]) -> None:
                with tracer.start_as_current_span("inner"):
                    await ctx.send("deep")

        run_bot(lambda world: world.say("!nested"), setup)
        outer, inner = otel.span("nested"), otel.span("inner")
        assert inner.parent is not None
        assert outer.context.span_id == inner.parent.span_id

    def test_ids_and_content_only_when_configured(self, otel: Otel, instrument: Instrument) -> None:
        """Guild/channel/user ids and message text appear only with their options."""
        instrument(
            guild_ids_as_attributes=True, user_ids_as_attributes=True, capture_message_content=True
        )
        seen: dict[str, str] = {}

        def scenario(world: World) -> None:
            seen.update(guild=world.guild_id, channel=world.text_id, user=world.alice["id"])
            world.say("!ping")

        run_bot(scenario)
        attributes = dict(otel.span("ping").attributes or {})
        assert seen["guild"] == attributes["discord.guild.id"]
        assert seen["channel"] == attributes["discord.channel.id"]
        assert seen["user"] == attributes["discord.user.id"]
        assert "!ping" == attributes["discord.message.content"]
        metrics = otel.metrics()
        assert 1 == otel.value(metrics, "discord.commands", discord__guild__id=seen["guild"])


class TestCommandNames:
    """A top-level command's name read without the library's properties, only when that is exact."""

    def test_library_commands_take_the_shortcut_and_groups_their_path(
        self, otel: Otel, instrument: Instrument
    ) -> None:
        """Stock commands are trusted once seen; a subcommand still reports its full path."""
        from otel_discord.instrumentation import _commands

        instrument()

        def setup(bot: commands.Bot) -> None:
            add_commands(bot)

            @bot.group(invoke_without_command=True)
            async def tag(ctx: commands.Context[Any]) -> None:
                await ctx.send("tags")

            @tag.command()
            async def create(ctx: commands.Context[Any]) -> None:
                await ctx.send("created")

        def scenario(world: World) -> None:
            world.say("!ping")
            world.say("!ping")
            world.say("!tag create")

        run_bot(scenario, setup)
        assert _commands._stock_names[commands.Command] is True
        assert 2 == len([s for s in otel.spans() if s.name == "ping"])
        assert "tag create" == otel.span("tag create").attributes["discord.command.name"]  # type: ignore[index]
        metrics = otel.metrics()
        for name, runs in (("ping", 2), ("tag create", 1)):
            keys = {
                "discord__command__name": name,
                "discord__command__kind": "prefix",
                "discord__command__outcome": "success",
            }
            assert runs == otel.value(metrics, "discord.commands", **keys)
            assert runs == otel.value(metrics, "discord.command.duration", **keys)

    def test_a_command_class_with_its_own_qualified_name_keeps_it(
        self, otel: Otel, instrument: Instrument
    ) -> None:
        """A subclass that overrides ``qualified_name`` is asked every time."""
        from otel_discord.instrumentation import _commands

        class Named(commands.Command[Any, Any, Any]):
            @property
            def qualified_name(self) -> str:
                return f"named {self.name}"

        instrument()

        def setup(bot: commands.Bot) -> None:
            async def hello(ctx: commands.Context[Any]) -> None:
                await ctx.send("hi")

            bot.add_command(Named(hello, name="hello"))

        run_bot(lambda world: [world.say("!hello"), world.say("!hello")], setup)
        assert _commands._stock_names[Named] is False
        assert 2 == len([s for s in otel.spans() if s.name == "named hello"])
        keys = {
            "discord__command__name": "named hello",
            "discord__command__kind": "prefix",
            "discord__command__outcome": "success",
        }
        assert 2 == otel.value(otel.metrics(), "discord.commands", **keys)


class TestFailingCommand:
    """A prefix command whose code raises."""

    def test_span_records_the_original_exception(self, otel: Otel, instrument: Instrument) -> None:
        """Status ERROR, error.type of the exception the bot raised, an exception event."""
        instrument()
        run_bot(lambda world: world.say("!boom"))
        span = otel.span("boom")
        assert StatusCode.ERROR == span.status.status_code
        assert "ValueError: kaboom" == span.status.description
        assert "ValueError" == (span.attributes or {})["error.type"]
        [event] = span.events
        assert "exception" == event.name
        assert "ValueError" == (event.attributes or {})["exception.type"]

    def test_error_log_is_emitted_in_the_span_context(
        self, otel: Otel, instrument: Instrument
    ) -> None:
        """One ERROR log with the traceback, linked to the command span."""
        instrument()
        run_bot(lambda world: world.say("!boom"))
        span = otel.span("boom")
        [record] = otel.error_logs()
        log = record.log_record
        assert SeverityNumber.ERROR == log.severity_number
        assert "Unhandled exception in command boom" == log.body
        attributes = dict(log.attributes or {})
        assert "ValueError" == attributes["error.type"]
        assert "ValueError" == attributes["exception.type"]
        assert "kaboom" == attributes["exception.message"]
        assert 'raise ValueError("kaboom")' in str(attributes["exception.stacktrace"])
        assert "command" == attributes["discord.error.source"]
        assert "boom" == attributes["discord.command.name"]
        assert span.context.trace_id == log.trace_id
        assert span.context.span_id == log.span_id

    def test_counts_failure_and_error(self, otel: Otel, instrument: Instrument) -> None:
        """discord.commands outcome failure; discord.errors by type and source."""
        instrument()
        run_bot(lambda world: world.say("!boom"))
        metrics = otel.metrics()
        assert 1 == otel.value(metrics, "discord.commands", discord__command__outcome="failure")
        assert 1 == otel.value(
            metrics, "discord.errors", error__type="ValueError", discord__error__source="command"
        )

    def test_default_error_print_still_happens(
        self, instrument: Instrument, caplog: pytest.LogCaptureFixture
    ) -> None:
        """With no handler of the bot's own, discord.py still logs the exception."""
        instrument()
        with caplog.at_level(logging.ERROR, logger="discord"):
            run_bot(lambda world: world.say("!boom"))
        assert [DEFAULT_PRINT] == [
            r.getMessage() for r in caplog.records if "boom" in r.getMessage()
        ]


class TestUserErrors:
    """Failures caused by the user, not the bot's code."""

    def test_missing_argument_fails_without_error_log(
        self, otel: Otel, instrument: Instrument
    ) -> None:
        """Outcome failure and error.type, but no error log and no discord.errors."""
        instrument()
        run_bot(lambda world: world.say("!echo"))
        span = otel.span("echo")
        expected = "discord.ext.commands.errors.MissingRequiredArgument"
        assert expected == (span.attributes or {})["error.type"]
        metrics = otel.metrics()
        assert 1 == otel.value(metrics, "discord.commands", discord__command__outcome="failure")
        assert "discord.errors" not in metrics
        assert [] == otel.error_logs()

    def test_unknown_command_is_counted_without_a_span(
        self, otel: Otel, instrument: Instrument
    ) -> None:
        """discord.commands.unknown by kind; the name the user typed is not recorded."""
        instrument()
        run_bot(lambda world: world.say("!nope"))
        assert [] == otel.spans()
        metrics = otel.metrics()
        assert [({"discord.command.kind": "prefix"}, 1)] == metrics["discord.commands.unknown"]
        assert "discord.commands" not in metrics


class Recorder:
    """Collects what the bot's own error handlers received."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def note(self, handler: str, error: BaseException) -> None:
        self.calls.append((handler, type(getattr(error, "original", error)).__name__))


def bot_error_handler(recorder: Recorder) -> Callable[[commands.Bot], None]:
    def setup(bot: commands.Bot) -> None:
        @bot.event
        async def on_command_error(ctx: commands.Context[Any], error: Exception) -> None:
            recorder.note("on_command_error", error)

    return setup


def listener_handler(recorder: Recorder) -> Callable[[commands.Bot], None]:
    def setup(bot: commands.Bot) -> None:
        async def on_command_error(ctx: commands.Context[Any], error: Exception) -> None:
            recorder.note("listener", error)

        bot.add_listener(on_command_error)

    return setup


def cog_handler(recorder: Recorder) -> Callable[[commands.Bot], None]:
    class Guarded(commands.Cog):
        @commands.command()
        async def boom(self, ctx: commands.Context[Any]) -> None:
            raise ValueError("kaboom")

        async def cog_command_error(self, ctx: commands.Context[Any], error: Exception) -> None:
            recorder.note("cog_command_error", error)

    def setup(bot: commands.Bot) -> None:
        bot.remove_command("boom")
        asyncio.get_running_loop().create_task(bot.add_cog(Guarded()))

    return setup


def local_handler(recorder: Recorder) -> Callable[[commands.Bot], None]:
    def setup(bot: commands.Bot) -> None:
        boom = bot.get_command("boom")
        assert boom is not None

        @boom.error
        async def on_boom_error(ctx: commands.Context[Any], error: Exception) -> None:
            recorder.note("command.error", error)

    return setup


HANDLERS = {
    "on_command_error": bot_error_handler,
    "listener": listener_handler,
    "cog_command_error": cog_handler,
    "command.error": local_handler,
}


class TestBotErrorHandlersStillRun:
    """The bot's own error handlers run, whether set before or after instrumenting."""

    @pytest.mark.parametrize("when", ["before", "after"])
    @pytest.mark.parametrize("handler", sorted(HANDLERS))
    def test_handler_runs_and_telemetry_records(
        self,
        otel: Otel,
        instrument: Instrument,
        caplog: pytest.LogCaptureFixture,
        handler: str,
        when: str,
    ) -> None:
        """The handler gets the error, the default print stays silent, telemetry sees it."""
        recorder = Recorder()
        install = HANDLERS[handler](recorder)

        async def main() -> None:
            bot = make_bot()
            add_commands(bot)
            if when == "before":
                install(bot)
                instrument()
            else:
                instrument()
                install(bot)
            world = await start(bot)
            world.say("!boom")
            await g.settle()
            await bot.close()

        with caplog.at_level(logging.ERROR, logger="discord"):
            asyncio.run(main())
        assert [(handler, "ValueError")] == recorder.calls
        assert DEFAULT_PRINT not in caplog.text
        assert "ValueError" == (otel.span("boom").attributes or {})["error.type"]
        assert ["Unhandled exception in command boom"] == [
            r.log_record.body for r in otel.error_logs()
        ]


@pytest.mark.skipif(sys.version_info < (3, 11), reason="3.10 re-raises the caught traceback")
class TestReRaisedErrorsShowNoFrameOfOurs:
    """A local handler's ``raise error`` escapes through our wrapper, out of sight."""

    def test_event_traceback_has_no_otel_discord_frame(
        self, otel: Otel, instrument: Instrument, caplog: pytest.LogCaptureFixture
    ) -> None:
        def setup(bot: commands.Bot) -> None:
            add_commands(bot)
            boom = bot.get_command("boom")
            assert boom is not None

            @boom.error
            async def on_boom_error(ctx: commands.Context[Any], error: Exception) -> None:
                raise error  # a common shape: answer some errors, re-raise the rest

        instrument()
        with caplog.at_level(logging.ERROR, logger="discord"):
            run_bot(lambda world: world.say("!boom"), setup)
        [printed] = [
            r for r in caplog.records if r.getMessage() == "Ignoring exception in on_message"
        ]
        assert printed.exc_info is not None
        frames = [frame.filename for frame in traceback.extract_tb(printed.exc_info[2])]
        assert any(name.endswith("discord/ext/commands/bot.py") for name in frames)
        assert [] == [name for name in frames if "otel_discord" in name]
        assert "ValueError" == (otel.span("boom").attributes or {})["error.type"]


def test_the_bots_own_error_record_names_the_command(otel: Otel, instrument: Instrument) -> None:
    """A bot logging the error itself in its handler: its record carries the command, so
    the embed shows the Command field as for the instrumentation's own record."""
    from opentelemetry.sdk._logs import LoggingHandler

    from otel_discord.exception_ids import ExceptionIdFilter

    bridge = LoggingHandler(logger_provider=otel.logger_provider)
    bridge.addFilter(ExceptionIdFilter())
    log = logging.getLogger("bot.errors")
    log.addHandler(bridge)

    def setup(bot: commands.Bot) -> None:
        add_commands(bot)

        @bot.event
        async def on_command_error(ctx: commands.Context[Any], error: Exception) -> None:
            log.error("command failed", exc_info=error)

    instrument()
    try:
        run_bot(lambda world: world.say("!boom"), setup)
        log.error("outside any command")
    finally:
        log.removeHandler(bridge)
    names = {
        str(r.log_record.body): (r.log_record.attributes or {}).get("discord.command.name")
        for r in otel.logs()
        if str(r.log_record.body) in ("command failed", "outside any command")
    }
    assert {"command failed": "boom", "outside any command": None} == names
