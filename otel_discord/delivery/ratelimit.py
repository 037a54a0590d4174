"""Rate-limit bookkeeping: never send a request Discord would refuse.

Everything here is pure state driven by an explicit ``now`` (monotonic
seconds), so it is tested without clocks or sockets. The sender asks
``delay(now)`` before each request and reports every response back.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass

RESET_MARGIN_S = 0.05
"""Added to a bucket's reset so clock granularity never makes us early."""


MAX_RESET_AFTER_S = 300.0
"""The longest bucket reset a header is believed for (Discord's are seconds): a proxy's
``Reset-After: 1e12`` with ``Remaining: 0`` would otherwise silence a channel for good."""


def _float(value: str | None) -> float | None:
    """A finite, non-negative number from a header; anything else is no value at all."""
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if 0.0 <= number < math.inf else None


def _int(value: str | None) -> int | None:
    number = _float(value)
    return None if number is None else int(number)


def _big(value: int) -> float:
    """An int from JSON as a float; one past a float's range (400 digits) is infinite."""
    try:
        return float(value)
    except OverflowError:
        return math.inf


def _reset_after(value: str | None) -> float | None:
    number = _float(value)
    return None if number is None else min(number, MAX_RESET_AFTER_S)


@dataclass(frozen=True)
class RateLimitHeaders:
    """The ``X-RateLimit-*`` headers of one response."""

    limit: int | None
    remaining: int | None
    reset_after: float | None
    bucket: str | None
    scope: str | None
    is_global: bool

    @classmethod
    def parse(cls, headers: Mapping[str, str]) -> RateLimitHeaders | None:
        """Read the headers; None when there is none at all (a Cloudflare answer)."""
        lowered = {k.lower(): v for k, v in headers.items()}
        if not any(k.startswith("x-ratelimit-") for k in lowered):
            return None
        return cls(
            limit=_int(lowered.get("x-ratelimit-limit")),
            remaining=_int(lowered.get("x-ratelimit-remaining")),
            reset_after=_reset_after(lowered.get("x-ratelimit-reset-after")),
            bucket=lowered.get("x-ratelimit-bucket"),
            scope=lowered.get("x-ratelimit-scope"),
            is_global=lowered.get("x-ratelimit-global", "").lower() == "true",
        )


def retry_after_s(headers: Mapping[str, str], body: object) -> float | None:
    """A 429's wait: the body's float ``retry_after``, else the ``Retry-After`` header."""
    if isinstance(body, dict):
        value = body.get("retry_after")
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
            return value if isinstance(value, float) else _big(value)
    lowered = {k.lower(): v for k, v in headers.items()}
    header = _float(lowered.get("retry-after"))
    return header if header is not None and header >= 0 else None


class SlidingWindow:
    """At most ``limit`` events in any ``period`` seconds.

    Stricter than the fixed windows servers count in; ``margin`` absorbs the
    jitter between our send time and the server's receive time.
    """

    def __init__(self, limit: int, period: float, margin: float = RESET_MARGIN_S) -> None:
        self.limit = max(1, limit)
        self.period = period
        self.margin = margin
        self._times: deque[float] = deque()

    def _prune(self, now: float) -> None:
        while self._times and self._times[0] <= now - self.period - self.margin:
            self._times.popleft()

    def delay(self, now: float) -> float:
        """Seconds until one more event is allowed (0 if now)."""
        self._prune(now)
        if len(self._times) < self.limit:
            return 0.0
        return self._times[len(self._times) - self.limit] + self.period + self.margin - now

    def record(self, now: float) -> None:
        self._times.append(now)

    def forget(self, at: float) -> None:
        """Remove an event recorded at ``at`` (a reserved slot that was not used)."""
        for i in range(len(self._times) - 1, -1, -1):
            if self._times[i] == at:
                del self._times[i]
                return


class DestinationLimiter:
    """One destination's bucket, its floor, its channel ceiling and its pauses.

    Shared by the destination's sender and its live (status) message, which both
    create messages in this bucket; a lock keeps the two threads' counts whole.
    """

    def __init__(self, floor: tuple[int, float], channel_rate: tuple[int, float]) -> None:
        self._floor = SlidingWindow(*floor)
        self._channel = SlidingWindow(*channel_rate)
        self._seen_headers = False
        self._remaining = 1
        self._limit = 1
        self._reset_at = 0.0
        self._paused_until = 0.0
        self.bucket: str | None = None
        self._lock = threading.Lock()

    def after_fork_in_child(self) -> None:
        self._lock = threading.Lock()  # another thread may have held it at the fork

    def delay(self, now: float) -> float:
        """Seconds to wait before the next request to this destination."""
        with self._lock:
            return self._delay(now)

    def _delay(self, now: float) -> float:
        waits = [self._paused_until - now, self._channel.delay(now)]
        if not self._seen_headers:
            waits.append(self._floor.delay(now))
        elif self._remaining <= 0:
            waits.append(self._reset_at - now)
        return max(0.0, *waits)

    def reserve(self, now: float) -> float:
        """Take a slot at once and return 0, or return the wait (check and count in one step).

        Two threads (the sender and a live message) share the bucket: counting the
        request in the same step as the check keeps them from both taking its last slot.
        """
        with self._lock:
            wait = self._delay(now)
            if wait <= 0:
                self._on_send(now)
            return wait

    def release(self, now: float) -> None:
        """Give back a slot :meth:`reserve` took at ``now`` and that went unused."""
        with self._lock:
            self._floor.forget(now)
            self._channel.forget(now)
            self._remaining = min(self._remaining + 1, self._limit)

    def on_send(self, now: float) -> None:
        """Count a request about to go out (optimistically, before its answer)."""
        with self._lock:
            self._on_send(now)

    def _on_send(self, now: float) -> None:
        self._floor.record(now)
        self._channel.record(now)
        if self._seen_headers and now >= self._reset_at:
            # The bucket has refilled since we last heard from the server.
            self._remaining = max(self._remaining, self._limit)
        self._remaining -= 1

    def on_headers(self, headers: RateLimitHeaders, now: float) -> None:
        """Adopt the server's view of this bucket."""
        with self._lock:
            self._on_headers(headers, now)

    def _on_headers(self, headers: RateLimitHeaders, now: float) -> None:
        if headers.remaining is None or headers.reset_after is None:
            return
        self._seen_headers = True
        self._remaining = headers.remaining
        self._limit = max(1, headers.limit or 1)
        self._reset_at = now + headers.reset_after + RESET_MARGIN_S
        self.bucket = headers.bucket or self.bucket

    def pause(self, seconds: float, now: float) -> None:
        """Stop sending for ``seconds`` (a 429 for this bucket or channel)."""
        with self._lock:
            self._paused_until = max(self._paused_until, now + seconds + RESET_MARGIN_S)


class HostLimiter:
    """Limits shared by every destination on one API host; thread-safe.

    Holds the global rate, our share of a bot's budget, global 429 and
    Cloudflare pauses, and the invalid-request budget.
    """

    def __init__(
        self,
        global_rate: tuple[int, float],
        bot_share: tuple[int, float],
        invalid_pause_at: int,
        invalid_window_s: float,
    ) -> None:
        self._lock = threading.Lock()
        self._global = SlidingWindow(*global_rate)
        self._bot = SlidingWindow(*bot_share)
        self._paused_until = 0.0
        self._invalid: deque[float] = deque()
        self._invalid_pause_at = invalid_pause_at
        self._invalid_window_s = invalid_window_s
        self.bans = 0

    def after_fork_in_child(self) -> None:
        self._lock = threading.Lock()  # another thread may have held it at the fork

    def _invalid_delay(self, now: float) -> float:
        while self._invalid and self._invalid[0] <= now - self._invalid_window_s:
            self._invalid.popleft()
        excess = len(self._invalid) - self._invalid_pause_at
        if excess < 0:
            return 0.0
        return self._invalid[excess] + self._invalid_window_s - now

    def acquire(self, now: float, *, bot: bool) -> float:
        """Take a request slot and return 0, or return the seconds to wait."""
        with self._lock:
            waits = [self._paused_until - now, self._global.delay(now), self._invalid_delay(now)]
            if bot:
                waits.append(self._bot.delay(now))
            wait = max(waits)
            if wait > 0:
                return wait
            self._global.record(now)
            if bot:
                self._bot.record(now)
            return 0.0

    def pause(self, seconds: float, now: float) -> None:
        """Stop every destination on this host (a global 429 or a ban)."""
        with self._lock:
            self._paused_until = max(self._paused_until, now + seconds + RESET_MARGIN_S)

    def record_invalid(self, now: float) -> None:
        with self._lock:
            self._invalid.append(now)

    def invalid_count(self, now: float) -> int:
        with self._lock:
            self._invalid_delay(now)
            return len(self._invalid)

    def record_ban(self, base_s: float, cap_s: float, now: float) -> float:
        """A Cloudflare ban: pause the host, longer for every ban in a row."""
        with self._lock:
            wait = min(cap_s, base_s * 2.0 ** min(self.bans, 32))
            self.bans += 1
            self._paused_until = max(self._paused_until, now + wait)
            return wait

    def record_success(self) -> None:
        with self._lock:
            self.bans = 0
