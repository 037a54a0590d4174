"""Drive a real discord.py bot offline: logged in, in one guild, fed raw gateway payloads.

For tests (yours and ours) and the demo: the bot, its cache, its commands and its
error handling are the real library; only Discord's REST API is answered by
``FakeRest``, because that is outside the machine::

    bot = make_bot()
    world = await start(bot)
    world.say("!ping")
    await gateway.settle()
    assert world.rest.sent() == ["pong"]
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import discord
from discord.ext import commands

from otel_discord.offline import payloads as g


@dataclass
class FakeRest:
    """Discord's REST API as far as the test commands use it: sending messages."""

    bot_user: dict[str, Any]
    calls: list[tuple[str, str, Any]] = field(default_factory=list)

    async def request(self, route: Any, **kwargs: Any) -> Any:
        """Record the call and answer like Discord does."""
        self.calls.append((route.method, route.path, kwargs.get("json")))
        if route.method == "POST" and route.path == "/channels/{channel_id}/messages":
            payload = kwargs.get("json") or {}
            return g.message_create(
                str(route.channel_id), self.bot_user, payload.get("content", "")
            )
        msg = f"FakeRest has no answer for {route.method} {route.path}"
        raise AssertionError(msg)

    def sent(self) -> list[str]:
        """Contents of the messages the bot sent."""
        return [json["content"] for method, _, json in self.calls if method == "POST" and json]


@dataclass
class World:
    """A bot that is logged in, with one guild, two members and two channels."""

    bot: commands.Bot
    rest: FakeRest
    bot_user: dict[str, Any]
    application_id: str
    guild_id: str
    text_id: str
    voice_id: str
    alice: dict[str, Any]

    def feed(self, event: str, payload: dict[str, Any]) -> None:
        """Deliver one gateway event to the bot."""
        g.feed(self.bot, event, payload)

    def say(self, content: str, author: dict[str, Any] | None = None) -> None:
        """Alice (or ``author``) writes ``content`` in the text channel."""
        self.feed(
            "MESSAGE_CREATE",
            g.message_create(self.text_id, author or self.alice, content, guild_id=self.guild_id),
        )

    def slash(self, name: str, **kwargs: Any) -> None:
        """Alice runs an application command."""
        self.feed(
            "INTERACTION_CREATE",
            g.interaction_create(
                self.application_id,
                name,
                guild_id=self.guild_id,
                channel_id=self.text_id,
                invoker=self.alice,
                **kwargs,
            ),
        )


@dataclass
class FakeGateway:
    """Stands in for the gateway websocket: the bot looks connected, with a latency you set.

    ``bot.ws = FakeGateway(latency=0.08)`` makes ``bot.latency`` and readiness gauges
    report as for a live bot; ``close()`` is what discord.py calls on shutdown.
    """

    latency: float = 0.05
    open: bool = True
    shard_id: int | None = None

    def is_ratelimited(self) -> bool:
        return False

    async def close(self, code: int = 1000) -> None:
        self.open = False


def make_bot(**options: Any) -> commands.Bot:
    """A prefix ``!`` bot with the intents these tests need; it never connects."""
    intents = discord.Intents.default()
    intents.members = True
    intents.message_content = True
    return commands.Bot(
        command_prefix="!",
        intents=intents,
        guild_ready_timeout=0,
        chunk_guilds_at_startup=False,
        **options,
    )


def new_world(bot: commands.Bot, bot_name: str = "testbot") -> World:
    """A world around ``bot``: fresh ids, Alice, and ``FakeRest`` answering its REST calls.

    Nothing is fed yet; :func:`start` logs the bot in and joins the guild.
    """
    bot_user = g.user(name=bot_name, bot=True)
    rest = FakeRest(bot_user)
    bot.http.request = rest.request
    return World(
        bot=bot,
        rest=rest,
        bot_user=bot_user,
        application_id=bot_user["id"],
        guild_id=g.snowflake(),
        text_id=g.snowflake(),
        voice_id=g.snowflake(),
        alice=g.user(name="alice"),
    )


def guild_payload(world: World, name: str = "Test Guild") -> g.JsonDict:
    """GUILD_CREATE for the world's guild: a text and a voice channel, Alice and the bot."""
    return g.guild_create(
        world.guild_id,
        name,
        world.alice["id"],
        channels=[
            g.channel(world.text_id, world.guild_id),
            g.channel(world.voice_id, world.guild_id, "voice", g.VOICE_CHANNEL),
        ],
        members=[g.member(world.alice), g.member(world.bot_user)],
    )


async def start(bot: commands.Bot, setup: Callable[[commands.Bot], None] | None = None) -> World:
    """Run setup, then READY and a GUILD_CREATE (the bot joins a guild) and wait for handlers."""
    if setup is not None:
        setup(bot)
    await bot._async_setup_hook()
    world = new_world(bot)
    world.feed("READY", g.ready(world.bot_user, world.application_id))
    await g.settle()
    world.feed("GUILD_CREATE", guild_payload(world))
    await g.settle()
    return world
