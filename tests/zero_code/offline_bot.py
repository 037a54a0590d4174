"""An ordinary discord.py bot with no telemetry code, driven offline for a few seconds.

Run by the zero-code tests under ``opentelemetry-instrument``: only the gateway is
simulated (``otel_discord.offline.bot``); everything else is the bot as written.
"""

from __future__ import annotations

import asyncio
import logging

from discord.ext import commands

from otel_discord.offline import payloads as g
from otel_discord.offline.bot import FakeGateway, make_bot, start

log = logging.getLogger("offline_bot")


async def main() -> None:
    bot = make_bot()

    @bot.command()
    async def ping(ctx: commands.Context[commands.Bot]) -> None:
        await ctx.send("pong")

    @bot.command()
    async def timeout(ctx: commands.Context[commands.Bot], value: str) -> None:
        await ctx.send(f"{int(value)} s")

    world = await start(bot)
    bot.ws = FakeGateway(latency=0.07)
    for i in range(30):
        world.say("!ping")
        world.say("hello there")
        if i % 10 == 0:
            world.say("!timeout 30s")
        await g.settle()
    world.feed("GUILD_MEMBER_ADD", g.guild_member_add(world.guild_id, g.member(g.user(name="new"))))
    log.warning("about to stop")
    await g.settle()  # exit flushes the SDK's queues and metrics into Discord
    await bot.close()


if __name__ == "__main__":
    asyncio.run(main())
