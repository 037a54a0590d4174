"""The bot's own 429s, counted through discord.py's real HTTP client over loopback."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import discord
import discord.http
import pytest
from aiohttp import web

from otel_discord.instrumentation import DiscordInstrumentor
from otel_discord.instrumentation._ratelimit import ratelimit_scope
from otel_discord.offline import payloads as g
from tests.instrumentation.harness import Otel, make_bot

Instrument = Callable[..., DiscordInstrumentor]


def discord_json(
    data: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """A JSON response typed exactly as Discord types it (discord.py compares the header)."""
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


class RateLimitingDiscord:
    """A local Discord REST API that rate-limits the first message and bans one route."""

    def __init__(self) -> None:
        self.bot_user = g.user(name="testbot", bot=True)
        self.message_posts = 0
        app = web.Application()
        app.router.add_get("/api/v10/users/@me", self.me)
        app.router.add_post("/api/v10/channels/{channel_id}/messages", self.post_message)
        app.router.add_get("/api/v10/gateway", self.cloudflare_ban)
        self.runner = web.AppRunner(app)
        self.base = ""

    async def __aenter__(self) -> RateLimitingDiscord:
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = self.runner.addresses[0][1]
        self.base = f"http://127.0.0.1:{port}/api/v10"
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.runner.cleanup()

    async def me(self, request: web.Request) -> web.Response:
        return discord_json(self.bot_user)

    async def post_message(self, request: web.Request) -> web.Response:
        self.message_posts += 1
        if self.message_posts == 1:
            return discord_json(
                {"message": "You are being rate limited.", "retry_after": 0.01, "global": False},
                status=429,
                headers={
                    "Via": "1.1 google",
                    "X-RateLimit-Scope": "user",
                    "X-RateLimit-Limit": "5",
                    "X-RateLimit-Remaining": "0",
                    "X-RateLimit-Reset-After": "0.01",
                    "X-RateLimit-Bucket": "bucket",
                    "Retry-After": "1",
                },
            )
        payload = json.loads(await request.text())
        return discord_json(
            g.message_create(request.match_info["channel_id"], self.bot_user, payload["content"])
        )

    async def cloudflare_ban(self, request: web.Request) -> web.Response:
        return web.Response(status=429, text="error code: 1015")


class TestRateLimitHits:
    """discord.ratelimit.hits counts every 429 the bot's REST client receives."""

    def test_retried_429_and_cloudflare_ban(
        self, otel: Otel, instrument: Instrument, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A retried user-scope 429 and a bare Cloudflare 429 are both counted by scope."""
        instrument()
        outcome: dict[str, Any] = {}

        async def main() -> None:
            async with RateLimitingDiscord() as server:
                monkeypatch.setattr(discord.http.Route, "BASE", server.base)
                bot = make_bot()
                await bot.http.static_login("test-token")
                channel = g.snowflake()
                route = discord.http.Route(
                    "POST", "/channels/{channel_id}/messages", channel_id=channel
                )
                sent = await bot.http.request(route, json={"content": "hello"})
                outcome["content"] = sent["content"]
                outcome["posts"] = server.message_posts
                with pytest.raises(discord.HTTPException):
                    await bot.http.request(discord.http.Route("GET", "/gateway"))
                await bot.http.close()

        asyncio.run(main())
        assert {"content": "hello", "posts": 2} == outcome
        points = {
            attrs["discord.ratelimit.scope"]: value
            for attrs, value in otel.metrics()["discord.ratelimit.hits"]
        }
        assert {"user": 1, "cloudflare": 1} == points


class TestRateLimitScope:
    """ratelimit_scope reads Discord's headers."""

    @pytest.mark.parametrize(
        ("headers", "expected"),
        [
            ({"X-RateLimit-Scope": "global", "Via": "1.1 google"}, "global"),
            ({"X-RateLimit-Scope": "Shared", "Via": "1.1 google"}, "shared"),
            ({"X-RateLimit-Scope": "user"}, "user"),
            ({}, "cloudflare"),
            ({"Via": "1.1 google"}, "unknown"),
            ({"X-RateLimit-Scope": "planet", "Via": "1.1 google"}, "unknown"),
        ],
    )
    def test_scope(self, headers: dict[str, str], expected: str) -> None:
        """Known scopes pass through (lower-cased); a bare 429 is Cloudflare's."""
        assert expected == ratelimit_scope(headers)


def test_discord_module_is_the_real_one() -> None:
    """Guard: these tests exercise discord.py itself, not a fork or a stub."""
    assert hasattr(discord, "app_commands")
