"""Fixtures for the strict local Discord's own tests."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from otel_discord.testing import DiscordServer
from tests.support import UA, UNLIMITED


@pytest.fixture
def srv() -> Iterator[DiscordServer]:
    """A server with limits out of reach; any internal error fails the test."""
    with DiscordServer(
        webhook_limit=UNLIMITED, channel_limit=UNLIMITED, global_limit=UNLIMITED
    ) as server:
        yield server
        assert server.internal_errors == []


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(headers=UA, timeout=5) as fresh:
        yield fresh
