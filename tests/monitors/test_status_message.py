"""The live status message in diagnostics, through a real pipeline and the strict local Discord."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from otel_discord import Channel, DiscordConfig
from otel_discord.delivery.item import StaticItem
from otel_discord.delivery.live import LiveMessage
from otel_discord.monitors import HealthReport
from otel_discord.pipeline import Pipeline
from otel_discord.testing import DiscordServer, Fault, Message

from .rig import START_NS, Clock, Rig
from .test_pipeline_monitors import CALM

HEALTH_S = 180


@dataclass
class Status:
    rig: Rig
    pipeline: Pipeline
    server: DiscordServer
    urls: dict[Channel, str]

    @property
    def live(self) -> LiveMessage:
        status = self.pipeline.monitors.status
        assert status is not None
        return status.live

    def diagnostics(self) -> list[Message]:
        assert self.pipeline.flush(5)
        return self.server.messages(Channel.DIAGNOSTICS.value)

    def status_message(self) -> Message:
        found = [m for m in self.diagnostics() if m.id == self.live.message_id]
        assert 1 == len(found)
        return found[0]

    def health_titles(self) -> list[str]:
        return [
            e["title"]
            for m in self.diagnostics()
            for e in m.payload["embeds"]
            if e["title"].startswith("🩺")
        ]

    def check(self, minutes: int = 3, **values: float | None) -> HealthReport:
        """Let ``minutes`` pass with one metric export a minute, then run the health check."""
        for _ in range(minutes):
            self.rig.step(60, **values)
        report = self.pipeline.monitors.check_health()
        assert self.pipeline.flush(5)  # each check delivered (queued ones would merge)
        return report


def fields(message: Message) -> dict[str, str]:
    (embed,) = message.payload["embeds"]
    return {f["name"]: f["value"] for f in embed["fields"]}


def four_webhooks(server: DiscordServer) -> dict[Channel, str]:
    return {channel: server.create_webhook(channel.value) for channel in Channel}


@pytest.fixture
def status(four_channels: Any) -> Iterator[Status]:
    clock = Clock()
    config = four_channels.config(status_message=True, health_interval_ms=HEALTH_S * 1000)
    pipeline = Pipeline(config, clock_ns=clock)
    pipeline.service = "astrobot"
    rig = Rig.build(pipeline, clock)
    rig.values.update(CALM)
    pipeline.start()
    assert pipeline.flush(5)  # posted before the first check (else the two would merge)
    try:
        yield Status(rig, pipeline, four_channels.server, four_channels.urls)
    finally:
        rig.close()
        pipeline.shutdown(5)
        assert [] == four_channels.server.violations


class TestStatusMessage:
    """Posted once at start-up, edited at every health check, edited to Stopped at the end."""

    def test_posted_once_at_start(self, status: Status) -> None:
        """The first version says the process is starting and when the first check comes."""
        titles = [e["title"] for m in status.diagnostics() for e in m.payload["embeds"]]
        assert 2 == len(titles)
        assert titles[0].startswith("🟢 Monitoring started") or titles[1].startswith("🟢 Mon")
        posted = status.status_message()
        (embed,) = posted.payload["embeds"]
        assert "🔵 astrobot · Starting" == embed["title"]
        assert f"Updated <t:{START_NS // 10**9}:R> · next update in 3 min" == embed["description"]
        assert {
            "Health": "first check in 3 min",
            "Uptime": "0 s",
            "Shards": "—",
            "Gateway latency": "—",
            "Last alert": "none",
            "Errors since start": "0",
        } == fields(posted)
        assert (1, 0) == (status.live.created, status.live.edited)

    def test_edited_in_place_at_every_health_check(self, status: Status) -> None:
        """Three checks: one message, three edits, the newest values and relative time."""
        reports = [status.check() for _ in range(3)]
        message = status.status_message()
        assert (1, 3) == (status.live.created, status.live.edited)
        assert message.edited_at is not None
        (embed,) = message.payload["embeds"]
        now_s = status.rig.clock.now_ns // 10**9
        assert now_s == START_NS // 10**9 + 9 * 60
        assert f"Updated <t:{now_s}:R> · next update in 3 min" == embed["description"]
        assert embed["title"].startswith("🟢 astrobot · Good")
        shown = fields(message)
        assert (0, f"**{reports[-1].score}**/100 Good · steady") == (
            reports[-1].change,
            shown["Health"],
        )
        assert {
            "Uptime": "9 min",
            "Shards": "1/1 connected",
            "Gateway latency": "80 ms",
            "Last alert": "none",
            "Errors since start": "18",  # 2 a minute for 9 minutes
        } == {k: v for k, v in shown.items() if k != "Health"}
        titles = [e["title"] for m in status.diagnostics() for e in m.payload["embeds"]]
        assert 3 == len(titles)  # start-up, status, the first full health check
        assert 1 == len(status.health_titles())

    def test_full_health_only_on_change_and_hourly(self, status: Status) -> None:
        """Good, Good, Degraded, Degraded, Good: three full checks; then one an hour."""
        status.check()
        status.check()
        status.check(cpu=96.0, loop_lag=420.0)
        status.check(cpu=96.0, loop_lag=420.0)
        status.check(cpu=20.0, loop_lag=2.0)
        titles = status.health_titles()
        assert 3 == len(titles)
        health = [e for e in status.server.embeds("diagnostics") if e["title"].startswith("🩺")]
        cadence = "in full on status changes and hourly; the status message shows every check"
        assert health[0]["footer"]["text"].endswith(f" · {cadence}")
        assert ["Good", "Degraded", "Good"] == [t.split("— ")[1] for t in titles]
        for _ in range(19):  # 57 minutes since the last full check: no new one
            status.check(minutes=3, cpu=20.0)
        assert 3 == len(status.health_titles())
        status.check(minutes=3)
        assert 4 == len(status.health_titles())
        assert 25 == status.live.edited  # every check edits

    def test_last_alert_and_errors_in_the_last_hour(self, status: Status) -> None:
        """A firing alert shows with its relative time; errors count over the last hour."""
        for _ in range(5):
            status.rig.step(60, cpu=97.0, errors_per_min=0.0)
        fired_s = (START_NS + 4 * 60 * 10**9) // 10**9  # held for 3 min after the first breach
        status.check(minutes=20, cpu=20.0, errors_per_min=0.0)
        assert f"CPU usage · <t:{fired_s}:R>" == fields(status.status_message())["Last alert"]
        status.check(minutes=60, errors_per_min=3.0)
        shown = fields(status.status_message())
        assert "180" == shown["Errors, last hour"]

    def test_edited_to_stopped_at_shutdown(self, status: Status) -> None:
        """A clean shutdown leaves "🔴 Stopped <t:UNIX:f>" with the uptime in the message."""
        status.check()
        status.rig.clock.advance(3600 + 120)
        message_id = status.live.message_id
        assert status.pipeline.shutdown(5)
        (message,) = [m for m in status.server.messages("diagnostics") if m.id == message_id]
        (embed,) = message.payload["embeds"]
        stopped_s = START_NS // 10**9 + 3 * 60 + 3600 + 120
        assert "🔴 astrobot · Stopped" == embed["title"]
        assert f"🔴 Stopped <t:{stopped_s}:f> after 1 h 5 min of uptime." == embed["description"]
        assert "1 h 5 min" == fields(message)["Uptime"]
        assert (1, 2) == (status.live.created, status.live.edited)

    def test_posted_again_after_someone_deleted_it(self, status: Status) -> None:
        """A 404 code 10008 on edit: a new message, edited from then on; nothing reused."""
        status.check()
        first = status.status_message().id
        status.server.delete_message(first)
        status.check()
        second = status.status_message()
        assert first != second.id
        assert {10008: 1} == status.server.stats().by_code
        status.check()
        assert second.id == status.status_message().id
        assert (2, 2) == (status.live.created, status.live.edited)


class TestOddNames:
    """The status message is fitted like every other message: limits, encoding, username."""

    @pytest.mark.parametrize(
        ("service", "username"),
        [("s" * 2100, None), ("svc-\udcff-bad", None), ("astrobot", "MyDiscordBot")],
    )
    def test_posted_and_edited(
        self, four_channels: Any, service: str, username: str | None
    ) -> None:
        clock = Clock()
        config = four_channels.config(
            status_message=True, health_interval_ms=HEALTH_S * 1000, username=username
        )
        pipeline = Pipeline(config, clock_ns=clock)
        pipeline.service = service
        rig = Rig.build(pipeline, clock)
        rig.values.update(CALM)
        try:
            pipeline.start()
            assert pipeline.flush(5)
            for _ in range(3):
                rig.step(60)
            pipeline.monitors.check_health()
            assert pipeline.flush(5)
            live = pipeline.monitors.status
            assert live is not None
            assert (1, 1) == (live.live.created, live.live.edited)
        finally:
            rig.close()
            pipeline.shutdown(5)
        assert [] == four_channels.server.violations


class TestSwitchedOff:
    """``OTEL_EXPORTER_DISCORD_STATUS_MESSAGE=false`` restores a full check every interval."""

    def test_every_interval_posts_the_full_check(self, four_channels: Any) -> None:
        clock = Clock()
        env = {"OTEL_EXPORTER_DISCORD_STATUS_MESSAGE": "false"}
        config = DiscordConfig.resolve(webhooks=dict(four_channels.urls), env=env)
        pipeline = Pipeline(config, clock_ns=clock)
        rig = Rig.build(pipeline, clock)
        rig.values.update(CALM)
        try:
            for _ in range(3):
                rig.step(60)
                pipeline.monitors.check_health()
                assert pipeline.flush(5)
        finally:
            rig.close()
            pipeline.shutdown(5)
        assert pipeline.monitors.status is None
        titles = [e["title"] for e in four_channels.embeds(Channel.DIAGNOSTICS)]
        assert 3 == sum(t.startswith("🩺 Health") for t in titles)
        assert not any("· Starting" in t or "· Stopped" in t for t in titles)


class TestEditBucket:
    """Edits wait for their own bucket, read from Discord's headers, and never overrun it."""

    def test_never_edited_faster_than_the_bucket_allows(self) -> None:
        with DiscordServer(webhook_limit=(3, 0.5), channel_limit=(300, 1.0)) as server:
            config = DiscordConfig.resolve(webhooks=four_webhooks(server), env={})
            pipeline = Pipeline(config)
            status = pipeline.monitors.status
            assert status is not None
            try:
                started = time.monotonic()
                for i in range(10):
                    status.live.update([{"title": f"version {i}"}])
                    assert status.live.settle(5)
                elapsed = time.monotonic() - started
            finally:
                pipeline.shutdown(5)
            assert (1, 9) == (status.live.created, status.live.edited)
            assert [] == server.violations
            assert {} == server.stats().rate_limited
            # 9 edits at 3 per 0.5 s: at least two full windows must pass.
            assert elapsed >= 1.0
            (message,) = server.messages("diagnostics")
            assert [{"title": "version 9"}] == message.payload["embeds"]

    def test_a_429_on_edit_is_waited_out(self) -> None:
        """An edit answered 429 is sent again only after ``retry_after``, in its own bucket."""
        with DiscordServer(webhook_limit=(50, 1.0), channel_limit=(300, 1.0)) as server:
            config = DiscordConfig.resolve(webhooks=four_webhooks(server), env={})
            pipeline = Pipeline(config)
            status = pipeline.monitors.status
            assert status is not None
            try:
                status.live.update([{"title": "first"}])
                assert status.live.settle(5)
                server.forced_retry_after = 0.3
                server.inject(Fault.RATE_LIMIT_USER)
                status.live.update([{"title": "second"}])
                assert status.live.settle(5)
            finally:
                pipeline.shutdown(5)
            assert (1, 1) == (status.live.created, status.live.edited)
            assert {"user": 1} == server.stats().rate_limited
            assert [] == server.violations
            (message,) = server.messages("diagnostics")
            assert [{"title": "second"}] == message.payload["embeds"]


class TestBotRoute:
    """Posting as the bot: the create returns the message, edits PATCH the channel message."""

    def test_created_and_edited_on_the_channel_route(self) -> None:
        with DiscordServer(webhook_limit=(50, 1.0), channel_limit=(300, 1.0)) as server:
            channel = server.create_channel("diagnostics")
            server.add_bot("bot-token-1", name="astrobot")
            config = DiscordConfig.resolve(
                channel_ids={"diagnostics": channel},
                bot_token="bot-token-1",
                api_base_url=f"{server.base_url}/api/v10",
                env={},
            )
            clock = Clock()
            pipeline = Pipeline(config, clock_ns=clock)
            pipeline.service = "astrobot"
            try:
                pipeline.start()
                assert pipeline.flush(5)
                clock.advance(180)
                pipeline.monitors.check_health()
                assert pipeline.flush(5)
            finally:
                pipeline.shutdown(5)
            status = pipeline.monitors.status
            assert status is not None
            assert (1, 2) == (status.live.created, status.live.edited)
            (message,) = [
                m for m in server.messages("diagnostics") if m.id == status.live.message_id
            ]
            assert "astrobot" == message.author
            assert "🔴 astrobot · Stopped" == message.payload["embeds"][0]["title"]
            assert [] == server.violations


class TestDeletedWebhook:
    """The status message finding its webhook deleted stops the channel, without a retry."""

    def test_edit_answered_unknown_webhook_stops_the_channel(self, status: Status) -> None:
        status.check()
        status.server.delete_webhook(status.urls[Channel.DIAGNOSTICS])
        status.check()  # Good again: only the edit goes out, and Discord says 10015
        assert status.live.disabled
        status.pipeline.submit(Channel.DIAGNOSTICS, StaticItem([{"title": "after"}]))
        assert status.pipeline.flush(5)
        assert not status.pipeline.engine.enabled(Channel.DIAGNOSTICS)
        assert {10015: 1} == status.server.stats().by_code
        assert [] == status.server.violations  # nothing came back to the deleted webhook


class TestNoSecrets:
    """Nothing the status message logs, at any level, carries the webhook token."""

    def test_failures_are_logged_without_the_token(
        self, status: Status, caplog: pytest.LogCaptureFixture
    ) -> None:
        tokens = [url.rsplit("/", 1)[-1] for url in status.urls.values()]
        with caplog.at_level(logging.DEBUG):
            status.server.inject(Fault.SERVER_ERROR)  # retried with backoff
            status.check()
            assert ({500: 1}, 1) == (status.server.stats().by_status, status.live.edited)
            status.server.delete_message(status.status_message().id)  # posted again
            status.check()
            status.server.delete_webhook(status.urls[Channel.DIAGNOSTICS])  # stopped
            status.check()
        assert status.live.disabled
        assert caplog.records
        assert not [t for t in tokens if t in caplog.text]
        assert not [t for t in tokens if t in repr(status.live.__dict__)]
