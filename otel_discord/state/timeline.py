"""The last hour of the readings the charts draw, with the time of each point.

``MetricHistory`` keeps 30 values per reading without times (enough for the
tables); a chart needs an hour on a time axis. ``Timeline`` keeps (time, value)
for the keys a chart uses, in buckets of ``span_s / max_points`` seconds (several
exports in one bucket are averaged), so memory stays bounded whatever the export
interval: at most ``max_points`` points for at most ``max_keys`` keys.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Final

from otel_discord.state.history import Reading

HOUR_S: Final = 3600.0
MAX_POINTS: Final = 360
"""Points per key: one per 10 s over an hour (exports are every 15 s by default)."""
MAX_KEYS: Final = 80
"""Keys kept at most (per-core CPU of a big host is cut here, not stored without end)."""

_NS_PER_S: Final = 1_000_000_000


@dataclass
class _Track:
    points: deque[tuple[float, float]] = field(default_factory=deque)
    bucket: int = -1
    total: float = 0.0
    count: int = 0


class Timeline:
    """(time, value) history of the chart keys; not thread-safe (the pipeline holds its lock)."""

    def __init__(
        self,
        wanted: Callable[[str], bool],
        *,
        span_s: float = HOUR_S,
        max_points: int = MAX_POINTS,
        max_keys: int = MAX_KEYS,
    ) -> None:
        if span_s <= 0 or max_points < 2 or max_keys < 1:
            msg = f"span_s, max_points, max_keys must be > 0, >= 2, >= 1: {span_s}, {max_points}"
            raise ValueError(msg)
        self._wanted = wanted
        self._span_s = span_s
        self._step_s = span_s / max_points
        self._max_points = max_points
        self._max_keys = max_keys
        self._tracks: dict[str, _Track] = {}
        self._seen: dict[str, int] = {}
        self.newest_s = 0.0

    def record(self, readings: Mapping[str, Reading]) -> None:
        """Add the latest value of each wanted reading that has a new timestamp."""
        for key, reading in readings.items():
            if reading.at_ns <= self._seen.get(key, 0) or not self._wanted(key):
                continue
            track = self._tracks.get(key)
            if track is None:
                if len(self._tracks) >= self._max_keys:
                    continue
                track = self._tracks[key] = _Track()
            self._seen[key] = reading.at_ns
            self._add(track, reading.at_ns / _NS_PER_S, reading.now)
        self._prune()

    def _add(self, track: _Track, at_s: float, value: float) -> None:
        self.newest_s = max(self.newest_s, at_s)
        bucket = int(at_s // self._step_s)
        if bucket == track.bucket and track.points:
            track.total += value
            track.count += 1
            track.points[-1] = (at_s, track.total / track.count)
            return
        track.bucket, track.total, track.count = bucket, value, 1
        track.points.append((at_s, value))
        while len(track.points) > self._max_points:
            track.points.popleft()

    def _prune(self) -> None:
        """Forget points older than the span, and keys left with none."""
        oldest = self.newest_s - self._span_s
        for key in list(self._tracks):
            points = self._tracks[key].points
            while points and points[0][0] < oldest:
                points.popleft()
            if not points:
                del self._tracks[key]
                self._seen.pop(key, None)

    def series(self, key: str) -> tuple[tuple[float, float], ...]:
        """Points of ``key`` (unix seconds, value), oldest first; () when none."""
        track = self._tracks.get(key)
        return tuple(track.points) if track is not None else ()

    def names(self) -> tuple[str, ...]:
        """The keys that have points."""
        return tuple(self._tracks)

    def first_s(self) -> float | None:
        """Time of the oldest point held, or None when empty."""
        starts = [t.points[0][0] for t in self._tracks.values() if t.points]
        return min(starts) if starts else None
