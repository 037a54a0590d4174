"""The delivery engine: per-channel outboxes drained by rate-limited sender threads.

Usage::

    engine = DeliveryEngine({Channel.LOGS: WebhookDestination.parse(url)})
    engine.submit(Channel.LOGS, StaticItem([{"title": "hello"}]))
    engine.flush(5.0)
    engine.shutdown()

``submit`` never blocks on the network and never raises; senders start on the
first submit. Rates follow Discord's headers; before any header is seen a
floor of 5 requests per 2 s per destination applies, each Discord channel is
held to 30 messages per minute, and channel destinations posted to with a
bot's token use at most 5 of the bot's 50 global requests per second (the bot
needs the rest). An ``atexit`` hook shuts every engine down within 5 s.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
from collections.abc import Callable, Mapping

import httpx

from otel_discord.channels import Channel
from otel_discord.delivery.core import ChannelState, EngineShared
from otel_discord.delivery.destination import Destination
from otel_discord.delivery.item import Item
from otel_discord.delivery.live import LiveMessage
from otel_discord.delivery.outbox import Outbox
from otel_discord.delivery.policy import DeliveryPolicy
from otel_discord.delivery.redaction import REDACTOR, guard_loggers
from otel_discord.delivery.sender import DestinationSender
from otel_discord.delivery.stats import ChannelCounters, DeliveryStats, StatusEvent
from otel_discord.delivery.transport import Transport
from otel_discord.fork_safety import reset_after_fork

_logger = logging.getLogger("otel_discord.delivery")

ATEXIT_DEADLINE_S = 5.0
"""How long interpreter exit may wait for queued messages, over all engines."""

_FLUSH_POLL_S = 0.1


class DeliveryEngine:
    """Delivers items to the Discord destination each channel is routed to."""

    def __init__(
        self,
        routes: Mapping[Channel, Destination],
        *,
        timeout_s: float = 10.0,
        max_queue_size: int = 1000,
        max_queue_bytes: int | None = None,
        username: str | None = None,
        on_status: Callable[[StatusEvent], None] | None = None,
        transport: httpx.BaseTransport | None = None,
        policy: DeliveryPolicy | None = None,
    ) -> None:
        guard_loggers()
        self._core = EngineShared(
            policy or DeliveryPolicy(),
            Transport(timeout_s, transport),
            timeout_s,
            username,
            on_status,
        )
        self._core.transport.prepare()
        self._states: dict[Channel, ChannelState] = {}
        self._senders: dict[Channel, DestinationSender] = {}
        by_destination: dict[Destination, list[ChannelState]] = {}
        for channel, destination in routes.items():
            REDACTOR.add(destination.token)
            state = ChannelState(channel, destination, Outbox(max_queue_size, max_queue_bytes))
            self._states[channel] = state
            by_destination.setdefault(destination, []).append(state)
        for destination, states in by_destination.items():
            sender = DestinationSender(self._core, destination, states)
            for state in states:
                self._senders[state.channel] = sender
        self._lives: list[LiveMessage] = []
        self._closed = False
        self._shutdown_result: bool | None = None
        self._shutdown_lock = threading.Lock()
        self.submit_errors = 0
        """Exceptions ``submit`` swallowed (a bug if ever non-zero)."""
        _LIVE.add(self)
        reset_after_fork(self)

    def after_fork_in_child(self) -> None:
        """In a forked child: new locks and events, none of the parent's items or threads.

        The parent delivers and counts what it had queued; the child starts empty, its
        senders start on its first submit, and the parent's live messages stay the
        parent's (the child never edits them).
        """
        self._shutdown_lock = threading.Lock()
        core = self._core
        core.cond = threading.Condition()
        stopped = core.stop.is_set()
        core.stop = threading.Event()
        if stopped:
            core.stop.set()
        core.flushing = 0
        core.transport.after_fork_in_child()
        for host in core.hosts():
            host.after_fork_in_child()
        for state in self._states.values():
            state.outbox.clear()
            state.outbox.take_unreported()
            state.in_hand = []
            state.counters = ChannelCounters()
        for sender in set(self._senders.values()):
            sender.after_fork_in_child()
        for live in self._lives:
            live.after_fork_in_child()

    def __repr__(self) -> str:
        routes = ", ".join(f"{c.value}={s.destination.redacted}" for c, s in self._states.items())
        return f"<DeliveryEngine {routes}>"

    def enabled(self, channel: Channel) -> bool:
        """True if ``channel`` has a destination that is still usable."""
        sender = self._senders.get(channel)
        return sender is not None and not sender.disabled and not self._closed

    def submit(self, channel: Channel, item: Item) -> bool:
        """Queue ``item`` for ``channel``; False if the channel is off or shut down.

        Never blocks on the network and never raises; overflow is counted and
        announced in the channel's next message.
        """
        try:
            sender = self._senders.get(channel)
            if sender is None or self._closed:
                return False
            state = self._states[channel]
            with self._core.cond:
                if sender.disabled:
                    return False
                dropped = state.outbox.put(item, time.monotonic())
                for entry in dropped:
                    state.counters.count_drop(entry.item.priority, entry.weight)
                sender.start()
            sender.wake.set()
        except Exception:  # telemetry must never break the caller
            self.submit_errors += 1
            return False
        return True

    def live_message(self, channel: Channel) -> LiveMessage | None:
        """A message in ``channel`` to be edited in place (None if the channel is off)."""
        sender = self._senders.get(channel)
        if sender is None or self._closed:
            return None
        destination = self._states[channel].destination

        def gone(status: int, detail: str) -> None:
            self._core.gone[destination] = (status, detail)
            sender.wake.set()

        live = LiveMessage(
            self._core,
            channel,
            destination,
            sender.limiter,
            usable=lambda: not sender.disabled,
            on_gone=gone,
        )
        self._lives.append(live)
        return live

    def _settled(self, targets: Mapping[Channel, int]) -> bool:
        for channel, target in targets.items():
            lowest = self._states[channel].lowest_unsettled()
            if lowest is not None and lowest <= target:
                return False
        return True

    def flush(self, timeout_s: float) -> bool:
        """Deliver everything queued so far; True if all of it settled in time.

        Settled means delivered, or definitively refused or dropped and counted.
        """
        deadline = time.monotonic() + max(0.0, timeout_s)
        cond = self._core.cond
        with cond:
            targets = {c: s.outbox.last_seq for c, s in self._states.items()}
            self._core.flushing += 1
        try:
            for sender in set(self._senders.values()):
                sender.wake.set()
            with cond:
                while not self._settled(targets):
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        return False
                    cond.wait(min(remaining, _FLUSH_POLL_S))
            return all(live.settle(deadline - time.monotonic()) for live in self._lives)
        finally:
            with cond:
                self._core.flushing -= 1

    def shutdown(self, timeout_s: float = 5.0) -> bool:
        """Flush within ``timeout_s``, then stop the senders; safe to call twice."""
        with self._shutdown_lock:
            if self._shutdown_result is not None:
                return self._shutdown_result
            deadline = time.monotonic() + max(0.0, timeout_s)
            self._closed = True
            self._core.deadline = deadline
            delivered = self.flush(timeout_s)
            self._core.stop.set()
            for live in self._lives:
                live.stop(deadline - time.monotonic())
            senders = set(self._senders.values())
            for sender in senders:
                sender.wake.set()
            for sender in senders:  # join every one, within the deadline
                sender.join(deadline - time.monotonic())
            with self._core.cond:
                lost = sum(state.drop_everything() for state in self._states.values())
            if lost:
                _logger.warning("shutdown: %d item(s) could not be delivered in time", lost)
            # Closed even if a sender is still in a request (a slow Discord): its sockets
            # would otherwise stay open for good; the request fails, and the sender ends.
            self._core.transport.close()
            _LIVE.discard(self)
            self._shutdown_result = delivered and not lost
            return self._shutdown_result

    def stats(self) -> dict[Channel, DeliveryStats]:
        """A snapshot of every channel's counters."""
        with self._core.cond:
            return {
                channel: state.counters.snapshot(state.depth(), self._senders[channel].state)
                for channel, state in self._states.items()
            }


_LIVE: set[DeliveryEngine] = set()
"""Engines not yet shut down; held strongly so exit still flushes a forgotten engine."""


def _shutdown_all() -> None:
    """At interpreter exit: give every live engine a share of a short deadline."""
    deadline = time.monotonic() + ATEXIT_DEADLINE_S
    for engine in list(_LIVE):
        try:
            engine.shutdown(max(0.0, deadline - time.monotonic()))
        except Exception:  # exit must never hang or fail because of telemetry
            _logger.debug("shutdown at exit failed", exc_info=False)


atexit.register(_shutdown_all)
