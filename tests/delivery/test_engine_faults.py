"""Every fault Discord can throw is recovered from, or its loss is counted and reported."""

from __future__ import annotations

import dataclasses
import json
import logging

import httpx
import pytest

from otel_discord.channels import Channel
from otel_discord.delivery import DeliveryPolicy, WebhookDestination
from otel_discord.delivery.refusal_notice import TITLE as NOTICE_TITLE
from otel_discord.testing import DiscordServer, Fault

from .items import Note
from .support import FAST, MakeEngine, wait_until

EXPECTED = [f"note {i}" for i in range(5)]


def submit_all(harness_engine: object, titles: list[str]) -> None:
    for title in titles:
        assert harness_engine.submit(Channel.LOGS, Note(title))  # type: ignore[attr-defined]


def delivered(server: DiscordServer) -> list[str]:
    return [e["title"] for e in server.embeds("logs")]


class TestRetriedFaults:
    """5xx, HTML 502, resets and timeouts are retried with the items kept."""

    @pytest.mark.parametrize(
        "fault",
        [Fault.SERVER_ERROR, Fault.BAD_GATEWAY_HTML, Fault.SERVICE_UNAVAILABLE, Fault.RESET],
    )
    def test_recovers(self, fault: Fault, server: DiscordServer, make_engine: MakeEngine) -> None:
        url = server.create_webhook("logs")
        server.inject(fault, count=3)
        harness = make_engine({Channel.LOGS: WebhookDestination.parse(url)})
        submit_all(harness.engine, EXPECTED)
        assert harness.engine.flush(10.0)
        assert EXPECTED == delivered(server)
        stats = harness.engine.stats()[Channel.LOGS]
        assert (3, "ok") == (stats.retries, stats.state)
        assert stats.last_error is not None
        assert ["failing", "recovered"] == harness.kinds(Channel.LOGS)
        assert [] == server.violations

    def test_timeout(self, server: DiscordServer, make_engine: MakeEngine) -> None:
        url = server.create_webhook("logs")
        server.slow_seconds = 1.0
        server.inject(Fault.SLOW, count=1)
        harness = make_engine({Channel.LOGS: WebhookDestination.parse(url)}, timeout_s=0.3)
        submit_all(harness.engine, EXPECTED)
        assert harness.engine.flush(10.0)
        # The slow request may land after we gave up on it: a duplicate, never a loss.
        assert wait_until(lambda: len(server.messages("logs")) == 2, 5.0)
        assert set(EXPECTED) == set(delivered(server))
        assert "ReadTimeout" in (harness.engine.stats()[Channel.LOGS].last_error or "")

    def test_slow_discord_gets_more_time_not_more_copies(
        self, server: DiscordServer, make_engine: MakeEngine
    ) -> None:
        """Discord answering after 1 s to a 0.3 s timeout posts every attempt anyway: waits of
        0.3, 0.6 then 1.2 s post 3 copies, where retrying at 0.3 s posted one per attempt."""
        url = server.create_webhook("logs")
        server.slow_seconds = 1.0
        server.inject(Fault.SLOW, count=5)
        harness = make_engine({Channel.LOGS: WebhookDestination.parse(url)}, timeout_s=0.3)
        submit_all(harness.engine, EXPECTED)
        assert harness.engine.flush(15.0)
        assert wait_until(lambda: len(server.messages("logs")) >= 3, 5.0)
        time_for_stragglers = 1.5
        assert not wait_until(lambda: len(server.messages("logs")) > 3, time_for_stragglers)
        assert 3 == len(server.messages("logs"))
        assert set(EXPECTED) == set(delivered(server))
        assert 2 == harness.engine.stats()[Channel.LOGS].retries

    def test_shutdown_under_a_request_in_flight_closes_the_client(
        self, server: DiscordServer, make_engine: MakeEngine, caplog: pytest.LogCaptureFixture
    ) -> None:
        """A slow Discord outlives the deadline: the client (its sockets) is closed anyway,
        the sender ends, and nothing is logged as a sender failure."""
        url = server.create_webhook("logs")
        server.slow_seconds = 2.0
        server.inject(Fault.SLOW, count=1)
        harness = make_engine({Channel.LOGS: WebhookDestination.parse(url)}, timeout_s=5.0)
        submit_all(harness.engine, EXPECTED)  # sent at once or by shutdown's flush: in flight
        with caplog.at_level(logging.WARNING, logger="otel_discord"):
            harness.engine.shutdown(0.2)
            assert harness.engine._core.transport._client is None  # closed, not left open
            senders = list(harness.engine._senders.values())
            assert wait_until(lambda: all(s.join(0.0) for s in senders), 5.0)
        assert "failed; dropping the message in hand" not in caplog.text

    def test_server_down_then_up(self, server: DiscordServer, make_engine: MakeEngine) -> None:
        url = server.create_webhook("logs")
        harness = make_engine({Channel.LOGS: WebhookDestination.parse(url)})
        server.down()
        submit_all(harness.engine, EXPECTED)
        assert wait_until(lambda: "failing" in harness.kinds(Channel.LOGS))
        assert "retrying" == harness.engine.stats()[Channel.LOGS].state
        server.up()
        assert harness.engine.flush(10.0)
        assert EXPECTED == delivered(server)
        assert ["failing", "recovered"] == harness.kinds(Channel.LOGS)


class TestRateLimits:
    """429s are waited out exactly as long as Discord asks, never ignored."""

    @pytest.mark.parametrize(
        ("fault", "scope"),
        [
            (Fault.RATE_LIMIT_USER, "user"),
            (Fault.RATE_LIMIT_GLOBAL, "global"),
            (Fault.RATE_LIMIT_SHARED, "shared"),
        ],
    )
    def test_waits_retry_after(
        self, fault: Fault, scope: str, server: DiscordServer, make_engine: MakeEngine
    ) -> None:
        url = server.create_webhook("logs")
        server.inject(fault, count=1)
        harness = make_engine({Channel.LOGS: WebhookDestination.parse(url)})
        submit_all(harness.engine, EXPECTED)
        assert harness.engine.flush(10.0)
        assert EXPECTED == delivered(server)
        assert {scope: 1} == harness.engine.stats()[Channel.LOGS].rate_limited
        assert [] == server.violations

    def test_cloudflare_ban_is_recovered(
        self, server: DiscordServer, make_engine: MakeEngine
    ) -> None:
        url = server.create_webhook("logs")
        server.inject(Fault.CLOUDFLARE_BAN, count=1)
        harness = make_engine({Channel.LOGS: WebhookDestination.parse(url)})
        submit_all(harness.engine, EXPECTED)
        assert harness.engine.flush(10.0)
        assert EXPECTED == delivered(server)
        assert {"cloudflare": 1} == harness.engine.stats()[Channel.LOGS].rate_limited
        assert ["failing", "recovered"] == harness.kinds(Channel.LOGS)

    def test_cloudflare_ban_pauses_every_destination_on_the_host(
        self, server: DiscordServer, make_engine: MakeEngine
    ) -> None:
        logs = WebhookDestination.parse(server.create_webhook("logs"))
        other = WebhookDestination.parse(server.create_webhook("other"))
        server.inject(Fault.CLOUDFLARE_BAN, count=1)
        long_ban = dataclasses.replace(FAST, ban_base_s=60.0)
        harness = make_engine({Channel.LOGS: logs, Channel.ANALYTICS: other}, policy=long_ban)
        harness.engine.submit(Channel.LOGS, Note("first"))
        assert wait_until(lambda: "failing" in harness.kinds(Channel.LOGS))
        assert "Cloudflare" in harness.events[0].detail
        harness.engine.submit(Channel.ANALYTICS, Note("second"))
        assert not harness.engine.flush(0.5)  # the other webhook would go out within 0.05 s
        assert 1 == server.stats().requests
        assert not harness.engine.shutdown(0.2)
        stats = harness.engine.stats()
        assert {"info": 1} == stats[Channel.LOGS].dropped == stats[Channel.ANALYTICS].dropped

    def test_invalid_request_budget_pauses_the_host(
        self, server: DiscordServer, make_engine: MakeEngine
    ) -> None:
        url = server.create_webhook("logs")
        server.inject(Fault.RATE_LIMIT_USER, count=20)
        policy = DeliveryPolicy(channel_rate=FAST.channel_rate, invalid_pause_at=2)
        harness = make_engine({Channel.LOGS: WebhookDestination.parse(url)}, policy=policy)
        harness.engine.submit(Channel.LOGS, Note("x", urgent=True))
        assert not harness.engine.flush(1.0)  # 3 forced 429s would fit in this second
        assert 2 == server.invalid_requests
        assert not harness.engine.shutdown(0.1)


class _CorruptTitles(httpx.BaseTransport):
    """Passes requests to the real server, making titles marked BAD too long."""

    def __init__(self) -> None:
        self._inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        if b"BAD" in body:
            data = json.loads(body)
            for embed in data["embeds"]:
                if "BAD" in embed["title"]:
                    embed["title"] = "x" * 300
            headers = {k: v for k, v in request.headers.items() if k.lower() != "content-length"}
            request = httpx.Request(request.method, request.url, headers=headers, json=data)
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()


class TestRefusedMessages:
    """A 400 drops that message only and says why; a 413 is split once."""

    def test_bad_request_is_reported_and_dropped(
        self, server: DiscordServer, make_engine: MakeEngine, caplog: pytest.LogCaptureFixture
    ) -> None:
        url = server.create_webhook("logs")
        harness = make_engine(
            {Channel.LOGS: WebhookDestination.parse(url)}, transport=_CorruptTitles()
        )
        harness.engine.submit(Channel.LOGS, Note("BAD one", urgent=True))
        assert harness.engine.flush(10.0)
        submit_all(harness.engine, EXPECTED)
        assert harness.engine.flush(10.0)
        assert [NOTICE_TITLE, *EXPECTED] == delivered(server)  # the refused one's notice first
        (event,) = harness.events
        assert "bad_request" == event.kind
        assert "50035" in event.detail
        assert "embeds.0.title" in event.detail
        assert 1 == harness.engine.stats()[Channel.LOGS].failed
        assert any(
            "embeds.0.title" in r.getMessage()
            for r in caplog.records
            if r.levelno == logging.WARNING
        )

    def test_too_large_is_split(self, server: DiscordServer, make_engine: MakeEngine) -> None:
        url = server.create_webhook("logs")
        server.max_body_bytes = 1500
        harness = make_engine({Channel.LOGS: WebhookDestination.parse(url)})
        titles = [f"big {i}" for i in range(6)]
        for title in titles:
            harness.engine.submit(Channel.LOGS, Note(title, description="y" * 400))
        assert harness.engine.flush(10.0)
        assert titles == delivered(server)
        assert 2 == len(server.messages("logs"))

    def test_too_large_alone_is_dropped_and_counted(
        self, server: DiscordServer, make_engine: MakeEngine
    ) -> None:
        url = server.create_webhook("logs")
        server.max_body_bytes = 500
        harness = make_engine({Channel.LOGS: WebhookDestination.parse(url)})
        harness.engine.submit(Channel.LOGS, Note("huge", description="z" * 1000))
        assert harness.engine.flush(10.0)
        assert [NOTICE_TITLE] == delivered(server)  # a short notice says what was lost
        assert "**Lost:** huge" in server.embeds("logs")[0]["description"]
        assert 1 == harness.engine.stats()[Channel.LOGS].failed
        assert ["bad_request"] == harness.kinds(Channel.LOGS)
