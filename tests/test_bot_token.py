"""Channel-ID destinations posting as the bot, with the token borrowed from the running client."""

from __future__ import annotations

import asyncio

import pytest

from otel_discord import Channel, DiscordConfig, DiscordLogExporter
from otel_discord.delivery.bot_token import current_bot_token, forget_bot_token
from otel_discord.instrumentation import DiscordInstrumentor
from otel_discord.offline import payloads as g
from otel_discord.offline.bot import make_bot, start

BOT = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GabcDE.borrowed_secret_xyz"


@pytest.fixture(autouse=True)
def _fresh_token():
    forget_bot_token()
    yield
    forget_bot_token()


@pytest.fixture
def instrumented():
    instrumentor = DiscordInstrumentor()
    instrumentor.instrument()
    yield
    instrumentor.uninstrument()


class TestBorrowedToken:
    """No second copy of the secret: the connected client lends its token."""

    def test_waits_then_posts_as_the_bot(self, discord_server, instrumented, caplog) -> None:
        channel_id = discord_server.create_channel("logs")
        discord_server.add_bot(BOT)
        config = DiscordConfig.resolve(
            channel_ids={"logs": channel_id},
            api_base_url=discord_server.base_url + "/api/v10",
            env={},
        )
        exporter = DiscordLogExporter(config)
        pipeline = exporter._core.pipeline
        from otel_discord.records import Occurrence

        pipeline.submit_error(
            Channel.LOGS,
            Occurrence(
                time_ns=1,
                severity_number=17,
                severity_text="ERROR",
                source="bot",
                message="before the bot connected",
                service="svc",
            ),
        )
        assert not pipeline.flush(1.0)  # nothing can go before a token is known
        assert [] == discord_server.messages("logs")

        async def connect() -> None:
            bot = make_bot()
            await start(bot)
            bot.http.token = BOT  # what login() sets; then the gateway dispatches "connect"
            bot.dispatch("connect")
            await g.settle()
            await bot.close()

        asyncio.run(connect())
        assert BOT == current_bot_token()
        assert pipeline.flush(10.0)
        [message] = discord_server.messages("logs")
        assert message.webhook_id is None  # posted by the bot itself, via the channel route
        assert [] == discord_server.violations
        exporter.shutdown()
        assert BOT not in caplog.text
