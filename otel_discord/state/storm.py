"""The storm window: error occurrences tallied per kind over one minute, bounded.

``close`` hands out a :class:`Storm`; :func:`otel_discord.render.storm.render_storm`
summarises it when it was a storm.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from otel_discord.fingerprint import error_kind
from otel_discord.records import Occurrence

MAX_KINDS: Final = 500
"""Kinds counted separately per window; the rest are summed as "other kinds"."""
LABEL_CHARS: Final = 256
"""Characters of a kind's label kept per window (the summary shows 90)."""


@dataclass(frozen=True)
class StormKind:
    """One kind of error in a storm window."""

    label: str
    source: str
    count: int


@dataclass(frozen=True)
class Storm:
    """A closed window of errors."""

    start_ns: int
    end_ns: int
    total: int
    kinds: tuple[StormKind, ...]
    """Most frequent first."""
    other: int
    """Occurrences of kinds past ``MAX_KINDS``."""


@dataclass
class _Tally:
    label: str
    source: str
    count: int = 0


class StormWindow:
    """Counts error occurrences per kind; not thread-safe (the pipeline holds a lock)."""

    def __init__(self, start_ns: int) -> None:
        self.start_ns = start_ns
        self.total = 0
        self._tallies: dict[str, _Tally] = {}
        self._other = 0

    def add(self, occurrence: Occurrence, kind: str | None = None) -> None:
        """Count one occurrence (``kind``: its :func:`~otel_discord.fingerprint.error_kind`)."""
        if kind is None:
            kind = error_kind(occurrence)
        self.total += 1
        tally = self._tallies.get(kind)
        if tally is None:
            if len(self._tallies) >= MAX_KINDS:
                self._other += 1
                return
            # Shown cut to 90 characters: keep little more per kind (bounded in bytes).
            tally = _Tally(_label(occurrence)[:LABEL_CHARS], occurrence.source[:LABEL_CHARS])
            self._tallies[kind] = tally
        tally.count += 1

    def close(self, end_ns: int) -> Storm:
        """Hand out this window and start the next."""
        kinds = sorted(
            (StormKind(t.label, t.source, t.count) for t in self._tallies.values()),
            key=lambda kind: (-kind.count, kind.label),
        )
        storm = Storm(self.start_ns, end_ns, self.total, tuple(kinds), self._other)
        self.start_ns, self.total, self._tallies, self._other = end_ns, 0, {}, 0
        return storm


def _label(occurrence: Occurrence) -> str:
    if occurrence.exc_type:
        return f"{occurrence.exc_type}: {occurrence.exc_message or ''}".rstrip(": ")
    return occurrence.message or occurrence.severity_text
