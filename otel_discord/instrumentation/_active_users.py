"""Distinct users active in the last five minutes: ``discord.users.active``.

The bot's loop adds the id of each message author and each command or component user
to ``ActiveUsers.ids``, one C-level ``set.add``. The metric reader's callback files that
set as a bucket once a minute and counts the union of the buckets of the last five
minutes, so the count does not depend on how many readers collect or how often.

Memory is bounded in bytes, whatever the bot's size: past ``CAP`` ids a set keeps only
the ids whose hash has ``level`` low zero bits (each raise halves what is kept) and the
count is scaled back up. Exact up to ``CAP`` users, an estimate within a few percent past
it (adaptive distinct sampling), at most ``CAP`` ids per bucket.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Final

WINDOW_S: Final = 300.0
"""What "active" means: seen in the last five minutes."""
BUCKET_S: Final = 60.0
"""How often the current set is filed as a bucket (the window's resolution)."""
CAP: Final = 4096
"""Ids one set holds before it is thinned: about 250 KB; six sets at most."""

_MULTIPLIER: Final = 0x9E3779B97F4A7C15
"""Fibonacci hashing: a snowflake's low bits are a counter, not random."""
_BITS: Final = (1 << 64) - 1


def _kept(user_id: int, mask: int) -> bool:
    return not ((user_id * _MULTIPLIER) & _BITS) >> 40 & mask


class ActiveUsers:
    """Ids of the current minute (``ids``, written by the loop) and the minutes before it."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.ids: set[int] = set()
        self.mask = 0
        """The current set keeps ids whose hash ``& mask`` is 0; ``mask + 1`` scales it."""
        self._started = clock()
        self._buckets: deque[tuple[float, int, set[int]]] = deque()
        """(when it was filed, its mask, its ids), oldest first."""
        self._lock = threading.Lock()

    def thin(self) -> None:
        """The current set is over ``CAP``: keep what the level keeps, raising it until half
        the set fits. Called on the loop, once per ``CAP / 2`` new users at most."""
        mask = self.mask
        ids = {user for user in self.ids.copy() if _kept(user, mask)}
        while len(ids) > CAP // 2:
            mask = mask << 1 | 1
            ids = {user for user in ids if _kept(user, mask)}
        self.mask = mask
        self.ids = ids

    def observe(self) -> int:
        """Distinct users of the last ``WINDOW_S`` (filing the current set once a minute).

        Each bucket keeps the level it reached: a burst thins its own minutes, and the
        count is exact again once they have left the window.
        """
        with self._lock:
            now = self._clock()
            if now - self._started >= BUCKET_S:
                current, mask = self.ids, self.mask
                self.ids, self.mask = set(), 0  # the loop's next add goes to the new set
                self._buckets.append((now, mask, current))
                self._started = now
            while self._buckets and self._buckets[0][0] < now - WINDOW_S:
                self._buckets.popleft()  # its last user was seen before the window
            sets = [*self._buckets, (now, self.mask, self.ids)]
            mask = max(mask for _, mask, _ in sets)
            seen: set[int] = set()
            for _, _, ids in sets:
                seen.update(user for user in ids.copy() if _kept(user, mask))
            return len(seen) * (mask + 1)
