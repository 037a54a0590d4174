"""A sharded bot that configures its own logging and swallows every command error.

Patterns from real public discord.py 2.x bots: ``AutoShardedBot``,
``logging.basicConfig`` at the top of the script, a global ``@bot.event
on_command_error`` that answers some mistakes and silently drops everything
else, cooldowns, owner-only commands, a prefix command group, a slash command
group in the tree, an ``on_member_join`` with a bug, and a ``tasks.loop`` started
in ``on_ready`` that posts stats to a bot list with a token nobody configured. Driven
offline by ``offline_run``.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import discord
import offline_run
from discord import app_commands
from discord.ext import commands, tasks

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
log = logging.getLogger("sharded_bot")

intents = discord.Intents.default()
intents.members = True
intents.message_content = True
bot = commands.AutoShardedBot(
    command_prefix="?",
    intents=intents,
    shard_count=2,
    owner_id=1,
    guild_ready_timeout=0,
    chunk_guilds_at_startup=False,
)


@tasks.loop(minutes=30)
async def post_stats() -> None:
    token = os.environ["TOPGG_TOKEN"]  # a bug: never configured (discord.py logs it)
    log.info("posting %d guilds with %s", len(bot.guilds), token[:4])


@bot.event
async def on_ready() -> None:
    log.info("ready on %d shards", bot.shard_count or 1)
    if not post_stats.is_running():
        post_stats.start()


@bot.event
async def on_member_join(member: discord.Member) -> None:
    roles = {"newcomer": 1}
    log.info("welcome %s", member.name)
    await member.add_roles(discord.Object(roles["member"]))


@bot.event
async def on_command_error(ctx: commands.Context[Any], error: commands.CommandError) -> None:
    if isinstance(error, commands.CommandOnCooldown):
        await ctx.send(f"cooldown {error.retry_after:.0f}s")
    # everything else is swallowed, as many bots do


@bot.command()
@commands.cooldown(1, 30, commands.BucketType.guild)
async def stats(ctx: commands.Context[Any]) -> None:
    await ctx.send(f"{len(bot.guilds)} guilds")


@bot.command()
@commands.is_owner()
async def reload(ctx: commands.Context[Any]) -> None:
    await ctx.send("reloaded")


@bot.group(invoke_without_command=True)
async def config(ctx: commands.Context[Any]) -> None:
    await ctx.send("config: prefix, locale")


@config.command(name="set")
async def config_set(ctx: commands.Context[Any], key: str, value: str) -> None:
    await ctx.send(f"{key} = {value}")


@config.command(name="get")
async def config_get(ctx: commands.Context[Any], key: str) -> None:
    settings = {"prefix": "?"}
    await ctx.send(settings[key])


tag = app_commands.Group(name="tag", description="Tags")


@tag.command(name="create", description="Create a tag")
async def tag_create(interaction: discord.Interaction, name: str) -> None:
    await interaction.response.send_message(f"tag {name} created")


@tag.command(name="delete", description="Delete a tag")
async def tag_delete(interaction: discord.Interaction, name: str) -> None:
    tags: dict[str, str] = {}
    del tags[name]
    await interaction.response.send_message(f"tag {name} deleted")


bot.tree.add_command(tag)


async def scenario(scene: offline_run.Scene) -> None:
    for text in ("?stats", "?stats", "?reload", "?config", "?config set locale de"):
        scene.say(text)
    scene.say("?config set locale")  # missing argument: swallowed
    scene.say("?config get locale")  # a bug, swallowed by the global handler
    scene.say("?nothing")
    await offline_run.pause()
    for sub in ("create", "delete"):  # delete has a bug
        name = [{"type": 3, "name": "name", "value": "faq"}]
        scene.world.slash("tag", options=[{"type": 1, "name": sub, "options": name}])
    scene.world.slash("leaderboard")  # removed from the code but still registered at Discord
    await offline_run.pause()
    scene.join("carol")
    await offline_run.pause()


if __name__ == "__main__":
    offline_run.drive(bot, scenario, shards=2)
    bot.run("offline-token", log_handler=None)
