"""The shared hooks on a fork: disnake driven by raw gateway payloads.

Skipped unless disnake is importable. disnake installs its own package name, but
it cannot share a venv with discord.py's test suite comfortably, so run it alone
in a throwaway venv (see the instrumentation docs)::

    python -m venv /tmp/forkvenv
    /tmp/forkvenv/bin/pip install disnake opentelemetry-sdk opentelemetry-instrumentation \
        httpx psutil pytest pytest-timeout
    PYTHONPATH=. /tmp/forkvenv/bin/pytest --noconftest -p no:cacheprovider \
        tests/instrumentation/test_fork_disnake.py
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

disnake = pytest.importorskip("disnake")

from opentelemetry.sdk._logs import LoggerProvider  # noqa: E402
from opentelemetry.sdk._logs.export import (  # noqa: E402
    InMemoryLogRecordExporter,
    SimpleLogRecordProcessor,
)
from opentelemetry.sdk.metrics import MeterProvider  # noqa: E402
from opentelemetry.sdk.metrics.export import InMemoryMetricReader  # noqa: E402

from otel_discord.instrumentation import DiscordInstrumentor, _safety  # noqa: E402
from otel_discord.testing import gateway as g  # noqa: E402


class Sinks:
    def __init__(self) -> None:
        self.reader = InMemoryMetricReader()
        self.meter_provider = MeterProvider(metric_readers=[self.reader])
        self.logs = InMemoryLogRecordExporter()
        self.logger_provider = LoggerProvider()
        self.logger_provider.add_log_record_processor(SimpleLogRecordProcessor(self.logs))

    def points(self, name: str) -> list[tuple[dict[str, Any], Any]]:
        data = self.reader.get_metrics_data()
        assert data is not None
        return [
            (dict(point.attributes or {}), point.value)  # type: ignore[union-attr]
            for rm in data.resource_metrics
            for sm in rm.scope_metrics
            for metric in sm.metrics
            if metric.name == name
            for point in metric.data.data_points
        ]


@pytest.fixture
def sinks() -> Iterator[Sinks]:
    sinks = Sinks()
    instrumentor = DiscordInstrumentor()
    _safety.RECENT_FAILURES.clear()
    # disnake's distribution is not "discord.py": skip the dependency check.
    instrumentor.instrument(
        skip_dep_check=True,
        meter_provider=sinks.meter_provider,
        logger_provider=sinks.logger_provider,
    )
    yield sinks
    instrumentor.uninstrument()
    assert [] == list(_safety.RECENT_FAILURES)


class TestDisnakeHooks:
    """dispatch and on_error hooks work on disnake.Client."""

    def test_events_messages_guild_join_and_handler_errors(self, sinks: Sinks) -> None:
        """Events are counted, the guild join logged, a handler's error recorded and re-raised."""
        errors: list[str] = []

        async def main() -> None:
            intents = disnake.Intents.default()
            intents.members = True
            intents.message_content = True
            client = disnake.Client(
                intents=intents, guild_ready_timeout=0, chunk_guilds_at_startup=False
            )

            @client.event
            async def on_message(message: Any) -> None:
                raise LookupError("disnake handler kaboom")

            @client.event
            async def on_error(event: str, *args: Any, **kwargs: Any) -> None:
                import sys

                errors.append(f"{event}:{type(sys.exc_info()[1]).__name__}")

            bot_user = g.user(name="forkbot", bot=True)
            alice = g.user(name="alice")
            guild_id, channel_id = g.snowflake(), g.snowflake()
            parsers = client._connection.parsers
            parsers["READY"](g.ready(bot_user, bot_user["id"]))
            await g.settle()
            parsers["GUILD_CREATE"](
                g.guild_create(
                    guild_id,
                    "Fork Guild",
                    alice["id"],
                    channels=[g.channel(channel_id, guild_id)],
                    members=[g.member(alice), g.member(bot_user)],
                )
            )
            parsers["MESSAGE_CREATE"](g.message_create(channel_id, alice, "hi", guild_id=guild_id))
            await g.settle()
            await client.close()

        asyncio.run(main())
        assert ["on_message:LookupError"] == errors
        events = {
            attrs["discord.event"]: value for attrs, value in sinks.points("discord.gateway.events")
        }
        assert {"connect", "ready", "guild_join", "message"} <= set(events)
        assert [
            ({"discord.channel.type": "text", "discord.guild.present": True}, 1)
        ] == sinks.points("discord.messages")
        assert [({"discord.change": "join"}, 1)] == sinks.points("discord.guild.changes")
        assert [
            ({"error.type": "LookupError", "discord.error.source": "event"}, 1)
        ] == sinks.points("discord.errors")
        bodies = [record.log_record.body for record in sinks.logs.get_finished_logs()]
        assert "Unhandled exception in event on_message" in bodies
        assert "Joined guild Fork Guild (2 members)" in bodies

    def test_uninstrument_restores_disnake(self) -> None:
        """The fork's originals come back by identity."""
        before = (vars(disnake.Client)["dispatch"], vars(disnake.Client)["event"])
        instrumentor = DiscordInstrumentor()
        instrumentor.instrument(skip_dep_check=True)
        assert vars(disnake.Client)["dispatch"] is not before[0]
        instrumentor.uninstrument()
        assert before == (vars(disnake.Client)["dispatch"], vars(disnake.Client)["event"])
