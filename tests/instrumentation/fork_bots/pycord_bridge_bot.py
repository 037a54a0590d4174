"""A py-cord ``bridge.Bot``: one function answers as a prefix and as a slash command.

Patterns from py-cord's bridge examples and bots built on them: bridge commands, a bridge
group with a subcommand, a prefix-only ``commands.group``, an ``on_command_error`` that
answers the user's mistakes and re-raises the rest (``else: raise error``), and a
slash-only command with a bug and no handler (py-cord prints it itself). ``bridge.Bot``
overrides ``invoke`` and ``invoke_application_command`` without calling the ones it
inherits. No telemetry code.
"""

# No ``from __future__ import annotations``: py-cord reads option types from live annotations.
from typing import Any

import discord
from discord.ext import bridge, commands
from discord.webhook.async_ import async_context

from tests.instrumentation.fork_offline import World, run_bot


def build() -> bridge.Bot:
    intents = discord.Intents.default()
    intents.message_content = True
    bot = bridge.Bot(
        command_prefix="!", intents=intents, auto_sync_commands=False, chunk_guilds_at_startup=False
    )

    @bot.bridge_command(description="Say hi")
    async def hi(ctx: bridge.BridgeContext) -> None:
        await ctx.respond("hi there")

    @bot.bridge_command(description="Add two numbers")
    async def add(ctx: bridge.BridgeContext, left: int, right: int) -> None:
        await ctx.respond(str(left + right))

    @bot.bridge_command(description="Broken")
    async def stats(ctx: bridge.BridgeContext) -> None:
        raise ZeroDivisionError("stats kaboom")

    @bot.bridge_group(invoke_without_command=True)
    async def tag(ctx: bridge.BridgeContext) -> None:
        await ctx.respond("tag help")

    @tag.command(description="Show a tag")
    async def show(ctx: bridge.BridgeContext, name: str) -> None:
        if name == "missing":
            raise LookupError("no tag")
        await ctx.respond(f"tag {name}")

    @bot.group(invoke_without_command=True)
    async def config(ctx: commands.Context) -> None:
        await ctx.send("config help")

    @config.command(name="prefix")
    async def config_prefix(ctx: commands.Context, value: str) -> None:
        if value == "boom":
            raise KeyError("prefix table")
        await ctx.send(f"prefix {value}")

    @bot.slash_command(description="Slash only, broken")
    async def crash(ctx: discord.ApplicationContext) -> None:
        raise RuntimeError("crash kaboom")

    @bot.event
    async def on_command_error(ctx: commands.Context, error: commands.CommandError) -> None:
        if isinstance(
            error,
            (commands.BadArgument, commands.MissingRequiredArgument, commands.CommandNotFound),
        ):
            await ctx.send(f"usage error: {type(error).__name__}")
        else:
            raise error

    return bot


def _opt(name: str, kind: int, value: Any) -> dict:
    return {"name": name, "type": kind, "value": value}


async def scenario(world: World) -> None:
    world.say("!hi")
    world.interact("hi")
    world.say("!add 2 3")
    world.say("!add two 3")  # BadArgument, answered
    world.interact("add", options=[_opt("left", 4, 2), _opt("right", 4, 3)])
    world.say("!stats")  # a bug, re-raised by on_command_error
    world.interact("stats")  # a bug, py-cord's default handler prints it
    world.say("!tag")
    world.say("!tag show a")
    world.say("!tag show missing")  # a bug in a bridge subcommand (prefix side)
    world.interact("tag", options=[{"name": "show", "type": 1, "options": [_opt("name", 3, "b")]}])
    world.interact(
        "tag", options=[{"name": "show", "type": 1, "options": [_opt("name", 3, "missing")]}]
    )  # a bug (slash)
    world.say("!config")
    world.say("!config prefix ?")
    world.say("!config prefix boom")  # a bug in a prefix subcommand
    world.say("!config prefix")  # missing argument, answered
    world.interact("crash")
    await world.settle()


ADAPTER: Any = async_context.get()

if __name__ == "__main__":
    run = run_bot(build, ADAPTER, scenario, capture=False)
    print("\n".join(run.replies))
