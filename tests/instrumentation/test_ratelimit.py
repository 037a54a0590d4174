"""The bot's own 429s, counted through discord.py's real HTTP client over loopback."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import discord
import discord.http
import pytest

from otel_discord.instrumentation import DiscordInstrumentor
from otel_discord.instrumentation._ratelimit import ratelimit_scope
from otel_discord.offline import payloads as g
from tests.instrumentation.fork_ratelimit import RateLimitingDiscord
from tests.instrumentation.harness import Otel, make_bot

Instrument = Callable[..., DiscordInstrumentor]


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
