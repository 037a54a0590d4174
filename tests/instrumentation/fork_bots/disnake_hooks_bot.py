"""disnake: a ``Param`` converter with a bug (its database is down), a slash command whose
``before_invoke`` hook fails, and a user command whose failure ``on_user_command_error``
answers. No telemetry code.
"""

# No ``from __future__ import annotations``: disnake reads option types from live annotations.
from typing import Any

import disnake
from disnake.ext import commands
from disnake.webhook.async_ import async_context

from tests.instrumentation.fork_offline import World, run_bot


async def to_member_record(inter: disnake.ApplicationCommandInteraction, name: str) -> dict:
    raise ConnectionError("profile database down")  # a bug, not the user's input


def build() -> commands.InteractionBot:
    bot = commands.InteractionBot(
        intents=disnake.Intents.default(),
        command_sync_flags=commands.CommandSyncFlags.none(),
        chunk_guilds_at_startup=False,
    )

    @bot.slash_command()
    async def profile(
        inter: disnake.ApplicationCommandInteraction,
        record: dict = commands.Param(name="name", converter=to_member_record),  # noqa: B008
    ) -> None:
        """Show a profile."""
        await inter.response.send_message(str(record))

    @bot.slash_command()
    async def guarded(inter: disnake.ApplicationCommandInteraction) -> None:
        """Guarded."""
        await inter.response.send_message("guarded ok")

    @guarded.before_invoke
    async def load(inter: disnake.ApplicationCommandInteraction) -> None:
        raise KeyError("profile cache")

    @bot.user_command(name="Report")
    async def report(inter: disnake.UserCommandInteraction, user: disnake.User) -> None:
        raise commands.CheckFailure("reports are closed")

    @bot.event
    async def on_user_command_error(
        inter: disnake.UserCommandInteraction, error: Exception
    ) -> None:
        await inter.response.send_message(f"Sorry: {error}", ephemeral=True)

    @bot.event
    async def on_slash_command_error(
        inter: disnake.ApplicationCommandInteraction, error: Exception
    ) -> None:
        await inter.response.send_message("Something broke.", ephemeral=True)
        raise error

    return bot


async def scenario(world: World) -> None:
    world.interact("profile", options=[{"name": "name", "type": 3, "value": "bob"}])
    world.interact("guarded")
    world.user_menu("Report")
    await world.settle()


ADAPTER: Any = async_context.get()

if __name__ == "__main__":
    run = run_bot(build, ADAPTER, scenario, capture=False)
    print("\n".join(run.replies))
