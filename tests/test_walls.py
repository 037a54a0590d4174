"""Tests that catch a broken wall: each fails on a mutation an audit found surviving the suite.

Every class names the mutation it kills. They run the real parts: the OTel SDK,
the strict local Discord over loopback, the gateway over real HTTP, or (where a
reply must say something the local Discord never says) an ``httpx.MockTransport``
scripting Discord's answers, as the OTLP exporters' own tests do.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from otel_discord import Channel, DiscordConfig, DiscordSpanExporter
from otel_discord.delivery import DeliveryEngine, WebhookDestination
from otel_discord.delivery.item import StaticItem
from otel_discord.gateway import Fleet, Gateway, GatewaySettings
from otel_discord.gateway._auth import bearer_matches
from otel_discord.intake.convert import span_is_error
from otel_discord.records import Occurrence
from otel_discord.render.storm import STORM_THRESHOLD, render_storm
from otel_discord.state.storm import StormWindow
from otel_discord.testing import DiscordServer, Fault
from tests.conftest import FourChannels
from tests.delivery.support import FAST, wait_until
from tests.gateway.test_fleet import _counter, _points, _resource, _send
from tests.support import QUIET_INTERVALS

T0 = 1_700_000_000_000_000_000
WEBHOOK = "https://discord.com/api/v10/webhooks/1/tok"


def note(title: str) -> StaticItem:
    return StaticItem([{"title": title, "description": "x"}])


class TestPerChannelWebhookWins:
    """Mutation: the default webhook overrides a channel's own webhook."""

    def test_channel_webhook_overrides_the_default(self, discord_server: DiscordServer) -> None:
        """An error span goes to the logs webhook; the default keeps the other channels."""
        default = discord_server.create_webhook("default")
        logs = discord_server.create_webhook("logs")
        config = DiscordConfig.resolve(
            webhook_url=default, webhooks={Channel.LOGS: logs}, env={}, **QUIET_INTERVALS
        )
        assert WebhookDestination.parse(logs) == config.routes[Channel.LOGS]
        assert WebhookDestination.parse(default) == config.routes[Channel.ANALYTICS]
        exporter = DiscordSpanExporter(config)
        provider = TracerProvider(resource=Resource({"service.name": "bot"}))
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        with provider.get_tracer("bot").start_as_current_span("play") as span:
            span.set_status(StatusCode.ERROR, "voice down")
        assert exporter.force_flush(5_000)
        titles = [e["title"] for e in discord_server.embeds("logs")]
        assert 1 == len(titles)
        assert "span play failed" in discord_server.embeds("logs")[0]["description"]
        assert [] == [e for e in discord_server.embeds("default") if "failed" in str(e)]
        provider.shutdown()


class TestGlobalRateLimitPausesEveryDestination:
    """Mutation: a global 429 pauses only the destination that received it."""

    def test_other_webhook_waits_out_a_global_429(self) -> None:
        with DiscordServer(webhook_limit=(5, 0.2), channel_limit=(30, 1.0)) as server:
            server.forced_retry_after = 1.0
            logs = server.create_webhook("logs")
            other = server.create_webhook("other")
            engine = DeliveryEngine(
                {
                    Channel.LOGS: WebhookDestination.parse(logs),
                    Channel.ANALYTICS: WebhookDestination.parse(other),
                },
                policy=FAST,
            )
            try:
                server.inject(Fault.RATE_LIMIT_GLOBAL, count=1, webhook_url=logs)
                engine.submit(Channel.LOGS, note("first"))
                assert wait_until(
                    lambda: engine.stats()[Channel.LOGS].rate_limited == {"global": 1}
                )
                engine.submit(Channel.ANALYTICS, note("second"))
                # The other webhook would go out within the 0.05 s linger if it did not wait.
                assert not wait_until(lambda: server.messages("other") != [], 0.5)
                assert engine.flush(5.0)
                assert ["second"] == [e["title"] for e in server.embeds("other")]
                assert [] == server.violations
            finally:
                engine.shutdown(1.0)


class Script:
    """Discord's answers in order (then 204), and when each request came in."""

    def __init__(self, *responses: httpx.Response) -> None:
        self._responses = list(responses)
        self.times: list[float] = []
        self._lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            self.times.append(time.monotonic())
            return self._responses.pop(0) if self._responses else httpx.Response(204)


@pytest.fixture
def scripted() -> Iterator[Any]:
    engines: list[DeliveryEngine] = []

    def make(script: Script) -> DeliveryEngine:
        engine = DeliveryEngine(
            {Channel.LOGS: WebhookDestination.parse(WEBHOOK)},
            policy=FAST,
            transport=httpx.MockTransport(script),
        )
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        engine.shutdown(0.5)


class TestServerErrorHeaders:
    """Mutation: rate-limit headers on a 5xx are adopted as the bucket's state."""

    def test_5xx_rate_limit_headers_are_ignored(self, scripted: Any) -> None:
        """A 500 claiming the bucket is empty for 30 s must not stop the retry."""
        empty_for_30s = {
            "X-RateLimit-Limit": "5",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset-After": "30",
            "X-RateLimit-Reset": str(time.time() + 30),
            "X-RateLimit-Bucket": "abc",
        }
        script = Script(httpx.Response(500, json={"message": "oops"}, headers=empty_for_30s))
        engine = scripted(script)
        engine.submit(Channel.LOGS, note("kept"))
        assert engine.flush(3.0)
        assert 2 == len(script.times)


class TestAbsurdRetryAfter:
    """Mutation: a 429's retry_after is trusted however long (an hour, 1e9 s)."""

    def test_capped_then_tried_again(self) -> None:
        """One 429 asking for an hour, then Discord answers: the message still goes."""
        script = Script(
            httpx.Response(
                429,
                json={"message": "You are being rate limited.", "retry_after": 3600.0},
                headers={"X-RateLimit-Scope": "user", "Retry-After": "3600"},
            )
        )
        engine = DeliveryEngine(
            {Channel.LOGS: WebhookDestination.parse(WEBHOOK)},
            policy=dataclasses.replace(FAST, max_retry_after_s=0.3),
            transport=httpx.MockTransport(script),
        )
        try:
            engine.submit(Channel.LOGS, note("kept"))
            assert engine.flush(5.0)
            first, second = script.times
            assert 0.3 <= second - first < 3.0
            assert {"user": 1} == engine.stats()[Channel.LOGS].rate_limited
        finally:
            engine.shutdown(0.5)


class TestRetryAfterOn503:
    """Retry-After on a 503 is honoured as on a 429 (not the short computed backoff)."""

    def test_503_retry_after_is_waited(self, scripted: Any) -> None:
        script = Script(
            httpx.Response(503, json={"message": "busy"}, headers={"Retry-After": "0.6"})
        )
        engine = scripted(script)
        engine.submit(Channel.LOGS, note("kept"))
        assert engine.flush(5.0)
        first, second = script.times
        assert second - first >= 0.6  # FAST's first backoff is at most 0.05 s

    def test_503_without_retry_after_backs_off_as_before(self, scripted: Any) -> None:
        script = Script(httpx.Response(503, json={"message": "busy"}))
        engine = scripted(script)
        engine.submit(Channel.LOGS, note("kept"))
        assert engine.flush(5.0)
        assert 2 == len(script.times)
        assert "retrying" != engine.stats()[Channel.LOGS].state


class TestGatewayCounterReset:
    """Mutation: a counter that goes down with the same start time is not seen as a reset."""

    def test_lower_value_same_start_counts_from_zero(self) -> None:
        fleet = Fleet(since_ns=T0)
        resource = _resource(1)
        _send(fleet, resource, _counter(50, 10))
        fleet.merged()
        _send(fleet, resource, _counter(4, 20))  # same start time, lower value: a reset
        assert [4.0] == [p.value for p in _points(fleet.merged(), "discord.commands")]


def _error(i: int) -> Occurrence:
    return Occurrence(T0 + i, 17, "ERROR", "bot", "boom", "svc", exc_type="KeyError")


class TestStormThreshold:
    """Mutation: the storm threshold moved by one (``<`` to ``<=``)."""

    def test_exactly_the_threshold_is_a_storm(self) -> None:
        window = StormWindow(T0)
        for i in range(STORM_THRESHOLD):
            window.add(_error(i))
        [embed] = render_storm(window.close(T0 + 60 * 10**9), service="s", host=None)
        assert f"{STORM_THRESHOLD} errors" in embed["title"]

    def test_one_below_the_threshold_is_quiet(self) -> None:
        window = StormWindow(T0)
        for i in range(STORM_THRESHOLD - 1):
            window.add(_error(i))
        assert [] == render_storm(window.close(T0 + 60 * 10**9), service="s", host=None)


class TestExceptionEventMakesAnError:
    """Mutation: a span with an exception event but no ERROR status is not treated as an error."""

    def test_recorded_exception_without_error_status_reaches_logs(
        self, four_channels: FourChannels
    ) -> None:
        memory = InMemorySpanExporter()
        exporter = DiscordSpanExporter(four_channels.config())
        provider = TracerProvider(resource=Resource({"service.name": "bot"}))
        provider.add_span_processor(SimpleSpanProcessor(memory))
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        with provider.get_tracer("bot").start_as_current_span(
            "fetch", record_exception=False, set_status_on_exception=False
        ) as span:
            span.record_exception(TimeoutError("upstream slow"))
        [finished] = memory.get_finished_spans()
        assert StatusCode.UNSET == finished.status.status_code
        assert span_is_error(finished)
        assert exporter.force_flush(5_000)
        [embed] = four_channels.embeds(Channel.LOGS)
        assert "TimeoutError: upstream slow" in embed["title"]
        provider.shutdown()


class TestGatewayBearerOnly:
    """Mutation: the gateway accepts the right token under another scheme."""

    @pytest.mark.parametrize("scheme", ["Basic", "Token", "Bot", ""])
    def test_other_schemes_are_refused(self, scheme: str) -> None:
        assert not bearer_matches(f"{scheme} sesame".strip(), "sesame")
        assert bearer_matches("Bearer sesame", "sesame")

    def test_receiver_answers_401_to_another_scheme(self, four_channels: FourChannels) -> None:
        memory = InMemorySpanExporter()
        provider = TracerProvider(resource=Resource({"service.name": "bot", "process.pid": 1}))
        provider.add_span_processor(SimpleSpanProcessor(memory))
        with provider.get_tracer("t").start_as_current_span("work"):
            pass
        body = encode_spans(memory.get_finished_spans()).SerializeToString()
        settings = GatewaySettings(port=0, token="open-sesame-0123456789")
        gateway = Gateway(four_channels.config(), settings).start()
        try:
            url = f"{gateway.url}/v1/traces"
            protobuf = {"Content-Type": "application/x-protobuf"}
            answers = [
                httpx.post(url, content=body, headers={**protobuf, "Authorization": auth})
                for auth in (
                    "Token open-sesame-0123456789",
                    "Basic open-sesame-0123456789",
                    "Bearer open-sesame-0123456789",
                )
            ]
            assert [401, 401, 200] == [a.status_code for a in answers]
        finally:
            gateway.stop(2.0)
