"""Counters for the hot path, kept as plain ints and reported by observable counters.

An SDK ``Counter.add`` costs microseconds (attribute cleaning, hashing, locking);
``discord.gateway.events`` is bumped for every gateway event. A dict increment on
the bot's loop plus a cumulative read at collection time gives exporters the same
monotonic sum for a fraction of the cost. Only the loop thread writes; the metric
reader only reads (copying, and retrying if a new key lands mid-copy).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from typing import Any, Final

from opentelemetry.metrics import CallbackOptions, Observation
from opentelemetry.util.types import AttributeValue

from otel_discord.instrumentation._safety import swallow

Attrs = Mapping[str, AttributeValue]

_COPY_ATTEMPTS: Final = 5


class Tally:
    """Monotonic counts per attribute set."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.counts: dict[Hashable, int] = {}
        self.attributes: dict[Hashable, Attrs] = {}

    def add(self, key: Hashable, attributes: Attrs) -> None:
        """Count one under ``key`` (``attributes`` is stored the first time only)."""
        counts = self.counts
        if key in counts:
            counts[key] += 1
        else:
            self.attributes[key] = attributes
            counts[key] = 1

    def observe(self, _: CallbackOptions) -> Iterable[Observation]:
        """Cumulative values for an observable counter callback."""
        for _attempt in range(_COPY_ATTEMPTS):
            try:
                snapshot = list(self.counts.items())
            except RuntimeError:  # the loop added a key while we copied
                continue
            attributes = self.attributes
            return [Observation(value, attributes[key]) for key, value in snapshot]
        swallow(f"tally {self.name}", RuntimeError("counts kept changing during collection"))
        return []


Cell = list[Any]
"""``[count, *extra]``: the hot path bumps ``cell[0]``; what follows is the owner's (an action)."""


class CellTally:
    """Monotonic counts kept in list cells the hot path holds on to.

    A caller maps whatever it looks up by (an event name, a channel type) to a cell
    once, then counts with ``cell[0] += 1``: one dict lookup per item and no key to
    build. Several keys may share a cell. Cells made with ``attributes=None`` count
    but are never reported (meta events). Only the loop thread writes; ``observe``
    copies the list of reported cells (appends are atomic) and reads their counts.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self._cells: dict[Hashable, Cell] = {}
        self._reported: list[tuple[Cell, Attrs]] = []

    def __len__(self) -> int:
        """How many keys have a cell."""
        return len(self._cells)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._cells

    @property
    def reported(self) -> int:
        """How many cells are reported (made with attributes)."""
        return len(self._reported)

    def cell(self, key: Hashable, attributes: Attrs | None, *extra: Any) -> Cell:
        """The cell of ``key``, made the first time (``extra`` follows its count)."""
        cell = self._cells.get(key)
        if cell is None:
            cell = self._cells[key] = [0, *extra]
            if attributes is not None:
                self._reported.append((cell, attributes))
        return cell

    def observe(self, _: CallbackOptions) -> Iterable[Observation]:
        """Cumulative values of the reported cells that counted at least once."""
        return [
            Observation(cell[0], attributes) for cell, attributes in list(self._reported) if cell[0]
        ]


OVERFLOW_ATTRIBUTES: Final[Attrs] = {"otel.metric.overflow": True}
"""Where counts of attribute sets past the limit go, as the SDK's own cardinality limit does."""

MAX_ATTRIBUTE_SETS: Final = 2000
"""Distinct attribute sets one ``CounterTally`` keeps (the SDK's default cardinality limit)."""


class CounterTally:
    """A drop-in for ``Counter.add(amount, attributes)`` on the hot path, read by an observable.

    Keyed by the attribute values in their given order (a tuple is cheaper to build
    and hash than the SDK's cleaned, sorted copy). Two orders of one set become two
    rows; ``observe`` merges them, so exporters see each set once.
    """

    def __init__(self, name: str, limit: int = MAX_ATTRIBUTE_SETS) -> None:
        self.name = name
        self.limit = limit
        self.counts: dict[Hashable, int] = {}
        self.attributes: dict[Hashable, Attrs] = {}

    def add(self, amount: int, attributes: Attrs) -> None:
        """Count ``amount`` under ``attributes`` (copied the first time a set is seen)."""
        key = tuple(attributes.items())
        counts = self.counts
        if key in counts:
            counts[key] += amount
        else:
            self._add_new(key, amount, attributes)

    def add_row(self, key: tuple[tuple[str, AttributeValue], ...], attributes: Attrs) -> None:
        """Count one under ``attributes`` whose key, ``tuple(attributes.items())``, is given."""
        counts = self.counts
        if key in counts:
            counts[key] += 1
        else:
            self._add_new(key, 1, attributes)

    def _add_new(self, key: Hashable, amount: int, attributes: Attrs) -> None:
        if len(self.counts) >= self.limit:
            key, attributes = (), OVERFLOW_ATTRIBUTES
            if key in self.counts:
                self.counts[key] += amount
                return
        self.attributes[key] = dict(attributes)
        self.counts[key] = amount

    def observe(self, _: CallbackOptions) -> Iterable[Observation]:
        """Cumulative values per attribute set, for an observable counter callback."""
        for _attempt in range(_COPY_ATTEMPTS):
            try:
                snapshot = list(self.counts.items())
            except RuntimeError:  # the loop added a key while we copied
                continue
            merged: dict[frozenset[tuple[str, AttributeValue]], list[Any]] = {}
            for key, value in snapshot:
                attributes = self.attributes[key]
                row = merged.setdefault(frozenset(attributes.items()), [0, attributes])
                row[0] += value
            return [Observation(value, attributes) for value, attributes in merged.values()]
        swallow(f"tally {self.name}", RuntimeError("counts kept changing during collection"))
        return []
