"""A destination that is gone or forbidden is dropped once; the others carry on."""

from __future__ import annotations

import logging
import secrets

import pytest

from otel_discord.channels import Channel
from otel_discord.delivery import ChannelDestination, WebhookDestination
from otel_discord.testing import DiscordServer

from .items import Note
from .support import MakeEngine

PERMISSIONS_TEXT = "View Channel, Send Messages, Embed Links"


def bot_token() -> str:
    return f"MTA.{secrets.token_urlsafe(30)}"


def warnings_about(caplog: pytest.LogCaptureFixture, text: str) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno == logging.WARNING and text in r.getMessage()
    ]


class TestDeletedWebhook:
    """A 404 stops that webhook for good, said once, and other channels continue."""

    def test_stops_and_others_continue(
        self, server: DiscordServer, make_engine: MakeEngine, caplog: pytest.LogCaptureFixture
    ) -> None:
        logs_url = server.create_webhook("logs")
        other_url = server.create_webhook("diagnostics")
        routes = {
            Channel.LOGS: WebhookDestination.parse(logs_url),
            Channel.DIAGNOSTICS: WebhookDestination.parse(other_url),
        }
        harness = make_engine(routes)
        engine = harness.engine
        engine.submit(Channel.LOGS, Note("before"))
        assert engine.flush(10.0)
        server.delete_webhook(logs_url)
        for i in range(3):
            engine.submit(Channel.LOGS, Note(f"lost {i}"))
            engine.submit(Channel.DIAGNOSTICS, Note(f"kept {i}"))
        assert engine.flush(10.0)

        assert not engine.enabled(Channel.LOGS)
        assert not engine.submit(Channel.LOGS, Note("after"))
        assert engine.enabled(Channel.DIAGNOSTICS)
        assert engine.submit(Channel.DIAGNOSTICS, Note("kept 3"))
        assert engine.flush(10.0)

        assert ["kept 0", "kept 1", "kept 2", "kept 3"] == [
            e["title"] for e in server.embeds("diagnostics")
        ]
        assert ["before"] == [e["title"] for e in server.embeds("logs")]
        assert 1 == server.stats().by_status[404]
        assert [] == server.violations
        assert ["disabled"] == harness.kinds(Channel.LOGS)
        assert 3 == harness.events[0].count
        assert 1 == len(warnings_about(caplog, "deleted"))
        stats = engine.stats()[Channel.LOGS]
        assert ("disabled", {"info": 3}, 0) == (stats.state, stats.dropped, stats.queue_depth)
        assert "ok" == engine.stats()[Channel.DIAGNOSTICS].state


class TestBotChannelErrors:
    """403 names the permissions the bot needs; 401 and 404 stop the destination too."""

    def destination(self, server: DiscordServer, channel_id: str, token: str) -> ChannelDestination:
        return ChannelDestination.parse(channel_id, token, api_base=f"{server.base_url}/api")

    def test_missing_embed_links(
        self, server: DiscordServer, make_engine: MakeEngine, caplog: pytest.LogCaptureFixture
    ) -> None:
        token = bot_token()
        server.add_bot(token, permissions={"VIEW_CHANNEL", "SEND_MESSAGES"})
        bot_channel = self.destination(server, server.create_channel("bot-logs"), token)
        webhook = WebhookDestination.parse(server.create_webhook("logs"))
        harness = make_engine({Channel.DIAGNOSTICS: bot_channel, Channel.LOGS: webhook})
        harness.engine.submit(Channel.DIAGNOSTICS, Note("needs embeds"))
        harness.engine.submit(Channel.LOGS, Note("fine"))
        assert harness.engine.flush(10.0)

        (event,) = harness.events
        assert ("disabled", Channel.DIAGNOSTICS) == (event.kind, event.channel)
        assert PERMISSIONS_TEXT in event.detail
        assert "50013" in event.detail
        assert 1 == len(warnings_about(caplog, PERMISSIONS_TEXT))
        assert token not in caplog.text
        assert ["fine"] == [e["title"] for e in server.embeds("logs")]
        assert [] == server.violations

    @pytest.mark.parametrize("case", ["unknown token", "unknown channel"])
    def test_refused(self, case: str, server: DiscordServer, make_engine: MakeEngine) -> None:
        token = bot_token()
        channel_id = server.create_channel("bot-logs")
        if case == "unknown channel":
            server.add_bot(token)
            channel_id = "123456789012345678"
        harness = make_engine({Channel.LOGS: self.destination(server, channel_id, token)})
        harness.engine.submit(Channel.LOGS, Note("x"))
        harness.engine.submit(Channel.LOGS, Note("y"))
        assert harness.engine.flush(10.0)
        assert ["disabled"] == harness.kinds(Channel.LOGS)
        assert not harness.engine.enabled(Channel.LOGS)
        assert 1 == server.stats().requests
        assert [] == server.violations
