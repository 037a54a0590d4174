"""Test tools for code that posts to Discord: the public face of the strict local Discord.

``DiscordServer`` (from :mod:`otel_discord.localdiscord`) serves Discord's message
routes on 127.0.0.1 and behaves as Discord does: limits validated, rate-limit
headers and 429s, faults on demand, protocol violations recorded. See that
module for the full list. Usage::

    from otel_discord.testing import DiscordServer, Fault

    with DiscordServer(webhook_limit=(5, 0.2)) as srv:
        url = srv.create_webhook("logs")  # unversioned, as Discord's UI shows it
        ...  # post to url with /api/v10/, a DiscordBot User-Agent and allowed_mentions
        assert srv.violations == []
        print(srv.embeds("logs"), srv.stats())

A pytest fixture, ``discord_server``, lives in ``otel_discord.testing.pytest_plugin``.
A real discord.py bot driven offline by raw gateway payloads is in
:mod:`otel_discord.offline`.
"""

from __future__ import annotations

from otel_discord.localdiscord import (
    DiscordServer,
    Fault,
    Message,
    Stats,
    Verdict,
    Violation,
    ViolationKind,
    check_message,
)

__all__ = [
    "DiscordServer",
    "Fault",
    "Message",
    "Stats",
    "Verdict",
    "Violation",
    "ViolationKind",
    "check_message",
]
