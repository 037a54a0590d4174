"""In-memory OTel to read what the instrumented bot emitted.

The bot itself comes from ``otel_discord.offline.bot`` (a real discord.py bot fed
raw gateway payloads); only Discord's REST API is faked there.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from discord.ext import commands
from opentelemetry.sdk.trace import ReadableSpan

from otel_discord.offline import payloads as g
from otel_discord.offline.bot import FakeRest, World, make_bot, start
from tests.instrumentation.fork_offline import Point, Sinks


class Otel(Sinks):
    """Fresh SDK providers whose output stays in memory, with lookups by name."""

    def span(self, name: str) -> ReadableSpan:
        """The one finished span called ``name``."""
        found = [span for span in self.spans() if span.name == name]
        assert len(found) == 1, f"expected one span {name!r}, got {[s.name for s in self.spans()]}"
        return found[0]

    def value(self, metrics: dict[str, list[Point]], name: str, **attributes: Any) -> Any:
        """The value of the one point of ``name`` whose attributes include ``attributes``."""
        wanted = {key.replace("__", "."): value for key, value in attributes.items()}
        matches = [
            value
            for attrs, value in metrics.get(name, [])
            if all(attrs.get(key) == expected for key, expected in wanted.items())
        ]
        assert len(matches) == 1, f"{name} {wanted}: {metrics.get(name)}"
        return matches[0]


def run_bot(
    scenario: Callable[[World], Any],
    setup: Callable[[commands.Bot], None] | None = None,
    **bot_options: Any,
) -> None:
    """Start a bot (``setup`` run on it) on a fresh loop, play ``scenario``, wait, close."""

    async def main() -> None:
        bot = make_bot(**bot_options)
        world = await start(bot, setup)
        scenario(world)
        await g.settle()
        await bot.close()

    asyncio.run(main())


__all__ = ["FakeRest", "Otel", "World", "make_bot", "run_bot", "start"]
