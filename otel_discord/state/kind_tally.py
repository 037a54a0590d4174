"""Running counts per error kind, so a repeat says "seen 14× since 04:15:33".

After its hold a kind's next embed would otherwise look like a first sighting.
The tally keeps, per kind, when it was first seen and how often since (bounded:
the least recently seen kinds are forgotten first).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from typing import Protocol


class Tallied(Protocol):
    """A queued group of occurrences of one kind (``delivery.grouped.ErrorGroup``)."""

    count: int
    first_ns: int
    seen_total: int
    seen_since_ns: int


class KindTally:
    """First sighting and running total per kind. Not thread-safe: the caller holds a lock."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._kinds: OrderedDict[Hashable, tuple[int, int]] = OrderedDict()

    def add(self, key: Hashable, group: Tallied) -> None:
        """Count ``group``'s occurrences under ``key``."""
        first, total = self._kinds.get(key, (group.first_ns, 0))
        self._kinds[key] = (min(first, group.first_ns), total + group.count)
        self._kinds.move_to_end(key)
        while len(self._kinds) > self.limit:
            self._kinds.popitem(last=False)

    def annotate(self, key: Hashable, group: Tallied) -> None:
        """Mark ``group`` as a repeat when its kind was seen before it."""
        first, total = self._kinds.get(key, (group.first_ns, 0))
        if total > group.count:
            group.seen_total = total
            group.seen_since_ns = first
