"""A bot shaped like the popular public templates: cogs, hybrid commands, ``bot.run()``.

Patterns taken from real public discord.py 2.x bots (kkrypt0nn's template and
its many forks): hybrid prefix/slash commands in cogs loaded in ``setup_hook``,
a hybrid command group, a persistent view with buttons, an error-handler cog
whose ``on_command_error`` answers the user's mistakes and re-raises the rest,
an ``on_guild_join`` welcome that hits a 403, and ``bot.run()`` setting up
discord.py's default logging. Driven offline by ``offline_run``.
"""

from __future__ import annotations

import logging
from typing import Any

import discord
import offline_run
from discord.ext import commands

from otel_discord.offline import payloads as gateway

log = logging.getLogger("template_bot")


class PanelView(discord.ui.View):
    """A persistent approve/deny panel."""

    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Approve", custom_id="panel:approve", style=discord.ButtonStyle.green)
    async def approve(
        self, interaction: discord.Interaction, button: discord.ui.Button[Any]
    ) -> None:
        await interaction.response.send_message("approved", ephemeral=True)

    @discord.ui.button(label="Deny", custom_id="panel:deny", style=discord.ButtonStyle.red)
    async def deny(self, interaction: discord.Interaction, _: discord.ui.Button[Any]) -> None:
        reasons: dict[str, str] = {}
        await interaction.response.send_message(reasons["default"])


class General(commands.Cog, name="general"):
    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot

    @commands.hybrid_command(name="ping", description="Check the bot is alive.")
    async def ping(self, context: commands.Context[Any]) -> None:
        await context.send("pong")

    @commands.hybrid_command(name="roll", description="Roll a die.")
    async def roll(self, context: commands.Context[Any], sides: int) -> None:
        await context.send(f"rolled a d{sides}")

    @commands.hybrid_command(name="daily", description="Daily coins.")
    @commands.cooldown(1, 3600, commands.BucketType.user)
    async def daily(self, context: commands.Context[Any]) -> None:
        await context.send("+100 coins")

    @commands.hybrid_command(name="ratio", description="Divide two numbers.")
    async def ratio(self, context: commands.Context[Any], a: int, b: int) -> None:
        await context.send(f"{a / b:.2f}")

    @commands.hybrid_command(name="report", description="Build the weekly report.")
    async def report(self, context: commands.Context[Any]) -> None:
        rows: dict[str, int] = {}
        try:
            _ = 1 / len(rows)
        except ZeroDivisionError:
            log.exception("empty report")
        try:
            _ = rows["week"]
        except KeyError:
            log.exception("no week row")
        await context.send("report sent")

    @commands.command(name="panel")
    async def panel(self, context: commands.Context[Any]) -> None:
        await context.send("Requests", view=PanelView())


class Moderation(commands.Cog, name="moderation"):
    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot

    @commands.hybrid_group(name="warning", description="Manage warnings.")
    async def warning(self, context: commands.Context[Any]) -> None:
        if context.invoked_subcommand is None:
            await context.send("Please specify a subcommand.")

    @warning.command(name="add", description="Warn a member.")
    async def warning_add(
        self, context: commands.Context[Any], user: discord.Member, *, reason: str = "none"
    ) -> None:
        await context.send(f"{user.name} warned: {reason}")

    @warning.command(name="list", description="List warnings.")
    async def warning_list(self, context: commands.Context[Any]) -> None:
        await context.send("no warnings")

    @commands.hybrid_command(name="purge", description="Delete messages.")
    @commands.has_permissions(manage_messages=True)
    async def purge(self, context: commands.Context[Any], amount: int) -> None:
        await context.send(f"purged {amount}")


class Owner(commands.Cog, name="owner"):
    @commands.command(name="shutdown")
    @commands.is_owner()
    async def shutdown(self, context: commands.Context[Any]) -> None:
        await context.send("bye")


class ErrorHandler(commands.Cog, name="errors"):
    @commands.Cog.listener()
    async def on_command_error(self, context: commands.Context[Any], error: Exception) -> None:
        if isinstance(error, commands.CommandOnCooldown):
            await context.send(f"Slow down, try again in {error.retry_after:.0f}s")
        elif isinstance(error, commands.NotOwner):
            await context.send("You are not the owner of the bot!")
        elif isinstance(error, commands.MissingPermissions):
            await context.send("You are missing the permission to do that!")
        elif isinstance(error, commands.MissingRequiredArgument):
            await context.send(str(error).capitalize())
        elif isinstance(error, commands.BadArgument):
            await context.send("Bad argument.")
        elif isinstance(error, commands.CommandNotFound):
            await context.send("Unknown command.")
        else:
            raise error


class TemplateBot(commands.Bot):
    async def setup_hook(self) -> None:
        for cog in (General(self), Moderation(self), Owner(), ErrorHandler()):
            await self.add_cog(cog)
        self.add_view(PanelView())
        log.info("cogs loaded")

    async def on_ready(self) -> None:
        log.info("Logged in as %s", self.user)

    async def on_guild_join(self, guild: discord.Guild) -> None:
        if guild.system_channel is not None:
            await guild.system_channel.send("Thanks for adding me!")


intents = discord.Intents.default()
intents.members = True
intents.message_content = True
bot = TemplateBot(
    command_prefix="!",
    intents=intents,
    owner_id=1,
    guild_ready_timeout=0,
    chunk_guilds_at_startup=False,
    help_command=None,
)


async def scenario(scene: offline_run.Scene) -> None:
    bob = scene.join("bob")
    for text in ("!ping", "!ping", "!roll 6", "!roll six", "!roll", "!daily", "!daily"):
        scene.say(text)
    scene.say("!purge 5", who="bob")
    scene.say("!shutdown")
    scene.say("!nosuchcommand")
    scene.say(f"!warning add {bob['id']} spamming")
    scene.say("!warning list")
    scene.say("!ratio 1 0")
    scene.say("!report")
    scene.say("!panel")
    await offline_run.pause()
    scene.slash("roll", sides=20)
    scene.slash("ratio", a=4, b=0)
    await offline_run.pause()
    scene.click("panel:approve", "1088888888888888888")
    scene.click("panel:approve", "1088888888888888888")
    scene.click("panel:deny", "1088888888888888888")
    await offline_run.pause()
    scene.leave(gateway.user(name="stranger"))  # never cached: only the raw event knows
    scene.leave(bob)


if __name__ == "__main__":
    offline_run.drive(bot, scenario, forbidden_system_channel=True)
    bot.run("offline-token")
