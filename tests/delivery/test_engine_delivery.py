"""Delivery over real HTTP to the strict local Discord: batching, rates, routes."""

from __future__ import annotations

import math
import secrets

from otel_discord.channels import Channel
from otel_discord.delivery import ChannelDestination, DeliveryPolicy, WebhookDestination
from otel_discord.testing import DiscordServer

from .items import Note
from .support import CHANNEL_LIMIT, MakeEngine, wait_until


def titles(server: DiscordServer, channel: str) -> list[str]:
    return [e["title"] for e in server.embeds(channel)]


class TestBurst:
    """A burst to one webhook goes out in the fewest messages, without a single 429."""

    def test_500_items(self, server: DiscordServer, make_engine: MakeEngine) -> None:
        url = server.create_webhook("logs")
        policy = DeliveryPolicy(channel_rate=CHANNEL_LIMIT)  # production linger and backoff
        harness = make_engine({Channel.LOGS: WebhookDestination.parse(url)}, policy=policy)
        expected = [f"item {i}" for i in range(500)]
        assert all(harness.engine.submit(Channel.LOGS, Note(t)) for t in expected)
        assert harness.engine.flush(30.0)

        assert expected == titles(server, "logs")
        assert math.ceil(500 / 10) == len(server.messages("logs"))
        assert [] == server.violations
        stats = server.stats()
        assert 0 == stats.rate_limited.get("user", 0)
        assert 0 == stats.rate_limited.get("shared", 0)
        ours = harness.engine.stats()[Channel.LOGS]
        assert (50, 500, 0, "ok") == (
            ours.sent_messages,
            ours.sent_embeds,
            ours.queue_depth,
            ours.state,
        )


class TestBatching:
    """Waiting items share messages; every message forbids mentions."""

    def test_username_and_mentions(self, server: DiscordServer, make_engine: MakeEngine) -> None:
        url = server.create_webhook("logs")
        harness = make_engine({Channel.LOGS: WebhookDestination.parse(url)}, username="otel")
        for i in range(3):
            harness.engine.submit(Channel.LOGS, Note(f"@everyone {i}"))
        assert harness.engine.flush(10.0)
        (message,) = server.messages("logs")
        assert {"parse": []} == message.payload["allowed_mentions"]
        assert "otel" == message.payload["username"]
        assert [] == server.violations

    def test_big_item_spans_messages(self, server: DiscordServer, make_engine: MakeEngine) -> None:
        url = server.create_webhook("logs")
        harness = make_engine({Channel.LOGS: WebhookDestination.parse(url)})
        harness.engine.submit(Channel.LOGS, Note("big", size=23))
        assert harness.engine.flush(10.0)
        assert [10, 10, 3] == [len(m.payload["embeds"]) for m in server.messages("logs")]

    def test_urgent_item_does_not_linger(
        self, server: DiscordServer, make_engine: MakeEngine
    ) -> None:
        url = server.create_webhook("logs")
        slow = DeliveryPolicy(channel_rate=CHANNEL_LIMIT, linger_s=60.0)
        harness = make_engine({Channel.LOGS: WebhookDestination.parse(url)}, policy=slow)
        harness.engine.submit(Channel.LOGS, Note("calm"))
        harness.engine.submit(Channel.LOGS, Note("alert", urgent=True))
        assert wait_until(lambda: len(server.embeds("logs")) == 2, 10.0)


class TestSharedWebhook:
    """Channels routed to one webhook share its sender and its rate limit."""

    def test_two_channels_one_webhook(self, server: DiscordServer, make_engine: MakeEngine) -> None:
        destination = WebhookDestination.parse(server.create_webhook("all"))
        routes = {Channel.LOGS: destination, Channel.PERFORMANCE: destination}
        harness = make_engine(routes)
        for i in range(40):
            harness.engine.submit(Channel.LOGS, Note(f"log {i}"))
            harness.engine.submit(Channel.PERFORMANCE, Note(f"perf {i}"))
        assert harness.engine.flush(20.0)
        got = titles(server, "all")
        assert [f"log {i}" for i in range(40)] == [t for t in got if t.startswith("log")]
        assert 80 == len(got)
        assert 8 == len(server.messages("all"))
        assert [] == server.violations
        assert 0 == server.stats().rate_limited.get("user", 0)


class TestBotChannel:
    """A channel ID posted to with the bot's token goes through the same engine."""

    def test_delivers_without_webhook_only_keys(
        self, server: DiscordServer, make_engine: MakeEngine
    ) -> None:
        token = f"MTA.{secrets.token_urlsafe(30)}"
        server.add_bot(token)
        channel_id = server.create_channel("bot-logs")
        destination = ChannelDestination.parse(
            channel_id, token, api_base=f"{server.base_url}/api/v10"
        )
        harness = make_engine({Channel.LOGS: destination}, username="otel")
        for i in range(25):
            harness.engine.submit(Channel.LOGS, Note(f"bot {i}"))
        assert harness.engine.flush(15.0)
        assert [f"bot {i}" for i in range(25)] == titles(server, "bot-logs")
        assert 3 == len(server.messages("bot-logs"))
        assert [] == server.violations
        assert "username" not in server.messages("bot-logs")[0].payload
