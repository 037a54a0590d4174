"""Fixtures for delivery tests: a strict local Discord with short windows, and engines."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from otel_discord.channels import Channel
from otel_discord.delivery import DeliveryEngine
from otel_discord.delivery.destination import Destination
from otel_discord.testing import DiscordServer

from .support import CHANNEL_LIMIT, FAST, WEBHOOK_LIMIT, Harness, MakeEngine


@pytest.fixture
def server() -> Iterator[DiscordServer]:
    """A strict local Discord with windows short enough for fast tests."""
    with DiscordServer(webhook_limit=WEBHOOK_LIMIT, channel_limit=CHANNEL_LIMIT) as srv:
        srv.forced_retry_after = 0.2
        yield srv
        assert [] == srv.internal_errors


@pytest.fixture
def make_engine() -> Iterator[MakeEngine]:
    """Build engines that record their status events; all are shut down afterwards."""
    made: list[DeliveryEngine] = []

    def make(routes: Mapping[Channel, Destination], **kwargs: Any) -> Harness:
        kwargs.setdefault("policy", FAST)
        events: list[Any] = []
        engine = DeliveryEngine(routes, on_status=events.append, **kwargs)
        made.append(engine)
        return Harness(engine, events)

    yield make
    for engine in made:
        engine.shutdown(0.5)
