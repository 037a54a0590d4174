"""Fixed-window rate-limit buckets and the headers Discord derives from them.

A bucket's window starts at the first request after it resets, as Discord's
do, so ``X-RateLimit-Reset-After`` counts down from that first request.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass


@dataclass
class Bucket:
    """``limit`` requests per ``window`` seconds, on the server's monotonic clock."""

    limit: int
    window: float
    used: int = 0
    reset_at: float | None = None

    def _roll(self, now: float) -> None:
        if self.reset_at is not None and now >= self.reset_at:
            self.used = 0
            self.reset_at = None

    def exhausted(self, now: float) -> bool:
        """True when a request now would exceed the limit."""
        self._roll(now)
        return self.used >= self.limit

    def take(self, now: float) -> bool:
        """Count one request; False (and nothing counted) when the bucket is exhausted."""
        if self.exhausted(now):
            return False
        if self.reset_at is None:
            self.reset_at = now + self.window
        self.used += 1
        return True

    def block(self, now: float, seconds: float) -> None:
        """Exhaust the bucket for ``seconds`` (a forced 429)."""
        self.used = self.limit
        self.reset_at = now + seconds

    def remaining(self, now: float) -> int:
        self._roll(now)
        return max(0, self.limit - self.used)

    def reset_after(self, now: float) -> float:
        """Seconds until the window resets (a full window when none is running)."""
        self._roll(now)
        return self.window if self.reset_at is None else max(0.0, self.reset_at - now)

    def headers(self, now: float, bucket_hash: str) -> dict[str, str]:
        """The ``X-RateLimit-*`` headers describing this bucket now."""
        after = self.reset_after(now)
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining(now)),
            "X-RateLimit-Reset": f"{time.time() + after:.3f}",
            "X-RateLimit-Reset-After": f"{after:.3f}",
            "X-RateLimit-Bucket": bucket_hash,
        }


def bucket_hash(route_template: str) -> str:
    """A stable, opaque bucket id per route template, like Discord's."""
    return hashlib.sha256(route_template.encode()).hexdigest()[:32]


def retry_after_header(seconds: float) -> str:
    """``Retry-After`` is whole seconds, rounded up; the JSON body carries the float."""
    return str(max(1, math.ceil(seconds)))
