"""The same bot, instrumented from code with one call.

    pip install "otel-discord[discord]"
    export DISCORD_TOKEN=...
    export OTEL_EXPORTER_DISCORD_WEBHOOK_URL=https://discord.com/api/webhooks/<id>/<token>
    python examples/bot_from_code.py

``configure()`` reads the same OTEL_EXPORTER_DISCORD_* variables; anything can also
be passed as an argument (``webhooks={"logs": ...}``, ``performance_interval_ms=...``).
"""

from __future__ import annotations

import logging
import os

import discord
from discord.ext import commands

import otel_discord

telemetry = otel_discord.configure(service_name="astrobot")

intents = discord.Intents.default()
intents.message_content = True
bot = commands.Bot(command_prefix="!", intents=intents)
log = logging.getLogger("astrobot")


@bot.command()
async def ping(ctx: commands.Context[commands.Bot]) -> None:
    """Answers with the gateway latency."""
    await ctx.send(f"pong ({bot.latency * 1000:.0f} ms)")


@bot.event
async def on_ready() -> None:
    log.warning("logged in as %s", bot.user)


if __name__ == "__main__":
    try:
        bot.run(os.environ["DISCORD_TOKEN"], log_handler=None)
    finally:
        telemetry.shutdown()  # flush what is queued before the process ends
