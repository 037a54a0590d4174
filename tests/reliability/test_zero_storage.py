"""Zero local storage: a whole run of the stack opens no file for writing from package code.

Logs, spans, metrics, system metrics and an instrumented discord.py bot, through faults
(an outage, 5xx, 429s, a deleted webhook) and shutdown, under an audit hook that sees
every ``open`` for writing made while package code is on the stack.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from discord.ext import commands

from otel_discord import Channel
from otel_discord.offline import payloads as g
from otel_discord.offline.bot import make_bot, start
from otel_discord.testing import Fault

from .stack import Stack, wait_until


def bot_commands(bot: commands.Bot) -> None:
    @bot.command()
    async def ping(ctx: commands.Context[Any]) -> None:
        await ctx.send("pong")

    @bot.command()
    async def boom(ctx: commands.Context[Any]) -> None:
        raise ValueError("kaboom")


def run_bot(rounds: int) -> list[str]:
    async def main() -> list[str]:
        bot = make_bot()
        world = await start(bot, bot_commands)
        for _ in range(rounds):
            for text in ("!ping", "!boom"):
                world.say(text)
                await g.settle()
        await bot.close()
        return world.rest.sent()

    return asyncio.run(main())


class TestZeroStorage:
    """Nothing is written to disk, whatever happens on the way."""

    def test_full_run(self, make_stack: Callable[..., Stack], write_audit: Any) -> None:
        stack = make_stack(system_metrics=True, instrument_discord=True)
        srv = stack.server
        tracer = stack.telemetry.tracer_provider.get_tracer("reliabot.jobs")

        assert ["pong"] * 3 == run_bot(3)
        srv.down()
        with tracer.start_as_current_span("sync"):
            stack.app.error("database unreachable")
        stack.export()
        assert wait_until(lambda: stack.engine.stats()[Channel.LOGS].state == "retrying")
        srv.inject(Fault.SERVER_ERROR, count=2)
        srv.inject(Fault.RATE_LIMIT_USER, count=2)
        srv.up()
        srv.delete_webhook(stack.urls[Channel.PERFORMANCE])
        assert ["pong"] * 2 == run_bot(2)
        stack.telemetry.meter_provider.force_flush()
        for job in ("analytics", "performance", "health", "alerts"):
            stack.pipeline.scheduler.run_now(job)
        stack.pipeline.send_system()
        assert stack.flush(10.0)
        stack.telemetry.shutdown()

        assert [] == write_audit.opened
        for channel in (Channel.LOGS, Channel.ANALYTICS, Channel.DIAGNOSTICS):
            assert stack.embeds(channel), channel
        assert 404 in srv.stats().by_status
        assert [] == srv.violations

    def test_charts_are_drawn_in_memory(
        self, make_stack: Callable[..., Stack], write_audit: Any
    ) -> None:
        """Real system metrics become two PNG charts (Pillow loaded for them): nothing on disk."""
        stack = make_stack(system_metrics=True)
        for _ in range(3):
            stack.telemetry.meter_provider.force_flush()
        stack.pipeline.scheduler.run_now("performance")
        stack.pipeline.send_system()
        assert stack.flush(10.0)
        stack.telemetry.shutdown()

        assert [] == write_audit.opened
        files = [f for m in stack.server.messages(Channel.PERFORMANCE.value) for f in m.files]
        assert {"performance.png", "system.png"} <= {f.filename for f in files}
        assert all(f.data.startswith(b"\x89PNG\r\n\x1a\n") for f in files)
        assert [] == stack.server.violations
