"""The demo's bot: a small music bot with commands that succeed, fail and block."""

from __future__ import annotations

import logging
import random
import time

from discord.ext import commands

log = logging.getLogger("astrobot.cogs.music")


class Music(commands.Cog):  # type: ignore[misc]  # discord.py seen as Any
    """Commands whose outcomes give the channels something to show."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    @commands.command()
    async def play(self, ctx: commands.Context[commands.Bot], *, query: str = "lofi") -> None:
        """Queues a track; ``timeout:30s`` in the query fails like a real parsing bug."""
        if "timeout:" in query:
            value = query.split("timeout:", 1)[1].split(maxsplit=1)[0]
            seconds = int(value)  # "30s" -> ValueError, a bug users would hit
            query = f"{query} ({seconds} s)"
        await ctx.send(f"queued {query}")

    @commands.command()
    async def queue(self, ctx: commands.Context[commands.Bot]) -> None:
        await ctx.send("3 tracks queued")

    @commands.command()
    async def skip(self, ctx: commands.Context[commands.Bot]) -> None:
        await ctx.send("skipped")

    @commands.command()
    async def lyrics(self, ctx: commands.Context[commands.Bot]) -> None:
        """Blocks the event loop now and then: the classic requests.get in a handler."""
        if self.rng.random() < 0.5:
            time.sleep(0.3)
            log.warning("lyrics lookup blocked the event loop for 300 ms")
        await ctx.send("🎶")


async def make_demo_bot(rng: random.Random) -> commands.Bot:
    """The offline bot with the music cog loaded."""
    from otel_discord.offline.bot import make_bot

    bot = make_bot()
    await bot.add_cog(Music(rng))
    return bot
