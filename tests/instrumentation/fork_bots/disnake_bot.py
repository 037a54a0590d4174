"""A disnake bot in the shape disnake's own examples and guides teach.

Its patterns: ``commands.Bot`` with a prefix and ``command_sync_flags``, slash commands
taking ``disnake.ApplicationCommandInteraction`` with a sub-command group (``tag
create``), user and message commands, a cog with prefix commands and its own
``cog_slash_command_error``, and global ``on_slash_command_error`` /
``on_command_error`` handlers that answer user mistakes and re-raise the rest.
No telemetry code.

Run as a script it plays :func:`scenario` offline (used under ``opentelemetry-instrument``).
"""

# No ``from __future__ import annotations``: disnake reads option types from live annotations.
from typing import Any

import disnake
from disnake.ext import commands
from disnake.webhook.async_ import async_context

from tests.instrumentation.fork_offline import World, run_bot


class Tags(commands.Cog):
    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot

    @commands.command()
    async def tags(self, ctx: commands.Context) -> None:
        await ctx.send("3 tags")

    @commands.slash_command()
    async def tag(self, inter: disnake.ApplicationCommandInteraction) -> None:
        """Tag commands."""

    @tag.sub_command()
    async def create(self, inter: disnake.ApplicationCommandInteraction, name: str) -> None:
        """Create a tag."""
        if name == "bad":
            raise ValueError("tag kaboom")
        await inter.response.send_message(f"created {name}")

    async def cog_slash_command_error(
        self, inter: disnake.ApplicationCommandInteraction, error: Exception
    ) -> None:
        await inter.response.send_message("The tag could not be created.", ephemeral=True)


def build() -> commands.Bot:
    intents = disnake.Intents.default()
    intents.members = True
    intents.message_content = True
    bot = commands.Bot(
        command_prefix=commands.when_mentioned_or("?"),
        intents=intents,
        command_sync_flags=commands.CommandSyncFlags.none(),
        chunk_guilds_at_startup=False,
    )

    @bot.slash_command(description="Responds with the bot's latency")
    async def ping(inter: disnake.ApplicationCommandInteraction) -> None:
        await inter.response.send_message("Pong!")

    @bot.slash_command(description="Only for admins")
    @commands.has_permissions(administrator=True)
    async def purge(inter: disnake.ApplicationCommandInteraction) -> None:
        await inter.response.send_message("purged")

    @bot.slash_command(description="Broken on purpose")
    async def stats(inter: disnake.ApplicationCommandInteraction) -> None:
        raise OSError("stats backend down")

    @bot.user_command(name="Avatar")
    async def avatar(inter: disnake.UserCommandInteraction, user: disnake.User) -> None:
        await inter.response.send_message(f"{user.name}'s avatar")

    @bot.message_command(name="Translate")
    async def translate(inter: disnake.MessageCommandInteraction, message: disnake.Message) -> None:
        await inter.response.send_message(message.content.upper())

    @bot.command()
    async def add(ctx: commands.Context, left: int, right: int) -> None:
        await ctx.send(str(left + right))

    @bot.event
    async def on_slash_command_error(
        inter: disnake.ApplicationCommandInteraction, error: commands.CommandError
    ) -> None:
        if isinstance(error, commands.MissingPermissions):
            await inter.response.send_message("You can't do that.", ephemeral=True)
        elif inter.application_command.cog is None:
            raise error

    @bot.event
    async def on_command_error(ctx: commands.Context, error: commands.CommandError) -> None:
        if isinstance(error, (commands.BadArgument, commands.CommandNotFound)):
            await ctx.send("Try again.")
        else:
            raise error

    @bot.event
    async def on_raw_reaction_add(payload: disnake.RawReactionActionEvent) -> None:
        raise LookupError("starboard channel missing")

    bot.add_cog(Tags(bot))
    return bot


def scenario(world: World) -> None:
    """Prefix and slash commands, a sub-command, a menu, checks, typos, a reaction."""
    world.say("?tags")
    world.say("?add 2 3")
    world.say("?add two 3")  # BadArgument, answered
    world.say("?nosuch")  # unknown, answered
    world.say("hello")
    world.interact("ping")
    world.interact("tag", options=[{"name": "create", "type": 1, "options": [_opt("name", "a")]}])
    world.interact("tag", options=[{"name": "create", "type": 1, "options": [_opt("name", "bad")]}])
    world.interact("purge")  # not an administrator: MissingPermissions, answered
    world.interact("stats")  # a bug, re-raised by on_slash_command_error
    world.interact("nosuch")  # unknown application command
    world.user_menu("Avatar")
    world.message_menu("Translate")
    world.member_joins("newbie")
    world.react()  # on_raw_reaction_add raises


def _opt(name: str, value: Any) -> dict[str, Any]:
    return {"name": name, "type": 3, "value": value}


ADAPTER: Any = async_context.get()

if __name__ == "__main__":
    run = run_bot(build, ADAPTER, scenario, capture=False)
    print("\n".join(run.replies))
