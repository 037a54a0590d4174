"""One byte budget shared by every request in flight (bodies as read, and once inflated).

Each request's limit alone does not bound memory: 32 requests of 6 MiB are 192 MiB of
bodies before decoding multiplies them. Requests reserve what they are about to hold and
are told to come back later (503 + Retry-After) when the budget is spent.
"""

from __future__ import annotations

import threading


class ByteBudget:
    """A thread-safe count of bytes reserved against a fixed total."""

    def __init__(self, total: int) -> None:
        self.total = total
        self._used = 0
        self._lock = threading.Lock()

    @property
    def used(self) -> int:
        with self._lock:
            return self._used

    def reserve(self, n: int) -> bool:
        """Take ``n`` bytes if they are free; False (nothing taken) otherwise."""
        with self._lock:
            if self._used + n > self.total:
                return False
            self._used += n
            return True

    def release(self, n: int) -> None:
        with self._lock:
            self._used = max(0, self._used - n)


class Hold:
    """What one request holds of a budget; ``release_all`` is safe to call more than once."""

    def __init__(self, budget: ByteBudget) -> None:
        self._budget = budget
        self._lock = threading.Lock()
        self.held = 0

    def grow_to(self, n: int) -> bool:
        """Hold at least ``n`` bytes in all; False when the budget cannot give the difference."""
        with self._lock:
            extra = n - self.held
            if extra <= 0:
                return True
            if not self._budget.reserve(extra):
                return False
            self.held = n
            return True

    def add(self, n: int) -> bool:
        with self._lock:
            target = self.held + n
        return self.grow_to(target)

    def release_all(self) -> None:
        with self._lock:
            held, self.held = self.held, 0
        self._budget.release(held)
