"""Event-loop lag of the bot's loop, measured by a timer that notes how late it fires.

One cheap ``call_later`` chain per loop (started the first time a client dispatches
on it). A collection reports the worst delay since the previous collection, or how
overdue the pending timer is: a loop blocked outright still shows growing lag.
"""

from __future__ import annotations

import asyncio
import weakref

from otel_discord.instrumentation._safety import swallow


class _Probe:
    __slots__ = ("_expected", "_handle", "_interval", "_loop", "_stopped", "_worst")

    def __init__(self, loop: asyncio.AbstractEventLoop, interval: float) -> None:
        self._loop = weakref.ref(loop)
        self._interval = interval
        self._worst = 0.0
        self._stopped = False
        self._expected = loop.time() + interval
        self._handle: asyncio.TimerHandle | None = loop.call_later(interval, self._tick)

    def _tick(self) -> None:
        loop = self._loop()
        if self._stopped or loop is None:
            return
        try:
            now = loop.time()
            self._worst = max(self._worst, now - self._expected)
            self._expected = now + self._interval
            self._handle = loop.call_later(self._interval, self._tick)
        except Exception as exc:  # never let a probe error reach the loop's handler
            swallow("event loop lag probe", exc)

    def take(self) -> float | None:
        """Return the worst lag since the last call and start a new window."""
        loop = self._loop()
        if self._stopped or loop is None or loop.is_closed():
            return None
        overdue = loop.time() - self._expected
        worst, self._worst = self._worst, 0.0
        return max(worst, overdue, 0.0)

    def stop(self) -> None:
        self._stopped = True
        loop, handle = self._loop(), self._handle
        self._handle = None
        if loop is None or handle is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop or not loop.is_running():
            handle.cancel()
        else:
            loop.call_soon_threadsafe(handle.cancel)


class LoopLag:
    """Lag probes for every loop a tracked client runs on."""

    def __init__(self, interval: float) -> None:
        self._interval = interval
        self._probes: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Probe] = (
            weakref.WeakKeyDictionary()
        )
        self._stopped = False

    def ensure_running(self, loop: asyncio.AbstractEventLoop) -> None:
        """Start a probe on ``loop`` unless one runs there already."""
        if self._stopped or loop in self._probes or loop.is_closed():
            return
        self._probes[loop] = _Probe(loop, self._interval)

    def observe(self) -> float | None:
        """Worst lag over all probed loops since the last call; None when none runs."""
        values = [
            value for probe in list(self._probes.values()) if (value := probe.take()) is not None
        ]
        return max(values) if values else None

    def stop(self) -> None:
        """Cancel every probe; nothing of ours stays scheduled on any loop."""
        self._stopped = True
        for probe in list(self._probes.values()):
            probe.stop()
        self._probes.clear()
