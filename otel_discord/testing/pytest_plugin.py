"""A pytest fixture for the strict local Discord.

Enable it with ``pytest_plugins = ["otel_discord.testing.pytest_plugin"]`` in your
root ``conftest.py``, then::

    def test_alert_is_posted(discord_server):
        url = discord_server.create_webhook("alerts")
        ...  # run code that posts to url
        assert discord_server.violations == []
        assert discord_server.messages("alerts")
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from otel_discord.localdiscord import DiscordServer


@pytest.fixture
def discord_server() -> Iterator[DiscordServer]:
    """A started ``DiscordServer`` with Discord's default limits, stopped after the test."""
    with DiscordServer() as server:
        yield server
