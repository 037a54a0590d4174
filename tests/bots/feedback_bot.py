"""A client with a command tree and a modal that sets up discord.py's logging itself.

Patterns from discord.py's own examples, which many public bots copy
(``examples/app_commands/basic.py``, ``examples/modals/basic.py``): a
``discord.Client`` subclass owning an ``app_commands.CommandTree``,
``discord.utils.setup_logging()`` called by the bot (a handler on the root logger,
INFO), ``async with client: await client.start(TOKEN)`` under ``asyncio.run``, and a
feedback modal whose ``on_error`` answers the user and prints the traceback itself.
Driven offline by ``offline_run``.
"""

from __future__ import annotations

import asyncio
import logging
import traceback

import discord
import offline_run
from discord import app_commands

discord.utils.setup_logging()
log = logging.getLogger("feedback_bot")


class Feedback(discord.ui.Modal, title="Feedback"):
    name: discord.ui.TextInput[Feedback] = discord.ui.TextInput(
        label="Name", placeholder="Your name here...", custom_id="feedback:name"
    )
    feedback: discord.ui.TextInput[Feedback] = discord.ui.TextInput(
        label="What do you think of this new feature?",
        style=discord.TextStyle.long,
        required=False,
        max_length=300,
        custom_id="feedback:text",
    )

    def __init__(self) -> None:
        super().__init__(custom_id="feedback")

    async def on_submit(self, interaction: discord.Interaction) -> None:
        log.info("feedback from %s: %d characters", self.name.value, len(self.feedback.value))
        first_word = self.feedback.value.split()[0]  # a bug: the text is optional
        await interaction.response.send_message(
            f"Thanks for your feedback, {self.name.value} ({first_word}...)!", ephemeral=True
        )

    async def on_error(self, interaction: discord.Interaction, error: Exception) -> None:
        await interaction.response.send_message("Oops! Something went wrong.", ephemeral=True)
        traceback.print_exception(type(error), error, error.__traceback__)


class FeedbackClient(discord.Client):
    def __init__(self) -> None:
        super().__init__(intents=discord.Intents.default())
        self.tree = app_commands.CommandTree(self)

    async def setup_hook(self) -> None:
        # a real bot copies and syncs its commands here; offline there is no Discord to sync to
        self.tree.copy_global_to(guild=discord.Object(id=1))


client = FeedbackClient()


@client.event
async def on_ready() -> None:
    assert client.user is not None
    log.info("Logged in as %s (ID: %s)", client.user, client.user.id)


@client.tree.command(description="Says hello")
async def hello(interaction: discord.Interaction) -> None:
    await interaction.response.send_message(f"Hi, {interaction.user.name}")


@client.tree.command(description="Tell us what you think")
async def feedback(interaction: discord.Interaction) -> None:
    await interaction.response.send_modal(Feedback())


async def scenario(scene: offline_run.Scene) -> None:
    scene.world.slash("hello")
    for name, text in (("alice", "love the new panel"), ("bob", "")):  # bob's text is empty
        scene.world.slash("feedback")
        await offline_run.pause()
        scene.submit("feedback", {"feedback:name": name, "feedback:text": text})
        await offline_run.pause()


async def main() -> None:
    async with client:
        await client.start("offline-token")


if __name__ == "__main__":
    offline_run.drive(client, scenario)
    asyncio.run(main())
