"""What the engine tells the outside world: per-channel counters and status events.

Counters are kept per channel on the sender side and copied into frozen
snapshots, so diagnostics can read them from any thread without locking.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

from otel_discord.channels import Channel
from otel_discord.delivery.item import Priority

State = Literal["ok", "retrying", "disabled"]
StatusKind = Literal["disabled", "failing", "recovered", "dropped", "bad_request", "files_refused"]


@dataclass(frozen=True)
class StatusEvent:
    """Something a user should hear about; ``detail`` is always free of secrets."""

    channel: Channel
    kind: StatusKind
    detail: str
    count: int = 1


@dataclass(frozen=True)
class DeliveryStats:
    """A snapshot of one channel's delivery counters (exposed for diagnostics)."""

    sent_messages: int = 0
    sent_embeds: int = 0
    retries: int = 0
    rate_limited: dict[str, int] = field(default_factory=dict)
    """429 responses by scope: user, global, shared, cloudflare."""
    dropped: dict[str, int] = field(default_factory=dict)
    """Items lost by priority name (low, info, warning, error)."""
    failed: int = 0
    """Messages Discord refused (400, 413) and that were dropped."""
    queue_depth: int = 0
    state: State = "ok"
    last_error: str | None = None


@dataclass
class ChannelCounters:
    """Mutable counters behind :class:`DeliveryStats`; guarded by the engine lock."""

    sent_messages: int = 0
    sent_embeds: int = 0
    retries: int = 0
    rate_limited: Counter[str] = field(default_factory=Counter)
    dropped: Counter[str] = field(default_factory=Counter)
    failed: int = 0
    last_error: str | None = None

    def count_drop(self, priority: Priority, n: int = 1) -> None:
        self.dropped[priority.name.lower()] += n

    def snapshot(self, queue_depth: int, state: State) -> DeliveryStats:
        return DeliveryStats(
            sent_messages=self.sent_messages,
            sent_embeds=self.sent_embeds,
            retries=self.retries,
            rate_limited=dict(self.rate_limited),
            dropped=dict(self.dropped),
            failed=self.failed,
            queue_depth=queue_depth,
            state=state,
            last_error=self.last_error,
        )
