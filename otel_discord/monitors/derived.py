"""Readings the monitors compute themselves: the error rate and disconnected shards.

Pure apart from the small state a rate needs; times are passed in.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from typing import Final

from otel_discord.monitors import defaults as keys

NS_PER_MIN: Final = 60_000_000_000
_KEPT: Final = 256


class RateWindow:
    """Per-minute rate of a growing total over (at least) the last ``window_s`` seconds."""

    def __init__(self, window_s: float = keys.ERROR_RATE_WINDOW_S) -> None:
        self._window_ns = int(window_s * 1e9)
        self._samples: deque[tuple[int, int]] = deque(maxlen=_KEPT)

    def observe(self, now_ns: int, total: int) -> float | None:
        """Add a sample; the rate since the newest sample at least a window old, or None."""
        if self._samples and now_ns < self._samples[-1][0]:
            return None
        self._samples.append((now_ns, total))
        base: tuple[int, int] | None = None
        while self._samples and self._samples[0][0] <= now_ns - self._window_ns:
            base = self._samples.popleft()
        if base is None:
            return None
        self._samples.appendleft(base)  # keep it: the next call may still measure from it
        elapsed = now_ns - base[0]
        return max(0, total - base[1]) * NS_PER_MIN / elapsed


def disconnected_shards(values: Mapping[str, float]) -> float | None:
    """Shards not connected, from ``discord.connected`` and ``discord.shards`` (None: no bot)."""
    connected = values.get(keys.CONNECTED)
    if connected is None:
        return None
    shards = values.get(keys.SHARDS, 1.0)
    return max(0.0, shards - connected)
