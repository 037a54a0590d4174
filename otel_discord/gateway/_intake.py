"""The bounded queue between HTTP threads and the pipeline, and the receiver's counters.

HTTP threads decode and convert; one worker feeds the pipeline in arrival order.
When the queue holds ``max_items`` spans, records and points (or ``max_bytes`` of
their requests as received), new requests are refused so senders back off
(429 + Retry-After) instead of the gateway growing without bound.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from otel_discord.gateway._render import IngestFigures

_logger = logging.getLogger("otel_discord.gateway")

Work = Callable[[], None]


@dataclass
class IngestStats:
    """What the receiver did, counted (thread-safe through its lock)."""

    lock: threading.Lock
    requests: int = 0
    items: int = 0
    rejected: int = 0
    throttled: int = 0
    refused: int = 0
    """4xx answers other than 429: bad payloads, auth, size, media type."""

    def add(self, **counts: int) -> None:
        with self.lock:
            for name, n in counts.items():
                setattr(self, name, getattr(self, name) + n)

    def figures(self) -> IngestFigures:
        with self.lock:
            return IngestFigures(
                self.requests, self.items, self.rejected, self.throttled, self.refused
            )


def new_stats() -> IngestStats:
    return IngestStats(threading.Lock())


class Intake:
    """One worker thread draining a queue bounded by item count."""

    def __init__(self, max_items: int, max_bytes: int | None = None) -> None:
        self._max_items = max_items
        self._max_bytes = max_bytes
        self._queue: deque[tuple[int, int, Sequence[Work]]] = deque()
        self._queued = 0
        self._queued_bytes = 0
        self._busy = False
        self._cond = threading.Condition()
        self._closed = False
        self._thread: threading.Thread | None = None

    @property
    def queued_items(self) -> int:
        with self._cond:
            return self._queued

    @property
    def closed(self) -> bool:
        return self._closed

    def offer(self, size: int, work: Sequence[Work], nbytes: int = 0) -> bool:
        """Queue ``work`` (``size`` items, ``nbytes`` on the wire); False when full or closed.

        Full is either bound: items, or (when set) bytes; answered 429, or 503 when closed.
        """
        with self._cond:
            over_bytes = (
                self._max_bytes is not None
                and self._queued_bytes > 0
                and self._queued_bytes + nbytes > self._max_bytes
            )
            if (
                self._closed
                or over_bytes
                or (self._queued and self._queued + size > self._max_items)
            ):
                return False
            self._queue.append((size, nbytes, work))
            self._queued += size
            self._queued_bytes += nbytes
            self._cond.notify_all()
        return True

    def start(self) -> None:
        with self._cond:
            if self._thread is not None:
                return
            self._thread = threading.Thread(
                target=self._run, name="otel-discord-gateway-intake", daemon=True
            )
        self._thread.start()

    def drain(self, timeout_s: float) -> bool:
        """Wait until everything queued so far has reached the pipeline."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while self._queue or self._busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
        return True

    def close(self, timeout_s: float) -> bool:
        """Refuse new work, finish what is queued (within the deadline), stop the worker."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        drained = self.drain(timeout_s)
        if self._thread is not None:
            self._thread.join(timeout=max(0.1, timeout_s))
        return drained

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._closed:
                    self._cond.wait()
                if not self._queue:
                    return
                size, nbytes, work = self._queue.popleft()
                self._busy = True
            try:
                for job in work:
                    try:
                        job()
                    except Exception:
                        _logger.exception("otel-discord gateway: ingesting a batch failed")
            finally:
                with self._cond:
                    self._queued -= size
                    self._queued_bytes -= nbytes
                    self._busy = False
                    self._cond.notify_all()
