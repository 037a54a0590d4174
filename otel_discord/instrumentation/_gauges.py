"""Observable gauges read from the clients the instrumentation has seen.

Clients are tracked weakly the first time they dispatch an event, which covers
bots created before and after ``instrument()``. Callbacks run on the metric
reader's thread, so they only take ``len()`` of the caches (atomic) and never
iterate structures the bot's loop may be changing.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import weakref
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from opentelemetry.metrics import CallbackOptions, Meter, Observation

from otel_discord.instrumentation import _names as n
from otel_discord.instrumentation._active_users import ActiveUsers
from otel_discord.instrumentation._loop_lag import LoopLag
from otel_discord.instrumentation._safety import swallow
from otel_discord.instrumentation._tally import CellTally, CounterTally, Tally


class ClientRegistry:
    """The live clients, held weakly, plus the lag probes of their loops."""

    def __init__(self, loop_lag_interval: float) -> None:
        self._clients: weakref.WeakSet[Any] = weakref.WeakSet()
        self._last: Callable[[], Any] = lambda: None
        """The client seen last (a weak reference)."""
        self.loop_lag = LoopLag(loop_lag_interval)
        self.closed = False

    def see(self, client: Any) -> None:
        """Track ``client``; cheap when it is the one seen last."""
        if self._last() is client:
            return
        self._last = weakref.ref(client)
        self._clients.add(client)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self.loop_lag.ensure_running(loop)

    def clients(self) -> list[Any]:
        """A snapshot of tracked clients (empty once closed)."""
        return [] if self.closed else list(self._clients)

    def close(self) -> None:
        """Stop probes and forget every client."""
        self.closed = True
        self.loop_lag.stop()
        self._clients.clear()


def _shard_latencies(client: Any) -> Iterator[tuple[int, float]]:
    latencies = getattr(client, "latencies", None)
    if isinstance(latencies, list):
        yield from latencies
    else:
        yield (getattr(client, "shard_id", None) or 0), client.latency


def _shard_connected(client: Any) -> Iterator[tuple[int, bool]]:
    if client.is_closed():
        yield (getattr(client, "shard_id", None) or 0), False
        return
    shards = getattr(client, "shards", None)
    if isinstance(shards, dict):
        ready = client.is_ready()
        for shard_id, shard in list(shards.items()):
            yield shard_id, ready and not shard.is_closed()
        return
    ws = getattr(client, "ws", None)
    open_ = ws is not None and bool(getattr(ws, "open", False))
    yield (getattr(client, "shard_id", None) or 0), open_ and client.is_ready()


def _cache_size(client: Any, attr: str, public: str) -> int:
    cache = getattr(getattr(client, "_connection", None), attr, None)
    if isinstance(cache, dict):
        return len(cache)
    return len(getattr(client, public))


class Slot:
    """The observable instruments of one meter provider and what they read.

    The SDK registers an observable instrument once per name: creating it again
    (instrument, uninstrument, instrument on the same provider) silently drops the
    new callbacks. So each provider gets one slot for its lifetime; the tallies live
    here (counts carry on across re-instrumenting) and ``registry`` points at the
    clients of whichever instrumentation is active (None when off).
    """

    def __init__(self) -> None:
        self.events = CellTally(n.GATEWAY_EVENTS)
        self.payloads = CellTally(n.GATEWAY_PAYLOADS)
        self.messages = CellTally(n.MESSAGES)
        self.reactions = Tally(n.REACTIONS)
        self.voice_changes = Tally(n.VOICE_CHANGES)
        self.commands = CounterTally(n.COMMANDS)
        self.commands_unknown = CounterTally(n.COMMANDS_UNKNOWN)
        self.active_users = ActiveUsers()
        self.registry: ClientRegistry | None = None


_slots: weakref.WeakKeyDictionary[Any, Slot] = weakref.WeakKeyDictionary()


def slot_for(meter_provider: Any, meter: Meter) -> Slot:
    """The slot of ``meter_provider``, registering its observable instruments once."""
    try:
        slot = _slots.get(meter_provider)
    except TypeError:  # not weak-referenceable: register anew (duplicates are ignored)
        slot = None
    if slot is not None:
        return slot
    slot = Slot()
    _register(meter, slot)
    with contextlib.suppress(TypeError):
        _slots[meter_provider] = slot
    return slot


class _Gauges:
    """Callbacks bound to one slot; each swallows its own failures."""

    def __init__(self, slot: Slot) -> None:
        self._slot = slot

    def _clients(self) -> list[Any]:
        registry = self._slot.registry
        return [] if registry is None else registry.clients()

    def _live(self) -> list[Any]:
        return [client for client in self._clients() if not client.is_closed()]

    def latency(self, _: CallbackOptions) -> Iterable[Observation]:
        out = []
        try:
            for client in self._live():
                for shard_id, value in _shard_latencies(client):
                    if isinstance(value, float | int) and math.isfinite(value):
                        out.append(Observation(float(value), {n.ATTR_SHARD_ID: shard_id}))
        except Exception as exc:
            swallow("gauge discord.gateway.latency", exc)
        return out

    def connected(self, _: CallbackOptions) -> Iterable[Observation]:
        out = []
        try:
            # A closed client was shut down on purpose: stopped, not an outage to report.
            for client in self._live():
                for shard_id, up in _shard_connected(client):
                    out.append(Observation(1 if up else 0, {n.ATTR_SHARD_ID: shard_id}))
        except Exception as exc:
            swallow("gauge discord.connected", exc)
        return out

    def _total(self, name: str, measure: Callable[[Any], int]) -> list[Observation]:
        try:
            clients = self._live()
            if clients:
                return [Observation(sum(measure(client) for client in clients))]
        except Exception as exc:
            swallow(f"gauge {name}", exc)
        return []

    def shards(self, _: CallbackOptions) -> Iterable[Observation]:
        return self._total(n.SHARDS, lambda client: getattr(client, "shard_count", None) or 1)

    def guilds(self, _: CallbackOptions) -> Iterable[Observation]:
        return self._total(n.GUILDS, lambda client: _cache_size(client, "_guilds", "guilds"))

    def users(self, _: CallbackOptions) -> Iterable[Observation]:
        return self._total(n.USERS_CACHED, lambda client: _cache_size(client, "_users", "users"))

    def active_users(self, _: CallbackOptions) -> Iterable[Observation]:
        try:
            if self._slot.registry is not None:
                return [Observation(self._slot.active_users.observe())]
        except Exception as exc:
            swallow(f"gauge {n.USERS_ACTIVE}", exc)
        return []

    def loop_lag(self, _: CallbackOptions) -> Iterable[Observation]:
        try:
            registry = self._slot.registry
            if registry is not None and not registry.closed:
                value = registry.loop_lag.observe()
                if value is not None:
                    return [Observation(value)]
        except Exception as exc:
            swallow("gauge discord.event_loop.lag", exc)
        return []


Callback = Callable[[CallbackOptions], Iterable[Observation]]


def _register(meter: Meter, slot: Slot) -> None:
    rows = {row.name: row for row in n.NAMES}
    gauges = _Gauges(slot)
    gauge_table: tuple[tuple[str, Callback], ...] = (
        (n.GATEWAY_LATENCY, gauges.latency),
        (n.CONNECTED, gauges.connected),
        (n.SHARDS, gauges.shards),
        (n.GUILDS, gauges.guilds),
        (n.USERS_CACHED, gauges.users),
        (n.USERS_ACTIVE, gauges.active_users),
        (n.EVENT_LOOP_LAG, gauges.loop_lag),
    )
    for name, callback in gauge_table:
        row = rows[name]
        meter.create_observable_gauge(
            name, callbacks=[callback], unit=row.unit, description=row.meaning
        )
    tallies: tuple[Tally | CellTally | CounterTally, ...] = (
        slot.events,
        slot.payloads,
        slot.messages,
        slot.reactions,
        slot.voice_changes,
        slot.commands,
        slot.commands_unknown,
    )
    for tally in tallies:
        row = rows[tally.name]
        meter.create_observable_counter(
            tally.name, callbacks=[tally.observe], unit=row.unit, description=row.meaning
        )
