"""Storm control: the first error of a kind goes out at once; its repeats wait and merge.

Without this, a storm sends one embed per kind per export batch. With it, each
kind produces at most one follow-up embed (with an exact count) per hold period,
however many times it recurs: 10,000 errors of 20 kinds become about 20 alerts
plus 20 follow-ups, not thousands of messages. A kind that keeps recurring has
its hold doubled after each follow-up, up to a cap (the flush interval), as
Alertmanager backs off its group interval; a kind that goes quiet starts again
from the base hold.

What is held is bounded in bytes as well as in kinds: 1,000 kinds each holding a
90 KiB sample (a clipped message, stack trace and attributes) would be 90 MB. Past
``MAX_HELD_BYTES`` the least important held group goes first (warnings before
errors), the oldest of equal importance first; its occurrences are counted and
handed to the owner by ``take_dropped()`` so the loss is reported, never silent.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, Final, Generic, Protocol, TypeVar

from otel_discord.channels import Channel

MAX_KINDS: Final = 1000
"""Kinds remembered at once; past this, repeats are sent unheld (still merged by the outbox)."""
MAX_HELD_BYTES: Final = 8 * 1024 * 1024
"""Held groups' estimated size across all channels (as one outbox's default byte budget)."""
HELD_OVERHEAD_BYTES: Final = 512
"""Python objects around a held sample's text (group, occurrence, dicts), per group."""


class Mergeable(Protocol):
    """What the hold keeps: something later repeats of the same kind merge into."""

    @property
    def priority(self) -> int:
        """Importance: the lowest is dropped first when the hold is over its bytes."""

    @property
    def approx_bytes(self) -> int:
        """Estimated size of the text it holds (its sample)."""

    @property
    def count(self) -> int:
        """Occurrences merged into it (what a drop loses)."""

    def absorb(self, other: Any) -> bool: ...


G = TypeVar("G", bound=Mergeable)


class RepeatHold(Generic[G]):
    """Decides per error kind whether to send now or hold for merging. Thread-safe.

    Args:
        hold_s: the first hold after a kind was sent.
        cap_s: the longest hold (defaults to ``hold_s``: no backoff).
        max_bytes: the most the held groups may hold, estimated (``held_bytes``).
    """

    def __init__(
        self,
        hold_s: float,
        cap_s: float | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_bytes: int = MAX_HELD_BYTES,
    ) -> None:
        self.hold_s = hold_s
        self.cap_s = max(hold_s, cap_s if cap_s is not None else hold_s)
        self._clock = clock
        self._lock = threading.Lock()
        self._last_sent: dict[tuple[Channel, str], float] = {}
        self._streak: dict[tuple[Channel, str], int] = {}
        self._held: dict[tuple[Channel, str], G] = {}
        """Insertion-ordered: the first of equal importance is the oldest held."""
        self.max_bytes = max_bytes
        self.held_bytes = 0
        self._dropped: dict[Channel, int] = {}

    def hold_for(self, channel: Channel, key: str) -> float:
        """The current hold of a kind: doubled per follow-up in a row, capped."""
        streak = self._streak.get((channel, key), 0)
        return min(self.cap_s, self.hold_s * (1 << min(streak, 16)))

    def offer(self, channel: Channel, kind: str, group: G) -> G | None:
        """The group to send now, or None when it was held (merged into a pending one).

        ``kind`` is :func:`~otel_discord.fingerprint.error_kind` of what ``group`` holds.
        """
        key = (channel, kind)
        now = self._clock()
        with self._lock:
            held = self._held.get(key)
            if held is not None:
                before = _size(held)
                held.absorb(group)
                self.held_bytes += _size(held) - before  # the newest sample may be larger
                self._shed()
                return None
            last = self._last_sent.get(key)
            if last is not None and now - last < self.hold_for(*key):
                self._held[key] = group
                self.held_bytes += _size(group)
                self._shed()
                return None
            if last is None and len(self._last_sent) >= MAX_KINDS:
                self._forget_older_than(now)
                if len(self._last_sent) >= MAX_KINDS:
                    return group
            self._streak.pop(key, None)  # quiet for a whole hold: back to the base hold
            self._last_sent[key] = now
            return group

    def release(self, *, everything: bool = False) -> list[tuple[Channel, G]]:
        """Held groups whose hold has passed (or all of them), to send now."""
        now = self._clock()
        out = []
        with self._lock:
            for key, group in list(self._held.items()):
                if everything or now - self._last_sent.get(key, 0.0) >= self.hold_for(*key):
                    del self._held[key]
                    self.held_bytes -= _size(group)
                    self._last_sent[key] = now
                    self._streak[key] = self._streak.get(key, 0) + 1
                    out.append((key[0], group))
            self._forget_older_than(now)
        return out

    def take_dropped(self) -> dict[Channel, int]:
        """Occurrences dropped per channel since the last call (to report them)."""
        with self._lock:
            dropped, self._dropped = self._dropped, {}
        return dropped

    def _shed(self) -> None:
        """Called with the lock held: drop held groups until they fit in ``max_bytes``."""
        while self.held_bytes > self.max_bytes and self._held:
            # min() keeps the first of equal importance: the oldest held
            key = min(self._held, key=lambda k: self._held[k].priority)
            group = self._held.pop(key)
            self.held_bytes -= _size(group)
            self._dropped[key[0]] = self._dropped.get(key[0], 0) + group.count

    def _forget_older_than(self, now: float) -> None:
        """Drop kinds quiet for two of their holds (they would start from the base again)."""
        for key, sent in list(self._last_sent.items()):
            if now - sent > 2 * self.hold_for(*key) and key not in self._held:
                del self._last_sent[key]
                self._streak.pop(key, None)


def _size(group: Mergeable) -> int:
    return group.approx_bytes + HELD_OVERHEAD_BYTES
