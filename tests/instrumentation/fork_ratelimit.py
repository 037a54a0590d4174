"""A fork's own 429s, counted through its real HTTP client over loopback.

The local REST API rate-limits the first message post (user scope, retried by the
library) and answers ``/gateway`` with a bare Cloudflare ban; ``test_ratelimit.py``
uses the same server for discord.py.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from aiohttp import web

from otel_discord.instrumentation import DiscordInstrumentor
from otel_discord.offline import payloads as g
from tests.instrumentation.fork_offline import Sinks, by


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """A JSON response typed exactly as Discord types it (discord.py compares the header)."""
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


class RateLimitingDiscord:
    """A local Discord REST API that rate-limits the first message and bans one route."""

    def __init__(self) -> None:
        self.bot_user = g.user(name="forkbot", bot=True)
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
        self.base = f"http://127.0.0.1:{self.runner.addresses[0][1]}/api/v10"
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.runner.cleanup()

    async def me(self, request: web.Request) -> web.Response:
        return _json(self.bot_user)

    async def post_message(self, request: web.Request) -> web.Response:
        self.message_posts += 1
        if self.message_posts == 1:
            return _json(
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
        return _json(
            g.message_create(request.match_info["channel_id"], self.bot_user, payload["content"])
        )

    async def cloudflare_ban(self, request: web.Request) -> web.Response:
        return web.Response(status=429, text="error code: 1015")


def assert_ratelimits_counted(library: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A retried user-scope 429 and a Cloudflare ban are counted once each, by scope."""
    sinks = Sinks()
    outcome: dict[str, Any] = {}
    route_cls = library.http.Route
    base_attribute = "API_BASE_URL" if hasattr(route_cls, "API_BASE_URL") else "BASE"

    async def main() -> None:
        async with RateLimitingDiscord() as server:
            monkeypatch.setattr(route_cls, base_attribute, server.base)
            client = library.Client(intents=library.Intents.none())
            await client.http.static_login("test-token")
            route = route_cls("POST", "/channels/{channel_id}/messages", channel_id=g.snowflake())
            sent = await client.http.request(route, json={"content": "hello"})
            outcome["content"] = sent["content"]
            outcome["posts"] = server.message_posts
            with pytest.raises(library.HTTPException):
                await client.http.request(route_cls("GET", "/gateway"))
            await client.http.close()

    instrumentor = DiscordInstrumentor()
    instrumentor.instrument(**sinks.providers())
    try:
        asyncio.run(main())
    finally:
        instrumentor.uninstrument()
    assert {"content": "hello", "posts": 2} == outcome
    hits = sinks.metrics()["discord.ratelimit.hits"]
    assert {"user": 1, "cloudflare": 1} == by(hits, "discord.ratelimit.scope")
