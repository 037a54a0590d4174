"""nextcord: a command renamed its option while Discord still has the old registration.

nextcord raises ``ApplicationCommandOptionMissing`` ("missing on our end") and prints it
as an ``on_interaction`` error: the bot's registration is out of date, a bug of the
bot's, not the user's input. No telemetry code.
"""

# No ``from __future__ import annotations``: nextcord reads option types from live annotations.
from typing import Any

import nextcord
from nextcord import Interaction
from nextcord.ext import commands
from nextcord.webhook.async_ import async_context

from tests.instrumentation.fork_offline import World, run_bot


def build() -> commands.Bot:
    bot = commands.Bot(intents=nextcord.Intents.default(), chunk_guilds_at_startup=False)

    @bot.slash_command(description="Greet")
    async def greet(interaction: Interaction, name: str) -> None:
        await interaction.send(f"hi {name}")

    bot.add_all_application_commands()
    return bot


async def scenario(world: World) -> None:
    world.interact("greet", options=[{"name": "name", "type": 3, "value": "bob"}])
    world.interact("greet", options=[{"name": "who", "type": 3, "value": "bob"}])  # stale option
    await world.settle()


ADAPTER: Any = async_context.get()

if __name__ == "__main__":
    run = run_bot(build, ADAPTER, scenario, capture=False)
    print("\n".join(run.replies))
