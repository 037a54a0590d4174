"""Fixtures for reliability tests: the strict server, fast delivery, and whole stacks."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from otel_discord import Channel, DiscordConfig, Telemetry, configure
from otel_discord.delivery import DeliveryEngine, StatusEvent
from otel_discord.delivery.destination import Destination
from otel_discord.delivery.transport import Transport
from otel_discord.pipeline import Pipeline
from otel_discord.render.types import Payload
from otel_discord.testing import DiscordServer

from .stack import CHANNEL_LIMIT, FAST, QUIET, WEBHOOK_LIMIT, Delivery, RequestLog, Stack


@pytest.fixture
def fast_delivery(monkeypatch: pytest.MonkeyPatch) -> Delivery:
    """Pipelines built during the test use ``delivery.policy``; status events are recorded."""
    delivery = Delivery(FAST)
    real_on_status = Pipeline._on_status

    def engine(*args: Any, **kwargs: Any) -> DeliveryEngine:
        kwargs.setdefault("policy", delivery.policy)
        return DeliveryEngine(*args, **kwargs)

    def on_status(self: Pipeline, event: StatusEvent) -> None:
        delivery.events.append(event)
        real_on_status(self, event)

    monkeypatch.setattr("otel_discord.pipeline.DeliveryEngine", engine)
    monkeypatch.setattr(Pipeline, "_on_status", on_status)
    return delivery


@pytest.fixture
def request_log(monkeypatch: pytest.MonkeyPatch) -> RequestLog:
    """Records every POST the delivery engines make, with client-side times."""
    log = RequestLog()
    real_post = Transport.post

    def post(
        self: Transport, destination: Destination, payload: Payload, timeout_s: float
    ) -> httpx.Response:
        sent = time.monotonic()
        response = real_post(self, destination, payload, timeout_s)
        log.record(sent, time.monotonic(), response)
        return response

    monkeypatch.setattr(Transport, "post", post)
    return log


@pytest.fixture
def strict_server() -> Iterator[DiscordServer]:
    """A strict local Discord with short windows; its own bugs fail the test."""
    with DiscordServer(webhook_limit=WEBHOOK_LIMIT, channel_limit=CHANNEL_LIMIT) as srv:
        srv.forced_retry_after = 0.2
        yield srv
        assert [] == srv.internal_errors


@pytest.fixture
def make_stack(
    strict_server: DiscordServer, fast_delivery: Delivery
) -> Iterator[Callable[..., Stack]]:
    """``make_stack(**settings)``: a webhook per channel (unless ``config`` is given) and
    ``configure()``; everything is shut down after the test."""
    built: list[Telemetry] = []

    def make(
        *,
        server: DiscordServer | None = None,
        system_metrics: bool = False,
        instrument_discord: bool = False,
        config: DiscordConfig | None = None,
        **settings: Any,
    ) -> Stack:
        srv = server or strict_server
        urls: dict[Channel, str] = {}
        if config is None:
            hooks: dict[Channel | str, str] = {}
            for channel in Channel:
                hooks[channel] = urls[channel] = srv.create_webhook(channel.value)
            config = DiscordConfig.resolve(webhooks=hooks, env={}, **{**QUIET, **settings})
        telemetry = configure(
            service_name="reliabot",
            config=config,
            system_metrics=system_metrics,
            instrument_discord=instrument_discord,
            set_global=False,
        )
        built.append(telemetry)
        return Stack(srv, telemetry, urls, fast_delivery.events)

    yield make
    for telemetry in built:
        telemetry.shutdown()
