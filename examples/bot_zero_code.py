"""A plain discord.py bot with no telemetry code at all.

Run it under the OpenTelemetry wrapper with only a webhook set::

    pip install "otel-discord[discord]"
    export DISCORD_TOKEN=...            # your bot's token
    export OTEL_EXPORTER_DISCORD_WEBHOOK_URL=https://discord.com/api/webhooks/<id>/<token>
    export OTEL_SERVICE_NAME=astrobot
    opentelemetry-instrument python examples/bot_zero_code.py

Commands, errors, joins, reactions, voice, latency and system metrics then stream
to the four channels. Try ``otel-discord preview`` first to see it locally.
"""

from __future__ import annotations

import logging
import os

import discord
from discord.ext import commands

intents = discord.Intents.default()
intents.message_content = True
intents.members = True
bot = commands.Bot(command_prefix="!", intents=intents)
log = logging.getLogger("astrobot")


@bot.command()
async def ping(ctx: commands.Context[commands.Bot]) -> None:
    """Answers with the gateway latency."""
    await ctx.send(f"pong ({bot.latency * 1000:.0f} ms)")


@bot.command()
async def timeout(ctx: commands.Context[commands.Bot], value: str) -> None:
    """Fails on purpose for input like ``30s``: the error appears in the logs channel."""
    seconds = int(value)
    await ctx.send(f"timeout set to {seconds} s")


@bot.event
async def on_ready() -> None:
    log.warning("logged in as %s", bot.user)


if __name__ == "__main__":
    bot.run(os.environ["DISCORD_TOKEN"], log_handler=None)
