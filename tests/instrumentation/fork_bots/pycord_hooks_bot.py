"""py-cord: hooks and checks around commands and views (the shapes of py-cord's examples).

A ``discord.Bot`` with no error handler (py-cord prints every error itself), a slash
command whose ``before_invoke`` hook fails (the error escapes py-cord's invoke, past
our hook), a cog whose ``cog_check`` says no, a confirm view whose ``interaction_check``
refuses anyone but its owner, a view whose own ``on_error`` answers the user, and a
command that refuses with an ``ApplicationCommandError`` of its own. No telemetry code.
"""

# No ``from __future__ import annotations``: py-cord reads option types from live annotations.
import sys
from typing import Any

import discord
from discord.ext import commands
from discord.webhook.async_ import async_context

from tests.instrumentation.fork_offline import World, run_bot


class NotInVoice(discord.ApplicationCommandError):
    """Raised by a music command when its user is in no voice channel."""


class ConfirmView(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=None)

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.name != "owner":
            await interaction.response.send_message("This is not your menu.", ephemeral=True)
            return False
        return True

    @discord.ui.button(label="Confirm", custom_id="confirm:yes")
    async def confirm(self, button: discord.ui.Button, interaction: discord.Interaction) -> None:
        await interaction.response.send_message("confirmed")


class ShopView(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Buy", custom_id="shop:buy")
    async def buy(self, button: discord.ui.Button, interaction: discord.Interaction) -> None:
        raise ValueError("price missing")

    async def on_error(
        self, error: Exception, item: discord.ui.Item, interaction: discord.Interaction
    ) -> None:
        print(f"shop error: {error!r}", file=sys.stderr)
        await interaction.response.send_message("Something went wrong.", ephemeral=True)


class Admin(commands.Cog):
    def __init__(self, bot: discord.Bot) -> None:
        self.bot = bot

    def cog_check(self, ctx: discord.ApplicationContext) -> bool:
        return ctx.author.name == "owner"

    @discord.slash_command(description="Shutdown")
    async def shutdown(self, ctx: discord.ApplicationContext) -> None:
        await ctx.respond("bye")


def build() -> discord.Bot:
    bot = discord.Bot(
        intents=discord.Intents.default(), auto_sync_commands=False, chunk_guilds_at_startup=False
    )

    @bot.slash_command(description="Confirm")
    async def confirm(ctx: discord.ApplicationContext) -> None:
        await ctx.respond("Confirm?", view=ConfirmView())

    @bot.slash_command(description="Shop")
    async def shop(ctx: discord.ApplicationContext) -> None:
        await ctx.respond("Shop", view=ShopView())

    @bot.slash_command(description="Broken")
    async def crash(ctx: discord.ApplicationContext) -> None:
        raise LookupError("crash kaboom")

    @bot.slash_command(description="Guarded")
    async def guarded(ctx: discord.ApplicationContext) -> None:
        await ctx.respond("guarded ok")

    @guarded.before_invoke
    async def load_profile(ctx: discord.ApplicationContext) -> None:
        raise KeyError("profile cache")

    @bot.slash_command(description="Play")
    async def play(ctx: discord.ApplicationContext) -> None:
        raise NotInVoice("Join a voice channel first.")

    bot.add_cog(Admin(bot))
    return bot


async def scenario(world: World) -> None:
    world.interact("crash")  # a bug; py-cord prints "Ignoring exception in command crash"
    world.interact("guarded")  # a bug in the before_invoke hook
    world.interact("shutdown")  # cog_check says no: CheckFailure, printed by py-cord
    world.interact("play")  # refused on purpose with an error class of the bot's own
    world.interact("confirm")
    world.interact("shop")
    await world.settle()
    world.click("confirm:yes")  # not alice's menu: refused by interaction_check
    world.click("shop:buy")  # a bug answered by the view's own on_error
    await world.settle()


ADAPTER: Any = async_context.get()

if __name__ == "__main__":
    run = run_bot(build, ADAPTER, scenario, capture=False)
    print("\n".join(run.replies))
