"""Event-loop lag of the bot's loop, measured by a timer that notes how late it fires.

One cheap ``call_later`` chain per loop (started the first time a client dispatches
on it). A collection reports the worst delay since that reader's previous collection,
or how overdue the pending timer is: a loop blocked outright still shows growing lag.

Each periodic metric reader collects on a thread of its own, so the windows are kept
per collecting thread: with two readers (``OTEL_METRICS_EXPORTER=otlp,discord``) the
first to collect does not take a spike away from the other.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from typing import Final

from otel_discord.instrumentation._safety import swallow

MAX_READERS: Final = 8
"""Collecting threads with a window of their own; the longest unseen is dropped past it."""
_ANY: Final = -1
"""The window of a thread not seen collecting before (no thread id is negative)."""


class _Probe:
    __slots__ = ("_expected", "_handle", "_interval", "_loop", "_stopped", "_worst")

    def __init__(self, loop: asyncio.AbstractEventLoop, interval: float) -> None:
        self._loop = weakref.ref(loop)
        self._interval = interval
        self._worst: dict[int, float] = {_ANY: 0.0}
        """The worst lag of each collecting thread's current window; ``_ANY``'s starts at
        every collection (a thread's first collection reads it)."""
        self._stopped = False
        self._expected = loop.time() + interval
        self._handle: asyncio.TimerHandle | None = loop.call_later(interval, self._tick)

    def _tick(self) -> None:
        loop = self._loop()
        if self._stopped or loop is None:
            return
        try:
            now = loop.time()
            lag = now - self._expected
            worst = self._worst
            for reader, value in list(worst.items()):
                if lag > value:
                    worst[reader] = lag
            self._expected = now + self._interval
            self._handle = loop.call_later(self._interval, self._tick)
        except Exception as exc:  # never let a probe error reach the loop's handler
            swallow("event loop lag probe", exc)

    def take(self) -> float | None:
        """The worst lag since this thread's last call; a new window for it starts."""
        loop = self._loop()
        if self._stopped or loop is None or loop.is_closed():
            return None
        overdue = loop.time() - self._expected
        windows = self._worst
        reader = threading.get_ident()
        worst = windows.pop(reader, windows[_ANY])
        windows[_ANY] = 0.0
        if len(windows) > MAX_READERS:
            del windows[next(oldest for oldest in windows if oldest != _ANY)]
        windows[reader] = 0.0  # last in order: the most recently seen
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
