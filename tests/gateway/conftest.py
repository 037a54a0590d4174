"""Fixtures for the gateway tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest

from otel_discord.gateway import Gateway, GatewaySettings
from tests.conftest import FourChannels


@pytest.fixture
def make_gateway(four_channels: FourChannels) -> Iterator[Any]:
    """Start gateways on a free port posting to ``four_channels``; all stopped afterwards."""
    with ExitStack() as stack:

        def make(config: Any = None, **settings: Any) -> Gateway:
            gateway = Gateway(config or four_channels.config(), GatewaySettings(port=0, **settings))
            stack.callback(gateway.stop, 2.0)
            return gateway.start()

        yield make
