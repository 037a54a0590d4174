"""How patient and how polite the engine is: rates, linger and backoff in one place.

The defaults follow Discord's documented behaviour (see ``render/limits.py``);
tests shrink the windows to match a local server with shorter ones.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from otel_discord.render import limits

RETRYABLE_STATUSES: Final[frozenset[int]] = frozenset({500, 502, 503, 504, 520, 521, 522, 524})
"""Server-side failures worth retrying with backoff (the payload is kept)."""

FATAL_STATUSES: Final[frozenset[int]] = frozenset({401, 403, 404})
"""The destination itself is unusable: bad token, missing permission, deleted."""

INVALID_STATUSES: Final[frozenset[int]] = frozenset({401, 403, 429})
"""Responses Cloudflare counts towards its 10,000-per-10-minutes ban (429 shared excepted)."""


@dataclass(frozen=True)
class DeliveryPolicy:
    """Rates and delays the engine keeps to.

    Args:
        webhook_floor: requests per seconds per destination before any
            rate-limit header has been seen.
        channel_rate: messages per seconds per Discord channel (hidden limit,
            surfaced by Discord only as a 429 with scope ``shared``).
        global_rate: requests per second per API host, across destinations.
        bot_share: our share of the bot's global budget for channel
            destinations posted to with the bot's token: the bot itself needs
            the rest of its 50 requests per second.
        linger_s: how long a non-urgent item may wait for company.
        backoff_base_s / backoff_cap_s: exponential backoff (with jitter)
            after 5xx, timeouts and connection errors.
        ban_base_s / ban_cap_s: backoff after a Cloudflare ban, doubling per ban.
        invalid_pause_at: pause a host once this many invalid requests were
            answered in ``invalid_window_s`` (Discord bans at 10,000).
        failing_after: consecutive failures before a "failing" status event.
    """

    webhook_floor: tuple[int, float] = limits.DEFAULT_WEBHOOK_RATE
    channel_rate: tuple[int, float] = (limits.CHANNEL_MESSAGES_PER_MINUTE, 60.0)
    global_rate: tuple[int, float] = (limits.GLOBAL_REQUESTS_PER_SECOND, 1.0)
    bot_share: tuple[int, float] = (5, 1.0)
    linger_s: float = 0.25
    backoff_base_s: float = 0.25
    backoff_cap_s: float = 30.0
    ban_base_s: float = 60.0
    ban_cap_s: float = 1800.0
    max_retry_after_s: float = 300.0
    """The longest a 429 is waited out: a larger (or absurd) ``retry_after`` would silence
    the channel with nothing said; after this the request is tried again, and a real
    limit answers another 429."""
    invalid_pause_at: int = 500
    invalid_window_s: float = limits.INVALID_REQUEST_WINDOW_S
    failing_after: int = 3


def backoff_delay(
    attempt: int, base_s: float, cap_s: float, rand: Callable[[], float] = random.random
) -> float:
    """Capped exponential delay with "equal jitter": half fixed, half random.

    ``attempt`` counts from 0. Half the delay is kept fixed so retries never
    bunch up near zero; the random half spreads clients that failed together.
    """
    ceiling = min(cap_s, base_s * 2.0 ** min(attempt, 32))
    return ceiling / 2 + rand() * ceiling / 2
