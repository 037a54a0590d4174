"""A py-cord bot shaped like Pycord-Development/robocord (the py-cord team's own bot).

Its patterns: ``commands.Bot`` with a prefix callable and ``case_insensitive``, a slash
command group (``github issue``), a plain slash command answering with ``ctx.respond``, a
user command ("Join Position"), owner-only prefix commands in a cog, and the global
``on_application_command_error`` / ``on_command_error`` handlers of py-cord's cooldown
example (handle cooldowns, re-raise anything else), and a ``/roles`` panel in the shape of
py-cord's view examples: a view with a string select, buttons (one opening a modal, one a
per-user button added at runtime) and a ``discord.ui.Modal`` with an ``InputText``. No
telemetry code.

Run as a script it plays :data:`SCENARIO` offline (used under ``opentelemetry-instrument``).
"""

# No ``from __future__ import annotations``: py-cord reads option types from live annotations.
import itertools
from typing import Any

import discord
from discord.ext import commands
from discord.webhook.async_ import async_context

from tests.instrumentation.fork_offline import World, run_bot

OWNER_ID = 4242


def get_prefix(bot: commands.Bot, message: discord.Message) -> list[str]:
    return commands.when_mentioned_or("r.", "!")(bot, message)


class BugReport(discord.ui.Modal):
    def __init__(self) -> None:
        super().__init__(
            discord.ui.InputText(
                label="What happened?", custom_id="bug:text", style=discord.InputTextStyle.long
            ),
            title="Report a bug",
            custom_id="robocord:bug",
        )

    async def callback(self, interaction: discord.Interaction) -> None:
        text = self.children[0].value
        if text == "crash":
            raise ValueError("the tracker rejected the report")  # a bug its on_error answers
        await interaction.response.send_message(f"Thanks for the report: {text}", ephemeral=True)

    async def on_error(self, error: Exception, interaction: discord.Interaction) -> None:
        # answers the user and prints nothing, as many public bots' modals do
        await interaction.response.send_message("Could not file the report.", ephemeral=True)


class RolesView(discord.ui.View):
    def __init__(self, panel: int) -> None:
        super().__init__(timeout=None)  # a panel that keeps working
        close = discord.ui.Button(label="Close", custom_id=f"robocord:close:{panel}")
        close.callback = self.close
        self.add_item(close)

    @discord.ui.select(
        placeholder="Pick your languages",
        custom_id="robocord:languages",
        max_values=2,
        options=[discord.SelectOption(label="Python"), discord.SelectOption(label="Rust")],
    )
    async def languages(self, select: discord.ui.Select, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"You picked {', '.join(select.values)}")

    @discord.ui.button(label="Report a bug", custom_id="robocord:report")
    async def report(self, button: discord.ui.Button, interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(BugReport())

    @discord.ui.button(label="Helper role", custom_id="robocord:helper")
    async def helper(self, button: discord.ui.Button, interaction: discord.Interaction) -> None:
        raise PermissionError("the helper role is above the bot's")

    async def close(self, interaction: discord.Interaction) -> None:
        self.stop()
        await interaction.response.send_message("Closed.")


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
    panels = itertools.count(1)
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

    @bot.slash_command()
    async def roles(ctx: discord.ApplicationContext) -> None:
        """Pick your roles."""
        await ctx.respond("Pick your roles", view=RolesView(next(panels)))

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


async def scenario(world: World) -> None:
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
    world.interact("roles")
    await world.settle()  # the panel is sent: its view now listens
    world.click("robocord:languages", values=["Python", "Rust"])
    world.click("robocord:helper")  # a bug in the callback: py-cord's on_view_error prints it
    world.click("robocord:report")
    await world.settle()  # the modal is open
    world.submit("robocord:bug", {"bug:text": "the tag command is slow"})
    world.click("robocord:report")
    await world.settle()
    world.submit("robocord:bug", {"bug:text": "crash"})  # handled by the modal's on_error
    world.click("robocord:close:1")  # a custom_id with a number: named robocord:close:#


ADAPTER: Any = async_context.get()

if __name__ == "__main__":
    run = run_bot(build, ADAPTER, scenario, capture=False)
    print("\n".join(run.replies))
