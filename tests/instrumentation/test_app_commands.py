"""Application commands on a real bot: slash, subcommands, context menus, hybrids, errors."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import discord
import pytest
from discord import app_commands
from discord.ext import commands
from opentelemetry.trace import SpanKind, StatusCode

from otel_discord.instrumentation import DiscordInstrumentor
from otel_discord.offline import payloads as g
from tests.instrumentation import harness
from tests.instrumentation.harness import Otel, World, make_bot, start

Instrument = Callable[..., DiscordInstrumentor]
Interaction = discord.Interaction[Any]


def add_app_commands(bot: commands.Bot) -> None:
    """hello answers, fail raises, tag create is a subcommand, two context menus, a hybrid."""

    @bot.tree.command()
    async def hello(interaction: Interaction, name: str) -> None:
        assert interaction.channel is not None
        await interaction.channel.send(f"hi {name}")  # type: ignore[union-attr]

    @bot.tree.command()
    async def fail(interaction: Interaction) -> None:
        raise ValueError("slash kaboom")

    tag = app_commands.Group(name="tag", description="Tags")

    @tag.command(name="create")
    async def tag_create(interaction: Interaction, text: str) -> None:
        return None

    bot.tree.add_command(tag)

    @bot.tree.context_menu(name="Inspect")
    async def inspect(interaction: Interaction, member: discord.Member) -> None:
        return None

    @bot.tree.context_menu(name="Report")
    async def report(interaction: Interaction, message: discord.Message) -> None:
        raise RuntimeError("menu kaboom")

    @commands.hybrid_command()
    async def hybrid(ctx: commands.Context[Any]) -> None:
        raise KeyError("hybrid kaboom")

    bot.add_command(hybrid)


def run_bot(
    scenario: Callable[[World], Any],
    *,
    setup: Callable[[commands.Bot], None] = add_app_commands,
    **bot_options: Any,
) -> None:
    """Start a bot with ``setup`` (the app commands above by default), play ``scenario``."""
    harness.run_bot(scenario, setup, **bot_options)


def run_user_menu(world: World) -> None:
    bob = g.user(name="bob")
    member_data = g.member(bob)
    member_data.pop("user")
    world.slash(
        "Inspect",
        command_type=g.USER_COMMAND,
        target_id=bob["id"],
        resolved={"users": {bob["id"]: bob}, "members": {bob["id"]: member_data}},
    )


def run_message_menu(world: World) -> None:
    message = g.message_create(world.text_id, world.alice, "spam", guild_id=world.guild_id)
    message.pop("member")
    world.slash(
        "Report",
        command_type=g.MESSAGE_COMMAND,
        target_id=message["id"],
        resolved={"messages": {message["id"]: message}},
    )


class TestSlashCommand:
    """A slash command that succeeds."""

    def test_server_span_with_rpc_attributes(self, otel: Otel, instrument: Instrument) -> None:
        """One SERVER span ``/hello`` with rpc.* and discord.* attributes."""
        instrument()
        run_bot(lambda world: world.slash("hello", options=[g.option("name", "bob")]))
        span = otel.span("/hello")
        assert SpanKind.SERVER == span.kind
        assert {
            "rpc.system": "discord",
            "rpc.service": "discord.app_commands",
            "rpc.method": "hello",
            "discord.command.name": "hello",
            "discord.command.kind": "slash",
        } == dict(span.attributes or {})
        assert StatusCode.UNSET == span.status.status_code

    def test_counts_success(self, otel: Otel, instrument: Instrument) -> None:
        """discord.commands and its duration record kind slash, outcome success."""
        instrument()
        sent: list[str] = []

        def scenario(world: World) -> None:
            world.slash("hello", options=[g.option("name", "bob")])

        async def main() -> None:
            bot = make_bot()
            world = await start(bot, add_app_commands)
            scenario(world)
            await g.settle()
            sent.extend(world.rest.sent())
            await bot.close()

        asyncio.run(main())
        assert ["hi bob"] == sent
        metrics = otel.metrics()
        keys = {
            "discord__command__name": "hello",
            "discord__command__kind": "slash",
            "discord__command__outcome": "success",
        }
        assert 1 == otel.value(metrics, "discord.commands", **keys)
        assert 1 == otel.value(metrics, "discord.command.duration", **keys)

    def test_subcommand_uses_its_full_name(self, otel: Otel, instrument: Instrument) -> None:
        """A subcommand span is ``/tag create`` and the metric name ``tag create``."""
        instrument()
        sub = {"name": "create", "type": g.SUBCOMMAND, "options": [g.option("text", "x")]}
        run_bot(lambda world: world.slash("tag", options=[sub]))
        assert "tag create" == (otel.span("/tag create").attributes or {})["discord.command.name"]
        metrics = otel.metrics()
        assert 1 == otel.value(metrics, "discord.commands", discord__command__name="tag create")


class TestContextMenus:
    """User and message context-menu commands."""

    def test_user_menu_is_kind_user(self, otel: Otel, instrument: Instrument) -> None:
        """A user command is a SERVER span named as the menu entry, kind user."""
        instrument()
        run_bot(run_user_menu)
        span = otel.span("Inspect")
        assert SpanKind.SERVER == span.kind
        assert "user" == (span.attributes or {})["discord.command.kind"]
        assert StatusCode.UNSET == span.status.status_code

    def test_failing_message_menu_is_recorded(self, otel: Otel, instrument: Instrument) -> None:
        """A message command that raises: failure, error.type, an error log."""
        instrument()
        run_bot(run_message_menu)
        span = otel.span("Report")
        assert "message" == (span.attributes or {})["discord.command.kind"]
        assert StatusCode.ERROR == span.status.status_code
        assert "RuntimeError" == (span.attributes or {})["error.type"]
        [record] = otel.error_logs()
        assert "Unhandled exception in command Report" == record.log_record.body
        assert "app_command" == (record.log_record.attributes or {})["discord.error.source"]
        metrics = otel.metrics()
        assert 1 == otel.value(
            metrics,
            "discord.commands",
            discord__command__kind="message",
            discord__command__outcome="failure",
        )


class TestFailingSlashCommand:
    """A slash command whose code raises."""

    def test_span_log_and_counters(self, otel: Otel, instrument: Instrument) -> None:
        """Status ERROR, the original exception, an error log in the span, discord.errors."""
        instrument()
        run_bot(lambda world: world.slash("fail"))
        span = otel.span("/fail")
        assert StatusCode.ERROR == span.status.status_code
        assert "ValueError" == (span.attributes or {})["error.type"]
        assert ["exception"] == [event.name for event in span.events]
        [record] = otel.error_logs()
        log = record.log_record
        assert "Unhandled exception in command fail" == log.body
        assert "slash" == (log.attributes or {})["discord.command.kind"]
        assert span.context.span_id == log.span_id
        metrics = otel.metrics()
        assert 1 == otel.value(
            metrics,
            "discord.errors",
            error__type="ValueError",
            discord__error__source="app_command",
        )
        assert 1 == otel.value(metrics, "discord.commands", discord__command__outcome="failure")

    def test_default_tree_error_print_still_happens(
        self, instrument: Instrument, caplog: pytest.LogCaptureFixture
    ) -> None:
        """With no handler of the bot's own, CommandTree.on_error still logs it."""
        instrument()
        with caplog.at_level(logging.ERROR, logger="discord"):
            run_bot(lambda world: world.slash("fail"))
        assert "Ignoring exception in command 'fail'" in caplog.text

    def test_hybrid_command_failure_via_slash(self, otel: Otel, instrument: Instrument) -> None:
        """A hybrid command run as a slash command records the error it raised."""
        instrument()
        run_bot(lambda world: world.slash("hybrid"))
        span = otel.span("/hybrid")
        assert "KeyError" == (span.attributes or {})["error.type"]
        assert ["Unhandled exception in command hybrid"] == [
            r.log_record.body for r in otel.error_logs()
        ]


class TestTreeErrorHandlersStillRun:
    """``@tree.error`` and subclass ``on_error`` run, set before or after instrumenting."""

    @pytest.mark.parametrize("when", ["before", "after"])
    def test_tree_error_decorator(
        self, otel: Otel, instrument: Instrument, caplog: pytest.LogCaptureFixture, when: str
    ) -> None:
        """The handler receives the error; the default print is replaced, as without us."""
        received: list[str] = []

        def setup(bot: commands.Bot) -> None:
            add_app_commands(bot)
            if when == "after":
                instrument()

            @bot.tree.error
            async def on_tree_error(interaction: Interaction, error: Exception) -> None:
                received.append(type(getattr(error, "original", error)).__name__)

        if when == "before":
            instrument()
        with caplog.at_level(logging.ERROR, logger="discord"):
            run_bot(lambda world: world.slash("fail"), setup=setup)
        assert ["ValueError"] == received
        assert "Ignoring exception" not in caplog.text
        assert "ValueError" == (otel.span("/fail").attributes or {})["error.type"]

    def test_subclass_on_error(self, otel: Otel, instrument: Instrument) -> None:
        """A CommandTree subclass overriding on_error still gets every error."""
        received: list[str] = []

        class Tree(app_commands.CommandTree[Any]):
            async def on_error(self, interaction: Interaction, error: Exception) -> None:
                received.append(type(getattr(error, "original", error)).__name__)

        instrument()
        run_bot(lambda world: world.slash("fail"), tree_cls=Tree)
        assert ["ValueError"] == received
        assert 1 == len(otel.error_logs())


class TestRejectedInteractions:
    """Interactions the tree does not run."""

    def test_unknown_slash_command(
        self, otel: Otel, instrument: Instrument, caplog: pytest.LogCaptureFixture
    ) -> None:
        """Counted as unknown (kind slash), not as a command; discord.py still logs it."""
        instrument()
        with caplog.at_level(logging.ERROR, logger="discord"):
            run_bot(lambda world: world.slash("missing"))
        metrics = otel.metrics()
        assert [({"discord.command.kind": "slash"}, 1)] == metrics["discord.commands.unknown"]
        assert "discord.commands" not in metrics
        assert [] == otel.error_logs()
        assert "Ignoring exception in command tree" in caplog.text

    def test_interaction_check_rejects(self, otel: Otel, instrument: Instrument) -> None:
        """A False interaction_check is a failure with error.type interaction_check."""

        class Tree(app_commands.CommandTree[Any]):
            async def interaction_check(self, interaction: Interaction, /) -> bool:
                return False

        instrument()
        run_bot(lambda world: world.slash("hello", options=[g.option("name", "x")]), tree_cls=Tree)
        assert "interaction_check" == (otel.span("/hello").attributes or {})["error.type"]
        assert [] == otel.error_logs()


class Zone(app_commands.Transformer):
    """A time zone option: bad input is the user's, a zone it does not know is its bug."""

    async def transform(self, interaction: Interaction, value: str) -> str:
        if value == "nowhere":  # the user's mistake, as a transformer reports one
            raise app_commands.TransformerError(value, self.type, self)
        zones: dict[str, str] = {"CET": "Europe/Paris"}
        return zones[value]  # a bug for any other zone


class TestTransformers:
    """A transformer's bug is a bug; its ``TransformerError`` for bad input is the user's."""

    @staticmethod
    def setup(bot: commands.Bot) -> None:
        @bot.tree.command(description="Local time")
        async def time(interaction: Interaction, zone: app_commands.Transform[str, Zone]) -> None:
            assert zone  # the offline bot answers no interaction

    @pytest.mark.parametrize(
        ("zone", "reason", "error_type", "logs"),
        [
            ("CET", "", None, []),
            ("nowhere", "bad argument", "discord.app_commands.errors.TransformerError", []),
            ("UTC", "error", "KeyError", ["Unhandled exception in command time"]),
        ],
    )
    def test_outcome(
        self,
        otel: Otel,
        instrument: Instrument,
        zone: str,
        reason: str,
        error_type: str | None,
        logs: list[str],
    ) -> None:
        instrument()
        run_bot(
            lambda world: world.slash("time", options=[g.option("zone", zone)]), setup=self.setup
        )
        attributes = otel.span("/time").attributes or {}
        assert error_type == attributes.get("error.type")
        [(point, count)] = otel.metrics()["discord.commands"]
        assert (reason or None, 1) == (point.get("discord.command.failure_reason"), count)
        assert logs == [r.log_record.body for r in otel.error_logs()]
