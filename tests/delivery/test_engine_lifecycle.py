"""Overflow, merging, flush, shutdown, exit, and secrets: no silent loss, no hang, no leak."""

from __future__ import annotations

import logging
import re
import secrets
import subprocess
import sys
import textwrap
import time

import pytest

from otel_discord.channels import Channel
from otel_discord.delivery import (
    ChannelDestination,
    DeliveryEngine,
    Item,
    Priority,
    StatusEvent,
    WebhookDestination,
)
from otel_discord.testing import DiscordServer, Fault

from .items import Note
from .support import FAST, MakeEngine, wait_until


class TestOverflow:
    """A full outbox drops the least important items and the next message says so."""

    def test_errors_survive_and_loss_is_announced(
        self, server: DiscordServer, make_engine: MakeEngine
    ) -> None:
        url = server.create_webhook("logs")
        harness = make_engine({Channel.LOGS: WebhookDestination.parse(url)}, max_queue_size=10)
        server.down()
        submitted = []
        for i in range(40):
            priority = Priority.ERROR if i % 8 == 0 else Priority.INFO
            submitted.append(f"{priority.name} {i}")
            assert harness.engine.submit(Channel.LOGS, Note(submitted[-1], priority))
        dropped = harness.engine.stats()[Channel.LOGS].dropped
        server.up()
        assert harness.engine.flush(15.0)

        titles = [e["title"] for e in server.embeds("logs")]
        notices = [t for t in titles if "dropped" in t]
        delivered = [t for t in titles if "dropped" not in t]
        assert [t for t in submitted if t.startswith("ERROR")] == [
            t for t in delivered if t.startswith("ERROR")
        ]
        assert set(dropped) == {"info"}
        assert 40 == len(delivered) + dropped["info"]
        # Drops may be announced in one notice or, if the sender took a batch in the
        # middle of the burst, in two: together they account for every loss.
        announced = [int(re.search(r"(\d+) items? dropped", t)[1]) for t in notices]  # type: ignore[index]
        assert dropped["info"] == sum(announced)
        assert sum(announced) == sum(e.count for e in harness.events if e.kind == "dropped")
        assert [] == server.violations


class TestMerge:
    """Identical items queued while Discord is unreachable merge instead of piling up."""

    def test_counts_add_up(self, server: DiscordServer, make_engine: MakeEngine) -> None:
        url = server.create_webhook("logs")
        harness = make_engine({Channel.LOGS: WebhookDestination.parse(url)})
        server.down()
        for _ in range(50):
            harness.engine.submit(Channel.LOGS, Note("boom", key="boom"))
        assert harness.engine.stats()[Channel.LOGS].queue_depth <= 2
        server.up()
        assert harness.engine.flush(10.0)
        counts = [
            int(m[1]) if (m := re.fullmatch(r"boom x(\d+)", e["title"])) else 1
            for e in server.embeds("logs")
        ]
        assert 50 == sum(counts)
        assert len(counts) <= 2


class TestFlush:
    """Flush reports whether everything queued so far settled in time."""

    def test_nothing_queued(self, make_engine: MakeEngine, server: DiscordServer) -> None:
        harness = make_engine({Channel.LOGS: WebhookDestination.parse(server.create_webhook())})
        assert harness.engine.flush(0.0)

    def test_false_when_discord_is_down(
        self, server: DiscordServer, make_engine: MakeEngine
    ) -> None:
        harness = make_engine({Channel.LOGS: WebhookDestination.parse(server.create_webhook())})
        server.down()
        harness.engine.submit(Channel.LOGS, Note("x"))
        assert not harness.engine.flush(0.3)
        assert 1 == harness.engine.stats()[Channel.LOGS].queue_depth


class TestSubmit:
    """Submit answers at once, refuses unknown channels and never raises."""

    def test_unrouted_channel(self, server: DiscordServer, make_engine: MakeEngine) -> None:
        harness = make_engine({Channel.LOGS: WebhookDestination.parse(server.create_webhook())})
        assert not harness.engine.enabled(Channel.ANALYTICS)
        assert not harness.engine.submit(Channel.ANALYTICS, Note("x"))

    def test_broken_item_never_raises(self, server: DiscordServer, make_engine: MakeEngine) -> None:
        class BadKey(Item):
            @property
            def key(self) -> str:  # type: ignore[override]
                msg = "bug"
                raise RuntimeError(msg)

        harness = make_engine({Channel.LOGS: WebhookDestination.parse(server.create_webhook())})
        assert not harness.engine.submit(Channel.LOGS, BadKey())
        assert 1 == harness.engine.submit_errors

    def test_failing_callback_does_not_break_delivery(self, server: DiscordServer) -> None:
        def explode(event: StatusEvent) -> None:
            raise RuntimeError(event.kind)

        server.inject(Fault.SERVER_ERROR, count=3)
        url = server.create_webhook("logs")
        engine = DeliveryEngine(
            {Channel.LOGS: WebhookDestination.parse(url)}, on_status=explode, policy=FAST
        )
        try:
            engine.submit(Channel.LOGS, Note("x"))
            assert engine.flush(10.0)
            assert ["x"] == [e["title"] for e in server.embeds("logs")]
        finally:
            engine.shutdown(1.0)


class TestShutdown:
    """Shutdown keeps its deadline whatever Discord does, and is idempotent."""

    @pytest.mark.parametrize("trouble", ["down", "global rate limit", "slow"])
    def test_full_queue_within_deadline(
        self, trouble: str, server: DiscordServer, make_engine: MakeEngine
    ) -> None:
        url = server.create_webhook("logs")
        harness = make_engine({Channel.LOGS: WebhookDestination.parse(url)}, max_queue_size=1000)
        if trouble == "down":
            server.down()
        elif trouble == "global rate limit":
            server.forced_retry_after = 60.0
            server.inject(Fault.RATE_LIMIT_GLOBAL)
        else:
            server.slow_seconds = 30.0
            server.inject(Fault.SLOW, count=100)
        for i in range(1000):
            harness.engine.submit(Channel.LOGS, Note(f"n{i}"))
        if trouble == "global rate limit":
            assert wait_until(lambda: server.stats().requests > 0, 5.0)
        else:
            time.sleep(0.2)  # let the first request go out (or fail); nothing to observe
        started = time.monotonic()
        assert not harness.engine.shutdown(1.0)
        assert time.monotonic() - started < 1.0 + 2.0
        stats = harness.engine.stats()[Channel.LOGS]
        assert 0 == stats.queue_depth
        assert 1000 == sum(stats.dropped.values()) + stats.sent_embeds

    def test_idempotent(self, server: DiscordServer, make_engine: MakeEngine) -> None:
        harness = make_engine({Channel.LOGS: WebhookDestination.parse(server.create_webhook())})
        harness.engine.submit(Channel.LOGS, Note("x"))
        assert harness.engine.shutdown(5.0)
        assert harness.engine.shutdown(5.0)
        assert not harness.engine.submit(Channel.LOGS, Note("y"))
        assert not harness.engine.enabled(Channel.LOGS)
        assert 1 == len(server.messages())

    def test_atexit_delivers_what_is_queued(self, server: DiscordServer) -> None:
        url = server.create_webhook("logs")
        script = textwrap.dedent(
            f"""
            from otel_discord.channels import Channel
            from otel_discord.delivery import DeliveryEngine, StaticItem, WebhookDestination
            engine = DeliveryEngine({{Channel.LOGS: WebhookDestination.parse({url!r})}})
            for i in range(3):
                engine.submit(Channel.LOGS, StaticItem([{{"title": f"exit {{i}}"}}]))
            """
        )
        subprocess.run([sys.executable, "-c", script], check=True, timeout=30)
        assert ["exit 0", "exit 1", "exit 2"] == [e["title"] for e in server.embeds("logs")]


class TestSecrets:
    """Tokens appear in no log line, status event, stats or repr."""

    def test_no_token_anywhere(
        self, server: DiscordServer, make_engine: MakeEngine, caplog: pytest.LogCaptureFixture
    ) -> None:
        caplog.set_level(logging.DEBUG)
        bot_token = f"MTA.{secrets.token_urlsafe(30)}"
        server.add_bot(bot_token, permissions={"VIEW_CHANNEL"})
        deleted = server.create_webhook("gone")
        working = server.create_webhook("logs")
        server.delete_webhook(deleted)
        routes = {
            Channel.ANALYTICS: WebhookDestination.parse(deleted),
            Channel.LOGS: WebhookDestination.parse(working),
            Channel.DIAGNOSTICS: ChannelDestination.parse(
                server.create_channel("bot"), bot_token, api_base=f"{server.base_url}/api"
            ),
        }
        server.inject(Fault.SERVER_ERROR, count=3, webhook_url=working)
        harness = make_engine(routes)
        for channel in routes:
            harness.engine.submit(channel, Note("x"))
        assert harness.engine.flush(10.0)
        assert {"disabled", "failing", "recovered"} <= {e.kind for e in harness.events}
        assert "HTTP Request" not in caplog.text  # our own requests stay off the bot's logs

        tokens = [bot_token, deleted.rsplit("/", 1)[1], working.rsplit("/", 1)[1]]
        exposed = [
            caplog.text,
            repr(harness.engine),
            repr(harness.engine.stats()),
            *(repr(e) for e in harness.events),
            *(repr(d) for d in routes.values()),
        ]
        for token in tokens:
            assert not [text for text in exposed if token in text]
