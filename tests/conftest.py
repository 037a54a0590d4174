"""Shared fixtures: a strict local Discord with four channels, and clean pipelines per test."""

from __future__ import annotations

import re
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from otel_discord import Channel, DiscordConfig
from otel_discord.pipeline import Pipeline
from otel_discord.testing import DiscordServer
from tests.support import QUIET_INTERVALS


@dataclass
class FourChannels:
    """A local Discord with one webhook per channel and a config pointing at them."""

    server: DiscordServer
    urls: dict[Channel, str]

    def config(self, **settings: Any) -> DiscordConfig:
        values = {**QUIET_INTERVALS, **settings}
        return DiscordConfig.resolve(webhooks=dict(self.urls), env={}, **values)

    def embeds(self, channel: Channel) -> list[dict[str, Any]]:
        return self.server.embeds(channel.value)

    def tokens(self) -> list[str]:
        return [url.rsplit("/", 1)[-1] for url in self.urls.values()]


@pytest.fixture
def four_channels() -> Iterator[FourChannels]:
    """Generous limits: these tests are about content; delivery tests cover rate limits."""
    with DiscordServer(webhook_limit=(50, 1.0), channel_limit=(300, 1.0)) as server:
        urls = {channel: server.create_webhook(channel.value) for channel in Channel}
        yield FourChannels(server, urls)


@pytest.fixture(autouse=True)
def _stop_pipelines() -> Iterator[None]:
    yield
    Pipeline.shutdown_all(2.0)


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees the developer's own Discord settings (or sends to them)."""
    import os

    for name in list(os.environ):
        if name.startswith(("OTEL_EXPORTER_DISCORD_", "OTEL_PYTHON_DISTRO", "OTEL_PYTHON_CONFIG")):
            monkeypatch.delenv(name)
    from otel_discord import config, setup

    config._warned.clear()  # each test sees its own settings warnings, once
    setup._running = None  # a test that left its setup running does not hand it to the next


@dataclass
class WriteAudit:
    """Files opened for writing by package code while armed (a sys.addaudithook)."""

    armed: bool = False
    opened: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


_AUDIT = WriteAudit()
_PACKAGE = re.compile(r"[\\/]otel_discord[\\/]")


def _audit_hook(event: str, args: tuple[Any, ...]) -> None:
    if not _AUDIT.armed or event != "open":
        return
    path, mode = args[0], args[1]
    writing = isinstance(mode, str) and any(c in mode for c in "wax+")
    if isinstance(mode, int):  # os.open flags
        import os

        writing = bool(mode & (os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND))
    if not writing:
        return
    frame = sys._getframe(1)
    while frame is not None:
        if _PACKAGE.search(frame.f_code.co_filename) and "/tests/" not in frame.f_code.co_filename:
            with _AUDIT.lock:
                _AUDIT.opened.append(str(path))
            return
        frame = frame.f_back  # type: ignore[assignment]


sys.addaudithook(_audit_hook)


@pytest.fixture
def write_audit() -> Iterator[WriteAudit]:
    """Arms the audit hook for one test; the test asserts ``opened == []``."""
    _AUDIT.opened.clear()
    _AUDIT.armed = True
    try:
        yield _AUDIT
    finally:
        _AUDIT.armed = False
