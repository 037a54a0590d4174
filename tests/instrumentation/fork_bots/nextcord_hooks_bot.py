"""nextcord: a slash command whose ``before_invoke`` hook fails (a profile loader), and a
confirm view whose ``interaction_check`` refuses; no error listener (nextcord prints).
No telemetry code.
"""

# No ``from __future__ import annotations``: nextcord reads option types from live annotations.
from typing import Any

import nextcord
from nextcord import Interaction
from nextcord.ext import commands
from nextcord.webhook.async_ import async_context

from tests.instrumentation.fork_offline import World, run_bot


class ConfirmView(nextcord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=None)

    async def interaction_check(self, interaction: Interaction) -> bool:
        await interaction.send("This is not your menu.", ephemeral=True)
        return False

    @nextcord.ui.button(label="Confirm", custom_id="confirm:yes")
    async def confirm(self, button: nextcord.ui.Button, interaction: Interaction) -> None:
        await interaction.send("confirmed")


def build() -> commands.Bot:
    bot = commands.Bot(intents=nextcord.Intents.default(), chunk_guilds_at_startup=False)

    @bot.slash_command(description="Guarded")
    async def guarded(interaction: Interaction) -> None:
        await interaction.send("guarded ok")

    @guarded.before_invoke
    async def load_profile(interaction: Interaction) -> None:
        raise KeyError("profile cache")

    @bot.slash_command(description="Confirm")
    async def confirm(interaction: Interaction) -> None:
        await interaction.send("Confirm?", view=ConfirmView())

    bot.add_all_application_commands()
    return bot


async def scenario(world: World) -> None:
    world.interact("guarded")
    world.interact("confirm")
    await world.settle()
    world.click("confirm:yes")
    await world.settle()


ADAPTER: Any = async_context.get()

if __name__ == "__main__":
    run = run_bot(build, ADAPTER, scenario, capture=False)
    print("\n".join(run.replies))
