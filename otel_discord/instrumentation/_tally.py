"""Counters for the hot path, kept as plain ints and reported by observable counters.

An SDK ``Counter.add`` costs microseconds (attribute cleaning, hashing, locking);
``discord.gateway.events`` is bumped for every gateway event. A dict increment on
the bot's loop plus a cumulative read at collection time gives exporters the same
monotonic sum for a fraction of the cost. Only the loop thread writes; the metric
reader only reads (copying, and retrying if a new key lands mid-copy).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from typing import Final

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
