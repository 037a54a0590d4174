"""The whole stack for reliability tests: SDK providers from ``configure()``, our exporters,
the shared pipeline and its delivery engine, posting over loopback to the strict local Discord.

Only the delivery *policy* is shortened (as in ``tests/delivery``) so that backoffs and bans
fit in a test: the server's windows are shortened to match.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from otel_discord import Channel, DiscordConfig, Telemetry
from otel_discord.delivery import DeliveryEngine, DeliveryPolicy, StatusEvent
from otel_discord.pipeline import Pipeline
from otel_discord.testing import DiscordServer
from tests.support import QUIET_INTERVALS

WEBHOOK_LIMIT = (5, 0.25)
CHANNEL_LIMIT = (30, 1.0)

FAST = DeliveryPolicy(
    channel_rate=CHANNEL_LIMIT,
    linger_s=0.05,
    backoff_base_s=0.05,
    backoff_cap_s=0.4,
    ban_base_s=0.3,
    ban_cap_s=1.0,
)
"""The engine's policy shrunk to the server's windows, with quick retries."""

QUIET = QUIET_INTERVALS

_DROPPED = re.compile(r"(\d+) items? dropped")


def announced_drops(embeds: list[dict[str, Any]]) -> int:
    """Items the "N items dropped" notices among ``embeds`` account for."""
    return sum(int(m.group(1)) for e in embeds if (m := _DROPPED.search(str(e.get("title", "")))))


def is_drop_notice(embed: dict[str, Any]) -> bool:
    return _DROPPED.search(str(embed.get("title", ""))) is not None


def embed_text(embed: dict[str, Any]) -> str:
    """Every string an embed shows, joined."""
    parts = [str(embed.get(k, "")) for k in ("title", "description")]
    parts += [
        str((embed.get(k) or {}).get(n, "")) for k, n in (("footer", "text"), ("author", "name"))
    ]
    for item in embed.get("fields") or []:
        parts += [str(item.get("name", "")), str(item.get("value", ""))]
    return "\n".join(parts)


def wait_until(condition: Callable[[], bool], timeout_s: float = 10.0) -> bool:
    """Poll ``condition`` until it holds or ``timeout_s`` passes."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


@dataclass(frozen=True)
class Request:
    """One POST as the client saw it: when it left, when the answer came, what it said."""

    sent: float
    answered: float
    status: int
    scope: str | None
    retry_after: float | None


@dataclass
class RequestLog:
    """Every POST the delivery engines made in this test (filled by a transport spy)."""

    requests: list[Request] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, sent: float, answered: float, response: httpx.Response) -> None:
        retry_after = None
        if response.status_code == 429:
            try:
                retry_after = float(response.json()["retry_after"])
            except (ValueError, KeyError, TypeError):
                retry_after = None
        scope = response.headers.get("x-ratelimit-scope")
        with self.lock:
            self.requests.append(Request(sent, answered, response.status_code, scope, retry_after))

    def sent_during_known_global_limit(self) -> list[Request]:
        """Requests sent after a global 429 had been received and before its retry_after ended.

        A request already in flight when another one drew a global 429 could not have known;
        those are the server's business, not a client fault.
        """
        with self.lock:
            requests = list(self.requests)
        pauses = [
            (r.answered, r.answered + (r.retry_after or 0.0))
            for r in requests
            if r.status == 429 and r.scope == "global"
        ]
        return [r for r in requests if any(start <= r.sent < end for start, end in pauses)]


@dataclass
class Delivery:
    """The policy engines get in this test, and every status event they reported."""

    policy: DeliveryPolicy
    events: list[StatusEvent] = field(default_factory=list)


@dataclass
class Stack:
    """What ``configure()`` built, the pipeline it shares, and the server it posts to."""

    server: DiscordServer
    telemetry: Telemetry
    urls: dict[Channel, str]
    events: list[StatusEvent]
    app: logging.Logger = field(default_factory=lambda: logging.getLogger("app.reliability"))

    @property
    def config(self) -> DiscordConfig:
        return self.telemetry.config

    @property
    def pipeline(self) -> Pipeline:
        return Pipeline._registry[self.config.key()]

    @property
    def engine(self) -> DeliveryEngine:
        return self.pipeline.engine

    def export(self) -> None:
        """Push what the SDK holds (spans, logs, metrics) into our exporters now."""
        self.telemetry.tracer_provider.force_flush()
        self.telemetry.logger_provider.force_flush()

    def flush(self, timeout_s: float = 10.0) -> bool:
        """Export, then deliver everything queued; True if it all settled in time."""
        self.export()
        return self.pipeline.flush(timeout_s)

    def embeds(self, channel: Channel) -> list[dict[str, Any]]:
        return self.server.embeds(channel.value)

    def errors(self) -> list[dict[str, Any]]:
        """Error embeds in the logs channel (drop notices left out)."""
        return [e for e in self.embeds(Channel.LOGS) if not is_drop_notice(e)]

    def tokens(self) -> list[str]:
        return [url.rsplit("/", 1)[-1] for url in self.urls.values()]
