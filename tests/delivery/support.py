"""Shared helpers for delivery tests: the fast policy, a harness and a poller."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from otel_discord.channels import Channel
from otel_discord.delivery import DeliveryEngine, DeliveryPolicy, StatusEvent

WEBHOOK_LIMIT = (5, 0.2)
CHANNEL_LIMIT = (30, 1.0)

FAST = DeliveryPolicy(
    channel_rate=CHANNEL_LIMIT,
    linger_s=0.05,
    backoff_base_s=0.05,
    backoff_cap_s=0.5,
    ban_base_s=0.3,
    ban_cap_s=2.0,
)
"""The engine's policy with the server's shortened windows and quick retries."""


@dataclass
class Harness:
    """An engine and the status events it reported."""

    engine: DeliveryEngine
    events: list[StatusEvent] = field(default_factory=list)

    def kinds(self, channel: Channel) -> list[str]:
        return [e.kind for e in self.events if e.channel is channel]


MakeEngine = Callable[..., Harness]


def wait_until(condition: Callable[[], bool], timeout_s: float = 10.0) -> bool:
    """Poll ``condition`` until it holds or ``timeout_s`` passes."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()
