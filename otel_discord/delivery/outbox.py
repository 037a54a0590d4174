"""A bounded, in-memory queue of items for one channel.

Identical items (same ``key``) merge into the one already queued; when the
queue is full (in items, or in bytes when a byte budget is set) the oldest item
of the lowest priority goes first, and the loss is remembered so the next
message can say so. Among items of that priority from several sources (the
gateway's processes), the source holding the most loses first: one process's
flood cannot push another's single error out.
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass

from otel_discord.delivery.item import Item, Priority
from otel_discord.delivery.item_size import item_bytes


@dataclass
class Entry:
    """One queued item and how many submissions it stands for (``Item.weight``: a group of
    repeats counts every occurrence it holds)."""

    item: Item
    seq: int
    enqueued_at: float
    weight: int = 1
    nbytes: int = 0
    """Approximate bytes held (``item_size.item_bytes``), counted against the byte budget."""


class Outbox:
    """FIFO per priority, merged by key, bounded; guarded by the engine's lock."""

    def __init__(self, max_size: int, max_bytes: int | None = None) -> None:
        self.max_size = max(1, max_size)
        self.max_bytes = max_bytes
        self._bytes = 0
        self._queues: dict[Priority, deque[Entry]] = {p: deque() for p in Priority}
        self._by_key: dict[str, Entry] = {}
        self._by_source: Counter[tuple[Priority, str | None]] = Counter()
        """Entries queued per (priority, ``Item.source``)."""
        self._size = 0
        self._urgent = 0
        self._last_seq = 0
        self.unreported: Counter[Priority] = Counter()
        """Drops not yet announced in a message."""

    def __len__(self) -> int:
        return self._size

    @property
    def last_seq(self) -> int:
        """Sequence number of the newest entry ever queued."""
        return self._last_seq

    def put(self, item: Item, now: float) -> list[Entry]:
        """Queue or merge ``item``; return the entries dropped to make room."""
        key = item.key
        if key is not None:
            queued = self._by_key.get(key)
            if queued is not None:
                weight = item.weight  # before absorb: a group's count changes as it merges
                if queued.item.absorb(item):
                    queued.weight += weight
                    return []
        self._last_seq += 1
        entry = Entry(item, self._last_seq, now, weight=item.weight, nbytes=item_bytes(item))
        dropped: list[Entry] = []
        while self._size and self._full_for(entry):
            victim_priority = min((p for p, q in self._queues.items() if q), default=None)
            if victim_priority is None or item.priority < victim_priority:
                dropped.append(entry)
                self._note_dropped(dropped)
                return dropped
            dropped.append(self._pop_victim(victim_priority))
        self._queues[item.priority].append(entry)
        self._by_source[item.priority, item.source] += 1
        self._size += 1
        self._bytes += entry.nbytes
        self._urgent += item.urgent
        if key is not None:
            self._by_key.setdefault(key, entry)
        self._note_dropped(dropped)
        return dropped

    @property
    def queued_bytes(self) -> int:
        return self._bytes

    def _full_for(self, entry: Entry) -> bool:
        """No room for ``entry``: the item count is reached, or its bytes would pass the budget."""
        if self._size >= self.max_size:
            return True
        return self.max_bytes is not None and self._bytes + entry.nbytes > self.max_bytes

    def _note_dropped(self, dropped: list[Entry]) -> None:
        for entry in dropped:
            self.unreported[entry.item.priority] += entry.weight

    def _pop_victim(self, priority: Priority) -> Entry:
        """The oldest entry of ``priority`` from the source that holds the most of it."""
        queue = self._queues[priority]
        counts = [(n, source) for (p, source), n in self._by_source.items() if p == priority and n]
        if len(counts) > 1:
            _, source = max(counts, key=lambda count: count[0])
            for index, entry in enumerate(queue):
                if entry.item.source == source:
                    del queue[index]
                    return self._forget(entry)
        return self._pop(priority)

    def _pop(self, priority: Priority) -> Entry:
        return self._forget(self._queues[priority].popleft())

    def _forget(self, entry: Entry) -> Entry:
        """Account for ``entry`` having left its queue."""
        counted = (entry.item.priority, entry.item.source)
        self._by_source[counted] -= 1
        if not self._by_source[counted]:
            del self._by_source[counted]  # sources come and go (the gateway's processes)
        self._size -= 1
        self._bytes -= entry.nbytes
        self._urgent -= entry.item.urgent
        key = entry.item.key
        if key is not None and self._by_key.get(key) is entry:
            del self._by_key[key]
        return entry

    def _oldest_priority(self) -> Priority | None:
        heads = [(q[0].seq, p) for p, q in self._queues.items() if q]
        return min(heads)[1] if heads else None

    def oldest(self) -> Entry | None:
        """The entry queued first (whatever its priority)."""
        priority = self._oldest_priority()
        return None if priority is None else self._queues[priority][0]

    def take(self, n: int, *, newest_first: bool = False) -> list[Entry]:
        """Remove up to ``n`` entries in the order they were queued.

        With ``newest_first`` (a shutdown that cannot send everything) the newest ``n`` go,
        still in the order they happened: the last errors before an exit explain it.
        Once taken, an entry no longer absorbs newcomers: it may be rendering.
        """
        taken: list[Entry] = []
        while len(taken) < n:
            if newest_first:
                tails = [(q[-1].seq, p) for p, q in self._queues.items() if q]
                if not tails:
                    break
                taken.append(self._forget(self._queues[max(tails)[1]].pop()))
                continue
            priority = self._oldest_priority()
            if priority is None:
                break
            taken.append(self._pop(priority))
        if newest_first:
            taken.reverse()
        return taken

    def peek(self) -> list[Entry]:
        """Every queued entry, without removing any (order not guaranteed)."""
        return [entry for queue in self._queues.values() for entry in queue]

    def put_back(self, entries: list[Entry], *, newest_first: bool = False) -> None:
        """Return entries taken but not sent, in their order: at the front, or at the back
        when they were taken ``newest_first`` (so they are the next taken again)."""
        for entry in entries if newest_first else reversed(entries):
            queue = self._queues[entry.item.priority]
            if newest_first:
                queue.append(entry)
            else:
                queue.appendleft(entry)
            self._by_source[entry.item.priority, entry.item.source] += 1
            self._size += 1
            self._bytes += entry.nbytes
            self._urgent += entry.item.urgent
            key = entry.item.key
            if key is not None:
                self._by_key.setdefault(key, entry)

    def has_urgent(self) -> bool:
        return self._urgent > 0

    def lowest_seq(self) -> int | None:
        """The oldest sequence number still waiting, for flush bookkeeping."""
        oldest = self.oldest()
        return None if oldest is None else oldest.seq

    def clear(self) -> list[Entry]:
        """Remove everything (the destination is gone); return what was queued."""
        return self.take(self._size)

    def take_unreported(self) -> Counter[Priority]:
        """Drops to announce in the next message; resets the tally."""
        tally, self.unreported = self.unreported, Counter()
        return tally
