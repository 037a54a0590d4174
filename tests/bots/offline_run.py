"""Run a corpus bot's own ``bot.run()`` offline: the gateway and Discord's REST API are simulated.

A corpus bot is written as a real one (cogs, handlers, ``bot.run(TOKEN)``) and ends
with ``offline_run.drive(bot, scenario)`` before its ``bot.run``: ``bot.start`` then
plays the scenario's raw gateway payloads instead of connecting, REST calls are
answered like Discord would (and recorded), and at the end the recorded calls are
printed as one ``REST`` JSON line, so two runs can be compared call for call.
Everything between gateway payload and REST call is the real discord.py.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import discord
from discord.webhook.async_ import AsyncWebhookAdapter

from otel_discord.offline import payloads as g
from otel_discord.offline.bot import FakeGateway, FakeRest, World, guild_payload, new_world

FORBIDDEN_CHANNEL = "1099999999999999999"
"""Sending to this channel answers 403 Missing Permissions, as Discord does."""
INTEGER = 4
COMPONENT = 3
MODAL_SUBMIT = 5
BUTTON = 2
ACTION_ROW = 1
TEXT_INPUT = 4


@dataclass
class OfflineRest(FakeRest):
    """FakeRest plus the routes the corpus bots use: interactions, a forbidden channel."""

    interaction_calls: list[tuple[str, str, Any]] = field(default_factory=list)

    async def request(self, route: Any, **kwargs: Any) -> Any:
        if route.method == "POST" and str(getattr(route, "channel_id", "")) == FORBIDDEN_CHANNEL:
            self.calls.append((route.method, route.path, kwargs.get("json")))
            response = SimpleNamespace(status=403, reason="Forbidden")
            raise discord.Forbidden(response, {"code": 50013, "message": "Missing Permissions"})  # type: ignore[arg-type]
        return await super().request(route, **kwargs)

    async def webhook_request(self, route: Any, *args: Any, **kwargs: Any) -> Any:
        """Interaction responses go through the webhook adapter, not ``bot.http``."""
        payload = kwargs.get("payload")
        self.calls.append((route.method, route.path, payload))
        if route.path.endswith("/callback"):
            return {"interaction": {"id": str(route.webhook_id), "type": 3}}
        return None


@dataclass
class Scene:
    """The world plus a few gestures the corpus scenarios need."""

    world: World
    members: dict[str, dict[str, Any]] = field(default_factory=dict)

    def say(self, content: str, who: str = "alice") -> None:
        author = self.world.alice if who == "alice" else self.members[who]
        self.world.say(content, author=author)

    def join(self, name: str) -> dict[str, Any]:
        user = g.user(name=name)
        self.members[name] = user
        self.world.feed("GUILD_MEMBER_ADD", g.guild_member_add(self.world.guild_id, g.member(user)))
        return user

    def leave(self, user: dict[str, Any]) -> None:
        self.world.feed("GUILD_MEMBER_REMOVE", g.guild_member_remove(self.world.guild_id, user))

    def slash(self, name: str, **options: Any) -> None:
        self.world.slash(
            name,
            options=[
                g.option(k, v, INTEGER if isinstance(v, int) else 3) for k, v in options.items()
            ],
        )

    def click(self, custom_id: str, message_id: str) -> None:
        world = self.world
        payload = g.interaction_create(
            world.application_id,
            "",
            guild_id=world.guild_id,
            channel_id=world.text_id,
            invoker=world.alice,
        )
        payload["type"] = COMPONENT
        payload["data"] = {"custom_id": custom_id, "component_type": BUTTON}
        payload["message"] = g.message_create(
            world.text_id, world.bot_user, "panel", guild_id=world.guild_id
        )
        payload["message"]["id"] = message_id
        world.feed("INTERACTION_CREATE", payload)

    def submit(self, custom_id: str, values: dict[str, str]) -> None:
        """Alice submits the modal ``custom_id`` with these text inputs' values."""
        world = self.world
        payload = g.interaction_create(
            world.application_id,
            "",
            guild_id=world.guild_id,
            channel_id=world.text_id,
            invoker=world.alice,
        )
        payload["type"] = MODAL_SUBMIT
        rows = [
            {"type": ACTION_ROW, "components": [{"type": TEXT_INPUT, "custom_id": k, "value": v}]}
            for k, v in values.items()
        ]
        payload["data"] = {"custom_id": custom_id, "components": rows}
        world.feed("INTERACTION_CREATE", payload)


Scenario = Callable[[Scene], Awaitable[None]]


def drive(
    bot: Any, scenario: Scenario, *, forbidden_system_channel: bool = False, shards: int = 0
) -> None:
    """Make ``bot.start`` (what ``bot.run`` awaits) play ``scenario`` offline.

    With ``forbidden_system_channel`` the guild's system channel answers 403 to posts.
    """

    async def start(token: str, *, reconnect: bool = True) -> None:
        world = new_world(bot)
        rest = OfflineRest(world.bot_user)
        bot.http.request = rest.request
        AsyncWebhookAdapter.request = lambda _self, route, *a, **kw: rest.webhook_request(
            route, *a, **kw
        )  # type: ignore[method-assign]
        world.rest = rest
        await bot.setup_hook()  # what login() does before connecting
        if shards:  # what AutoShardedClient.launch_shards sets up, then one READY per shard
            bot._connection.shard_count = shards
            bot._connection.shard_ids = list(range(shards))
            for shard_id in range(shards):
                ready = g.ready(world.bot_user, world.application_id)
                ready["shard"] = [shard_id, shards]
                world.feed("READY", ready)
        else:
            bot.ws = FakeGateway(latency=0.05)
            world.feed("READY", g.ready(world.bot_user, world.application_id))
        await g.settle()
        guild = guild_payload(world)
        if forbidden_system_channel:
            guild["channels"].append(g.channel(FORBIDDEN_CHANNEL, world.guild_id, "welcome"))
            guild["system_channel_id"] = FORBIDDEN_CHANNEL
        world.feed("GUILD_CREATE", guild)
        await g.settle()
        await scenario(Scene(world))
        await g.settle()
        calls = [[method, path, _without_nonce(body)] for method, path, body in rest.calls]
        print("REST " + json.dumps(calls, sort_keys=True, default=str), flush=True)
        sys.stdout.flush()
        await bot.close()

    bot.start = start


def _without_nonce(body: Any) -> Any:
    """discord.py sends a random nonce with each message: not part of what the bot did."""
    if isinstance(body, dict):
        return {k: v for k, v in body.items() if k not in ("nonce", "enforce_nonce")}
    return body


async def pause(seconds: float = 0.0) -> None:
    """Let handlers run (and time pass, for cooldowns and repeat holds)."""
    await g.settle()
    await asyncio.sleep(seconds)
