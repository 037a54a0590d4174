"""A bot that dies at start-up: its ``setup_hook`` reads a setting nobody set.

The shape of many public bots' first run: ``setup_hook`` loads the configuration
(``os.environ["..."]`` or ``json.load(open("config.json"))``) with no ``try``, and the
exception ends ``bot.run()`` with a traceback and exit code 1. Driven offline by
``offline_run``: the scenario never plays.
"""

from __future__ import annotations

import os
from typing import Any

import discord
import offline_run
from discord.ext import commands


class CrashingBot(commands.Bot):
    async def setup_hook(self) -> None:
        self.owner_ids = {int(os.environ["BOT_OWNER_ID"])}


bot = CrashingBot(command_prefix="!", intents=discord.Intents.default(), help_command=None)


async def scenario(scene: offline_run.Scene) -> Any:
    scene.say("!ping")  # never reached


if __name__ == "__main__":
    offline_run.drive(bot, scenario)
    bot.run("offline-token")
