"""User mistakes are failures with a reason; groups settle to the subcommand; leaves count once."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands
from opentelemetry.trace import StatusCode

from otel_discord.exception_ids import ATTR_EXCEPTION_ID
from otel_discord.instrumentation import DiscordInstrumentor
from otel_discord.instrumentation._outcomes import REASONS, classify, outcomes, resolve_outcomes
from otel_discord.offline import payloads as g
from tests.instrumentation.harness import Otel, World, make_bot, start

Instrument = Callable[..., DiscordInstrumentor]


def add_commands(bot: commands.Bot) -> None:
    """A cooldown, an owner-only command, a typed argument, a group, a bug; errors handled."""

    @bot.command()
    @commands.cooldown(1, 60, commands.BucketType.user)
    async def daily(ctx: commands.Context[Any]) -> None:
        await ctx.send("coins")

    @bot.command()
    @commands.is_owner()
    async def shutdown(ctx: commands.Context[Any]) -> None:
        await ctx.send("bye")

    @bot.command()
    async def roll(ctx: commands.Context[Any], sides: int) -> None:
        await ctx.send(str(sides))

    @bot.group()
    async def warning(ctx: commands.Context[Any]) -> None:
        pass

    @warning.command(name="add")
    async def warning_add(ctx: commands.Context[Any], reason: str) -> None:
        await ctx.send(f"warned: {reason}")

    @bot.command()
    async def boom(ctx: commands.Context[Any]) -> None:
        raise KeyError("missing")

    async def swallow_all(ctx: commands.Context[Any], error: Exception) -> None:
        pass  # a global handler that swallows everything, as many bots have

    bot.add_listener(swallow_all, "on_command_error")

    async def owner(user: Any) -> bool:
        return False

    bot.is_owner = owner  # type: ignore[method-assign]


def run_bot(scenario: Callable[[World], Any]) -> None:
    async def main() -> None:
        bot = make_bot()
        world = await start(bot, add_commands)
        scenario(world)
        await g.settle()
        await bot.close()

    asyncio.run(main())


def play(world: World) -> None:
    for text in ("!daily", "!daily", "!shutdown", "!roll six", "!roll", "!warning add spam"):
        world.say(text)
    world.say("!boom")


def failures_by_reason(otel: Otel) -> dict[tuple[str, str], int]:
    out: dict[tuple[str, str], int] = {}
    for attrs, value in otel.metrics()["discord.commands"]:
        if attrs["discord.command.outcome"] == "failure":
            key = (attrs["discord.command.name"], attrs["discord.command.failure_reason"])
            out[key] = out.get(key, 0) + value
    return out


class TestOutcomes:
    """Each failure carries its reason; only the bug is an error."""

    def test_reasons_counted(self, otel: Otel, instrument: Instrument) -> None:
        instrument()
        run_bot(play)
        assert {
            ("daily", "on cooldown"): 1,
            ("shutdown", "not owner"): 1,
            ("roll", "bad argument"): 1,
            ("roll", "missing argument"): 1,
            ("boom", "error"): 1,
        } == failures_by_reason(otel)

    def test_user_errors_are_not_error_spans(self, otel: Otel, instrument: Instrument) -> None:
        instrument()
        run_bot(play)
        statuses = {(s.name, s.status.status_code) for s in otel.spans()}
        assert {
            ("daily", StatusCode.UNSET),
            ("shutdown", StatusCode.UNSET),
            ("roll", StatusCode.UNSET),
            ("warning add", StatusCode.UNSET),
            ("boom", StatusCode.ERROR),
        } == statuses
        cooldowns = [s for s in otel.spans() if s.name == "daily" and s.attributes]
        types = sorted(str((s.attributes or {}).get("error.type")) for s in cooldowns)
        assert ["None", "discord.ext.commands.errors.CommandOnCooldown"] == types
        assert all(not s.events for s in otel.spans() if s.name != "boom")

    def test_bug_record_and_span_share_the_exception_token(
        self, otel: Otel, instrument: Instrument
    ) -> None:
        instrument()
        run_bot(play)
        [log] = otel.error_logs()
        [event] = otel.span("boom").events
        token = (log.log_record.attributes or {})[ATTR_EXCEPTION_ID]
        assert token == (event.attributes or {})[ATTR_EXCEPTION_ID]


class TestQualifiedNames:
    """A prefix group's span and metrics name the subcommand that ran."""

    def test_subcommand_name(self, otel: Otel, instrument: Instrument) -> None:
        instrument()
        run_bot(lambda world: world.say("!warning add spam"))
        span = otel.span("warning add")
        assert "warning add" == (span.attributes or {})["discord.command.name"]
        names = {a["discord.command.name"] for a, _ in otel.metrics()["discord.commands"]}
        assert {"warning add"} == names


class TestMemberLeaves:
    """Cached or not, each leave counts once."""

    def test_uncached_and_cached_leave(self, otel: Otel, instrument: Instrument) -> None:
        instrument()

        def scenario(world: World) -> None:
            stranger = g.user(name="stranger")  # never cached
            world.feed("GUILD_MEMBER_REMOVE", g.guild_member_remove(world.guild_id, stranger))
            world.feed("GUILD_MEMBER_REMOVE", g.guild_member_remove(world.guild_id, world.alice))

        run_bot(scenario)
        assert [({"discord.change": "leave"}, 2)] == otel.metrics()["discord.member.changes"]
        bodies = [r.log_record.body for r in otel.log_events("discord.member.leave")]
        assert ["A member left Test Guild", "A member left Test Guild"] == bodies


class TestReasonTable:
    """Every class named in the table exists in discord.py (a typo would silently never match)."""

    def test_names_resolve(self) -> None:
        from discord import app_commands

        names = {name for _, names in REASONS for name in names}
        found = {name for name in names if hasattr(commands, name) or hasattr(app_commands, name)}
        assert names == found
        assert len(resolve_outcomes().rows) == len(outcomes().rows)


class NotConnected(commands.CommandError):
    """Raised when a music command runs while the bot is in no voice channel."""


class NothingPlaying(app_commands.AppCommandError):
    """Raised by a slash command when there is nothing to act on."""


class Music(commands.Cog):
    """A music cog as public bots write them: refusals raised as command errors of their
    own, answered by the cog's error handlers, and one real bug beside them."""

    @commands.command()
    async def skip(self, ctx: commands.Context[Any]) -> None:
        raise NotConnected("I'm not in a voice channel.")

    @commands.command()
    async def stop(self, ctx: commands.Context[Any]) -> None:
        raise commands.CommandError("Nothing to stop.")

    @commands.command()
    async def queue(self, ctx: commands.Context[Any]) -> None:
        raise KeyError("queue")

    @app_commands.command()
    async def nowplaying(self, interaction: discord.Interaction[Any]) -> None:
        raise NothingPlaying("Nothing is playing.")

    async def cog_command_error(self, ctx: commands.Context[Any], error: Exception) -> None:
        await ctx.send(f"⚠ {error}")

    async def cog_app_command_error(
        self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError
    ) -> None:
        assert interaction.channel is not None
        await interaction.channel.send(f"⚠ {error}")  # type: ignore[union-attr]


class TestRefusals:
    """A command error the bot's code raises on purpose is its way to say "no": a failure
    with reason ``refused``, not a bug in #logs."""

    def test_refusals_and_a_bug(self, otel: Otel, instrument: Instrument) -> None:
        instrument()
        sent: list[str] = []

        async def main() -> None:
            bot = make_bot()
            await bot.add_cog(Music())
            world = await start(bot)
            for text in ("!skip", "!stop", "!queue"):
                world.say(text)
            world.slash("nowplaying")
            await g.settle()
            sent.extend(world.rest.sent())
            await bot.close()

        asyncio.run(main())
        assert {
            ("skip", "refused"): 1,
            ("stop", "refused"): 1,
            ("queue", "error"): 1,
            ("nowplaying", "refused"): 1,
        } == failures_by_reason(otel)
        statuses = {(s.name, s.status.status_code) for s in otel.spans()}
        assert {
            ("skip", StatusCode.UNSET),
            ("stop", StatusCode.UNSET),
            ("queue", StatusCode.ERROR),
            ("/nowplaying", StatusCode.UNSET),
        } == statuses
        skip = otel.span("skip").attributes or {}
        assert f"{NotConnected.__module__}.NotConnected" == skip["error.type"]
        [bug] = otel.error_logs()
        assert "KeyError" in str((bug.log_record.attributes or {})["exception.type"])
        assert "⚠ I'm not in a voice channel." in sent  # the bot's own answers, unchanged
        assert "⚠ Nothing is playing." in sent

    def test_the_librarys_own_raise_is_a_bug(self) -> None:
        """discord.py raises a bare ``AppCommandError`` itself for malformed data: a bug."""
        library = {
            "__name__": "discord.app_commands.tree",
            "AppCommandError": app_commands.AppCommandError,
        }
        exec("def handle():\n    raise AppCommandError('no focused element')\n", library)
        mine = {"__name__": "cogs.music", "AppCommandError": app_commands.AppCommandError}
        exec("def handle():\n    raise AppCommandError('not in voice')\n", mine)
        reasons = []
        for namespace in (library, mine):
            try:
                namespace["handle"]()
            except app_commands.AppCommandError as exc:
                reasons.append(classify(exc))
        assert ["error", "refused"] == reasons
        assert "error" == classify(app_commands.AppCommandError("never raised"))
