"""Small helpers shared by test packages (imported as ``tests.support``)."""

from __future__ import annotations

import re
from typing import Any, Final

QUIET_INTERVALS: Final[dict[str, Any]] = {
    "performance_interval_ms": 3_600_000,
    "system_interval_ms": 3_600_000,
    "analytics_interval_ms": 3_600_000,
    "health_interval_ms": 3_600_000,
    "alert_interval_ms": 3_600_000,
    "status_message": False,
}
"""Schedules far in the future: tests trigger jobs with ``scheduler.run_now``.

The live status message is off: these tests count diagnostics messages; its own
tests (``tests/monitors/test_status_message.py``) turn it on.
"""

KINDS: Final = [
    "alpha",
    "bravo",
    "charlie",
    "delta",
    "echo",
    "foxtrot",
    "golf",
    "hotel",
    "india",
    "juliet",
    "kilo",
    "lima",
    "mike",
    "november",
    "oscar",
    "papa",
    "quebec",
    "romeo",
    "sierra",
    "tango",
]
"""Twenty error kinds that differ in words (digits are blanked when errors are grouped)."""

_OCCURRENCES: Final = re.compile(r"\*\*([\d,]+) occurrences\*\*")


def occurrences(embed: dict[str, Any]) -> int:
    """How many errors an error embed stands for (1 unless it says otherwise)."""
    match = _OCCURRENCES.search(str(embed.get("description", "")))
    return int(match.group(1).replace(",", "")) if match else 1


UA: Final = {"User-Agent": "DiscordBot (https://example.invalid, 0.1)"}
"""A User-Agent the strict local Discord accepts."""
BODY: Final[dict[str, Any]] = {"content": "hi", "allowed_mentions": {"parse": []}}
"""The smallest valid message."""
UNLIMITED: Final = (10_000, 60.0)
"""Rate limits no test reaches unless it means to."""


def v10(url: str) -> str:
    """A webhook URL as Discord hands it out, rewritten to API v10."""
    return url.replace("/api/webhooks/", "/api/v10/webhooks/")
