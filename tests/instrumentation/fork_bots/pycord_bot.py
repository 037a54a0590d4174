"""A py-cord bot shaped like Pycord-Development/robocord (the py-cord team's own bot).

Its patterns: ``commands.Bot`` with a prefix callable and ``case_insensitive``, a slash
command group (``github issue``), a plain slash command answering with ``ctx.respond``, a
user command ("Join Position"), owner-only prefix commands in a cog, and the global
``on_application_command_error`` / ``on_command_error`` handlers of py-cord's cooldown
example (handle cooldowns, re-raise anything else). No telemetry code.

Run as a script it plays :data:`SCENARIO` offline (used under ``opentelemetry-instrument``).
"""

# No ``from __future__ import annotations``: py-cord reads option types from live annotations.
from typing import Any

import discord
from discord.ext import commands
from discord.webhook.async_ import async_context

from tests.instrumentation.fork_offline import World, run_bot

OWNER_ID = 4242


def get_prefix(bot: commands.Bot, message: discord.Message) -> list[str]:
    return commands.when_mentioned_or("r.", "!")(bot, message)


class Developer(commands.Cog):
    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot

    @commands.command(name="reload", aliases=["r"])
    @commands.is_owner()
    async def _reload(self, ctx: commands.Context, cog: str) -> None:
        await ctx.send(f'Reloaded cog "{cog}"')

    @commands.command()
    async def stats(self, ctx: commands.Context) -> None:
        raise ZeroDivisionError("stats kaboom")


def build() -> commands.Bot:
    intents = discord.Intents.default()
    intents.members = True
    intents.message_content = True
    bot = commands.Bot(
        command_prefix=get_prefix,
        case_insensitive=True,
        intents=intents,
        owner_id=OWNER_ID,
        auto_sync_commands=False,
        chunk_guilds_at_startup=False,
    )
    github = bot.create_group("github", "Commands related to github.")

    @github.command()
    async def issue(ctx: discord.ApplicationContext, number: int) -> None:
        """View an issue from the pycord github repo."""
        await ctx.respond(f"issue {number}")

    @bot.slash_command()
    async def ping(ctx: discord.ApplicationContext) -> None:
        """Get the latency of the bot."""
        await ctx.respond("pong")

    @bot.slash_command()
    @commands.cooldown(1, 60, commands.BucketType.user)
    async def daily(ctx: discord.ApplicationContext) -> None:
        await ctx.respond("daily reward")

    @bot.slash_command()
    async def crash(ctx: discord.ApplicationContext) -> None:
        raise LookupError("slash kaboom")

    @bot.user_command(name="Join Position")
    async def joinpos(ctx: discord.ApplicationContext, member: discord.Member) -> None:
        await ctx.respond(f"{member.name} joined")

    @bot.message_command(name="Bookmark")
    async def bookmark(ctx: discord.ApplicationContext, message: discord.Message) -> None:
        await ctx.respond(f"bookmarked {message.content}", ephemeral=True)

    @bot.command()
    async def hello(ctx: commands.Context) -> None:
        await ctx.send("hello!")

    @bot.event
    async def on_application_command_error(
        ctx: discord.ApplicationContext, error: discord.DiscordException
    ) -> None:
        if isinstance(error, commands.CommandOnCooldown):
            await ctx.respond("This command is currently on cooldown.")
        else:
            raise error

    @bot.event
    async def on_command_error(ctx: commands.Context, error: commands.CommandError) -> None:
        if isinstance(error, (commands.NotOwner, commands.CommandNotFound)):
            await ctx.send("nope")
        else:
            raise error

    @bot.event
    async def on_member_remove(member: discord.Member) -> None:
        raise RuntimeError("farewell kaboom")

    bot.add_cog(Developer(bot))
    return bot


def scenario(world: World) -> None:
    """What users do: prefix and slash commands, a menu, cooldowns, typos, joins, reactions."""
    for _ in range(3):
        world.say("!hello")
        world.say("just chatting")
    world.say("!HELLO")  # case_insensitive
    world.say("!reload tags")  # not the owner: NotOwner, handled
    world.say("!nosuch")  # unknown command, handled
    world.say("!stats")  # a bug, re-raised by on_command_error
    world.interact("ping")
    world.interact("ping")
    world.interact(
        "github",
        options=[
            {"name": "issue", "type": 1, "options": [{"name": "number", "type": 4, "value": 7}]}
        ],
    )
    world.interact("daily")
    world.interact("daily")  # on cooldown: handled by on_application_command_error
    world.interact("crash")  # a bug, re-raised by on_application_command_error
    world.interact("nosuch")  # unknown application command
    world.user_menu("Join Position")
    world.message_menu("Bookmark")
    world.member_joins("newbie")
    world.react()
    world.member_leaves(world.alice)  # on_member_remove raises


ADAPTER: Any = async_context.get()

if __name__ == "__main__":
    run = run_bot(build, ADAPTER, scenario, capture=False)
    print("\n".join(run.replies))
