"""State the engine and its sender threads share, behind one lock.

One condition variable guards every outbox and counter: submits are short,
and flush waits on the same condition for entries to settle.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from otel_discord.channels import Channel
from otel_discord.delivery.destination import Destination
from otel_discord.delivery.outbox import Entry, Outbox
from otel_discord.delivery.policy import DeliveryPolicy
from otel_discord.delivery.ratelimit import HostLimiter
from otel_discord.delivery.redaction import REDACTOR
from otel_discord.delivery.stats import ChannelCounters, StatusEvent
from otel_discord.delivery.transport import Transport

_logger = logging.getLogger("otel_discord.delivery")


@dataclass
class ChannelState:
    """One channel's outbox, its counters and what its sender holds of it."""

    channel: Channel
    destination: Destination
    outbox: Outbox
    counters: ChannelCounters = field(default_factory=ChannelCounters)
    in_hand: list[Entry] = field(default_factory=list)
    """Entries taken from the outbox and not yet settled (being packed or sent)."""

    def lowest_unsettled(self) -> int | None:
        seqs = [e.seq for e in self.in_hand]
        queued = self.outbox.lowest_seq()
        if queued is not None:
            seqs.append(queued)
        return min(seqs, default=None)

    def pending(self) -> list[Entry]:
        """Everything not yet settled: in hand, then queued."""
        return self.in_hand + self.outbox.peek()

    def depth(self) -> int:
        return len(self.outbox) + len(self.in_hand)

    def drop_everything(self) -> int:
        """Discard queued and in-hand entries, counting them; returns how many."""
        lost = self.outbox.clear() + self.in_hand
        self.in_hand = []
        self.outbox.take_unreported()
        total = 0
        for entry in lost:
            self.counters.count_drop(entry.item.priority, entry.weight)
            total += entry.weight
        return total


class EngineShared:
    """Everything a sender needs from its engine."""

    def __init__(
        self,
        policy: DeliveryPolicy,
        transport: Transport,
        timeout_s: float,
        username: str | None,
        on_status: Callable[[StatusEvent], None] | None,
    ) -> None:
        self.policy = policy
        self.transport = transport
        self.timeout_s = timeout_s
        self.username = username
        self.cond = threading.Condition()
        self.stop = threading.Event()
        self.flushing = 0
        self.deadline: float | None = None
        self._on_status = on_status
        self._hosts: dict[str, HostLimiter] = {}
        self.gone: dict[Destination, tuple[int, str]] = {}
        """Destinations a live message found unusable (status, detail); their senders stop too."""

    def hosts(self) -> list[HostLimiter]:
        return list(self._hosts.values())

    def host_for(self, destination: Destination) -> HostLimiter:
        """The limiter shared by every destination on ``destination``'s API host."""
        netloc = urlsplit(destination.base).netloc.lower()
        with self.cond:
            host = self._hosts.get(netloc)
            if host is None:
                p = self.policy
                host = HostLimiter(
                    p.global_rate, p.bot_share, p.invalid_pause_at, p.invalid_window_s
                )
                self._hosts[netloc] = host
            return host

    def request_timeout(self, patience: float = 1.0) -> float:
        """The per-request timeout (times ``patience``), shortened so a shutdown deadline holds."""
        timeout = self.timeout_s * patience
        if self.deadline is None:
            return timeout
        return max(0.1, min(timeout, self.deadline - time.monotonic()))

    def emit(self, event: StatusEvent) -> None:
        """Tell the user; a failing callback never breaks the sender."""
        if self._on_status is None:
            return
        clean = StatusEvent(event.channel, event.kind, REDACTOR.scrub(event.detail), event.count)
        try:
            self._on_status(clean)
        except Exception as exc:  # the callback is user code: it must not kill delivery
            _logger.debug("on_status callback raised %s", type(exc).__name__)
