"""The storm summary: when errors pour in, one embed says how many, of which kinds.

Grouped error embeds already carry exact counts per kind, but during a storm they
arrive as a stream of follow-ups. Once a minute, if the window held at least
``STORM_THRESHOLD`` errors, one summary ranks the kinds, so a person reading the
last message of the logs channel knows at a glance what is going on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from otel_discord.render import limits, style
from otel_discord.render.errors import Occurrence
from otel_discord.render.text import clip, human_count, human_duration, neutralise
from otel_discord.render.types import Embed

STORM_THRESHOLD: Final = 100
"""Errors in one window that make it a storm worth summarising."""
MAX_KINDS: Final = 500
"""Kinds counted separately per window; the rest are summed as "other kinds"."""
SHOWN_KINDS: Final = 10
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

    def add(self, occurrence: Occurrence) -> None:
        self.total += 1
        tally = self._tallies.get(occurrence.group_key)
        if tally is None:
            if len(self._tallies) >= MAX_KINDS:
                self._other += 1
                return
            # Shown cut to 90 characters: keep little more per kind (bounded in bytes).
            tally = _Tally(_label(occurrence)[:LABEL_CHARS], occurrence.source[:LABEL_CHARS])
            self._tallies[occurrence.group_key] = tally
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


def render_storm(storm: Storm, *, service: str, host: str | None) -> list[Embed]:
    """The summary embed, or [] when the window was not a storm."""
    if storm.total < STORM_THRESHOLD:
        return []
    seconds = max(1.0, (storm.end_ns - storm.start_ns) / 1e9)
    kinds = len(storm.kinds) + (1 if storm.other else 0)
    lines = [
        f"• `{human_count(kind.count)}×` {clip(neutralise(kind.label), 90)} — "
        f"{clip(neutralise(kind.source), 40)}"
        for kind in storm.kinds[:SHOWN_KINDS]
    ]
    hidden = storm.kinds[SHOWN_KINDS:]
    rest = sum(kind.count for kind in hidden) + storm.other
    if rest:
        lines.append(f"• … {human_count(rest)} more in {len(hidden) + bool(storm.other)} kinds")
    lines.append(f"_{human_count(kinds)} kinds · each with exact counts in its own embed_")
    return [
        {
            "title": clip(
                f"🌪️ Error storm · {human_count(storm.total)} errors in {human_duration(seconds)}",
                limits.EMBED_TITLE,
            ),
            "description": clip("\n".join(lines), limits.EMBED_DESCRIPTION),
            "color": style.RED,
            "footer": style.footer(service, host, style.window_text(storm.start_ns, storm.end_ns)),
            "timestamp": style.iso(storm.end_ns),
        }
    ]
